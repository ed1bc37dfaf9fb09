/**
 * The inventory of every configured cabinet pocket as an append-only ledger: each entry is
 * folded into the pocket's state by the pure `applyEntry` (libs/domain/inventory: stock,
 * lots, expiry, recalls, witnesses, return bin, discrepancies), then appended together with
 * the new projection in one transaction. Appends are serialised per pocket so sequence
 * numbers stay gap-free. Announces `cabinet.ledger`, `cabinet.removed` (custody links it to
 * the dose's pick step) and `cabinet.discrepancy`.
 */
import { randomUUID } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { applyEntry, emptyPocket, NotFoundError, type Discrepancy, type LedgerEntry, type PocketInventory } from '#domain';
import { CabinetRepository, type CabinetLedgerEntryEntity, type CabinetPocketEntity } from '#persistence';
import { AlarmsService } from '../alarms/alarms.service.js';
import { EventBus } from '../common/events.js';
import { DeviceDirectory } from '../device-protocol/device-directory.service.js';
import type { ConfigurePocket } from './cabinet.dto.js';
import { type IdempotencyScope, idempotencyRow, pendingIdempotencyScope } from '../common/idempotency.js';
import { KeyedQueue } from '../common/keyed-queue.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An entry before the ledger gives it its sequence number (an id may be chosen in advance). */
export type LedgerDraft = DistributiveOmit<LedgerEntry, 'seq'>;

/** Facts the ledger does not need but the `cabinet.removed` event carries. */
export interface RemovalFacts {
  orderId?: string | undefined;
  serial?: string | undefined;
}

export interface PocketRecord {
  cabinetId: string;
  pocketId: string;
  gtin: string;
  medicationName: string;
  controlled: boolean;
  parLevel: number;
  inventory: PocketInventory;
}

const pocketKey = (cabinetId: string, pocketId: string) => `${cabinetId}/${pocketId}`;

@Injectable()
export class PocketLedgerService implements OnModuleInit {
  private readonly pockets = new Map<string, CabinetPocketEntity>();
  /** recalled lots by GTIN */
  private readonly recalled = new Map<string, Set<string>>();
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly repo: CabinetRepository,
    private readonly alarms: AlarmsService,
    private readonly directory: DeviceDirectory,
    private readonly bus: EventBus,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const p of await this.repo.allPockets()) this.pockets.set(pocketKey(p.cabinetId, p.pocketId), p);
    for (const r of await this.repo.allRecalls()) this.markRecalled(r.gtin, r.lot);
  }

  markRecalled(gtin: string, lot: string): void {
    const set = this.recalled.get(gtin) ?? new Set<string>();
    set.add(lot);
    this.recalled.set(gtin, set);
  }

  isRecalled(gtin: string, lot: string): boolean {
    return this.recalled.get(gtin)?.has(lot) ?? false;
  }

  pocketsOf(cabinetId: string): PocketRecord[] {
    return [...this.pockets.values()].filter((p) => p.cabinetId === cabinetId).map(record);
  }

  allPockets(): PocketRecord[] {
    return [...this.pockets.values()].map(record);
  }

  find(cabinetId: string, pocketId: string): PocketRecord | null {
    const p = this.pockets.get(pocketKey(cabinetId, pocketId));
    return p ? record(p) : null;
  }

  require(cabinetId: string, pocketId: string): PocketRecord {
    const p = this.find(cabinetId, pocketId);
    if (!p) throw new NotFoundError('Pocket', `${cabinetId}/${pocketId}`);
    return p;
  }

  /** Creates a pocket or changes what it holds; its ledger and stock are kept. */
  configure(cabinetId: string, pocketId: string, input: ConfigurePocket): Promise<PocketRecord> {
    return this.queue.run(pocketKey(cabinetId, pocketId), async () => {
      // from the committed row: a cached copy behind a lost COMMIT reply would move the ledger's sequence back
      const entity = await this.repo.configurePocket(cabinetId, pocketId, (existing) => {
        const inventory: PocketInventory = existing
          ? { ...existing.inventory, medicationId: input.gtin, controlled: input.controlled, parLevel: input.parLevel }
          : emptyPocket({ pocketId, medicationId: input.gtin, controlled: input.controlled, parLevel: input.parLevel });
        return { cabinetId, pocketId, ...input, inventory, updatedAt: new Date() };
      });
      this.pockets.set(pocketKey(cabinetId, pocketId), entity);
      return record(entity);
    });
  }

  /** Would this entry be accepted now? Throws the ledger's RuleViolationError if not (nothing is stored). */
  check(cabinetId: string, pocketId: string, draft: LedgerDraft): void {
    const p = this.pockets.get(pocketKey(cabinetId, pocketId));
    if (!p) throw new NotFoundError('Pocket', `${cabinetId}/${pocketId}`);
    applyEntry(p.inventory, { ...draft, seq: p.inventory.lastSeq + 1 } as LedgerEntry, this.context(p.gtin));
  }

  /** Applies and stores one entry; resolves with the pocket's new state. */
  append(
    cabinetId: string,
    pocketId: string,
    draft: LedgerDraft,
    facts: RemovalFacts = {},
    idem: IdempotencyScope | undefined = pendingIdempotencyScope(),
  ): Promise<PocketRecord> {
    const key = pocketKey(cabinetId, pocketId);
    return this.queue.run(key, async () => {
      if (!this.pockets.has(key)) throw new NotFoundError('Pocket', key);
      let before!: PocketInventory;
      let entry!: LedgerEntry;
      let written: Awaited<ReturnType<CabinetRepository['appendEntry']>>;
      try {
        written = await this.repo.appendEntry(
          cabinetId,
          pocketId,
          (p) => {
            before = p.inventory;
            entry = { ...draft, seq: p.inventory.lastSeq + 1 } as LedgerEntry;
            const inventory = applyEntry(before, entry, this.context(p.gtin));
            const row: CabinetLedgerEntryEntity = {
              id: entry.id,
              cabinetId,
              pocketId,
              seq: entry.seq,
              type: entry.type,
              actor: entry.actor,
              at: new Date(entry.at),
              entry: { ...entry, ...(facts.orderId ? { orderId: facts.orderId } : {}), ...(facts.serial ? { serial: facts.serial } : {}) },
            };
            return { entry: row, pocket: { ...p, inventory, updatedAt: new Date() } };
          },
          idem && !idem.stored ? (row) => idempotencyRow(idem, [{ cabinetId, pocketId, ledgerEntryId: row.id, seq: row.seq, type: row.type }]) : undefined,
        );
      } catch (err) {
        // whatever happened to that write, the cached pocket must not outlive it
        await this.reload(cabinetId, pocketId);
        throw err;
      }
      if (!written) throw new NotFoundError('Pocket', key);
      if (idem) idem.stored = true;
      this.pockets.set(key, written.pocket);
      this.announce(written.pocket, entry, before, facts);
      return record(written.pocket);
    });
  }

  /** Re-reads one pocket from the database into the cache (after a write whose outcome is not known here). */
  private async reload(cabinetId: string, pocketId: string): Promise<void> {
    try {
      const p = await this.repo.findPocket(cabinetId, pocketId);
      if (p) this.pockets.set(pocketKey(cabinetId, pocketId), p);
    } catch {
      // the database is away: the next append reads the pocket inside its own transaction anyway
    }
  }

  async ledger(cabinetId: string, filter: { pocketId?: string | undefined; limit?: number | undefined }): Promise<Record<string, unknown>[]> {
    return (await this.repo.ledgerOf(cabinetId, filter)).map((e) => ({ ...e.entry, cabinetId: e.cabinetId, pocketId: e.pocketId }));
  }

  /** Every pocket's discrepancy (open, recounted or resolved: the last one of each pocket). */
  discrepancies(): { cabinetId: string; pocketId: string; gtin: string; medicationName: string; discrepancy: Discrepancy }[] {
    return [...this.pockets.values()]
      .filter((p) => p.inventory.discrepancy !== null)
      .map((p) => ({ cabinetId: p.cabinetId, pocketId: p.pocketId, gtin: p.gtin, medicationName: p.medicationName, discrepancy: p.inventory.discrepancy! }));
  }

  newEntryId(): string {
    return randomUUID();
  }

  private context(gtin: string) {
    return { recalledLots: this.recalled.get(gtin) ?? new Set<string>() };
  }

  private announce(p: CabinetPocketEntity, entry: LedgerEntry, before: PocketInventory, facts: RemovalFacts): void {
    const base = { cabinetId: p.cabinetId, pocketId: p.pocketId };
    if (entry.type === 'remove' || entry.type === 'override_remove') {
      const lot = before.lots[entry.lot]!;
      this.bus.emit('cabinet.removed', {
        ...base,
        entryId: entry.id,
        gtin: p.gtin,
        lot: entry.lot,
        expiry: lot.expiry,
        ...(facts.serial ? { serial: facts.serial } : {}),
        userId: entry.actor,
        ...(entry.type === 'remove' && entry.orderId ? { orderId: entry.orderId } : {}),
        ...(entry.type === 'override_remove' ? { overrideReason: entry.reason } : {}),
        quantity: entry.qty,
        at: entry.at,
      });
    }
    const d = p.inventory.discrepancy;
    if (d && d !== before.discrepancy) {
      void this.discrepancyAlarm(p, d);
    }
  }

  private async discrepancyAlarm(p: CabinetPocketEntity, d: Discrepancy): Promise<void> {
    const key = `cabinet.discrepancy:${p.cabinetId}/${p.pocketId}`;
    if (d.status === 'resolved') {
      await this.alarms.clear(key, `resolved: ${d.reason ?? ''}`);
      return;
    }
    const ward = (await this.directory.get(p.cabinetId))?.ward ?? null;
    await this.alarms.raise({
      type: 'cabinet.discrepancy',
      subject: `${p.cabinetId}/${p.pocketId}`,
      params: {
        medication: p.medicationName,
        cabinetId: p.cabinetId,
        pocketId: p.pocketId,
        counted: d.counted,
        expected: d.expected,
        discrepancyId: d.countEntryId,
      },
      ward,
      sourceKind: 'cabinet',
      sourceId: p.cabinetId,
      details: { targetRoles: ['pharmacist'] },
    });
  }
}

function record(p: CabinetPocketEntity): PocketRecord {
  return {
    cabinetId: p.cabinetId,
    pocketId: p.pocketId,
    gtin: p.gtin,
    medicationName: p.medicationName,
    controlled: p.controlled,
    parLevel: p.parLevel,
    inventory: p.inventory,
  };
}
