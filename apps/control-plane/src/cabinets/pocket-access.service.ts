/**
 * Everything that physically opens a pocket: remove, override-remove, restock, waste from
 * pocket stock and cancel-remove. Each runs the same use case: the user must be authorised
 * for the cabinet's ward, a removal needs a pharmacist-verified order (its status read from
 * the database at the moment of the removal, so a stopped, cancelled or completed order stops
 * opening pockets at once) or an override with a reason, the ledger must accept the entry (stock, expiry, recall,
 * witness) and the drawer must not be in cold-chain quarantine; then an `unlockPocket`
 * command goes to the cabinet carrying the entry, which is appended when the cabinet
 * acknowledges `done`. The request waits for the outcome (bounded by the ack time-out).
 */
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { assertInWardScope, ConflictError, ForbiddenError, isExpired, locationKey, NotFoundError, RuleViolationError, type PocketInventory } from '#domain';
import type { AuthUser } from '../common/auth.decorators.js';
import { type IdempotencyScope, pendingIdempotencyScope } from '../common/idempotency.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { ColdChainService } from '../cold-chain/cold-chain.service.js';
import { DeviceCommandsService, type CommandView } from '../device-protocol/device-commands.service.js';
import { DeviceDirectory, type DeviceInfo } from '../device-protocol/device-directory.service.js';
import type { UnlockReason } from '#contracts';
import { CustodyRepository } from '#persistence';
import type { RemoveInput, RestockInput, WasteInput } from './cabinet.dto.js';
import { CabinetStateService, drawerStorageId } from './cabinet-state.service.js';
import { CommandTimedOutError } from './command-timed-out.error.js';
import { PocketLedgerService, type LedgerDraft, type PocketRecord, type RemovalFacts } from './pocket-ledger.service.js';
import { WitnessService } from './witness.service.js';
import { userActor } from '../custody/access.js';
import { type RefusalContext, Refusals } from '../custody/refusals.js';

export const POCKET_ENTRY_ACTION = 'pocket_entry';
/** A role rule, not a ward rule: who opens pockets at all; on which wards is the ward-scope rule. */
const OPENS_POCKETS: ReadonlySet<string> = new Set(['admin', 'pharmacist', 'nurse']);

export interface PocketActionResult {
  command: CommandView;
  entryId: string;
  pocket: PocketRecord;
}

interface PocketEntryContext {
  action: typeof POCKET_ENTRY_ACTION;
  cabinetId: string;
  pocketId: string;
  draft: LedgerDraft;
  facts: RemovalFacts;
}

@Injectable()
export class PocketAccessService implements OnModuleInit {
  /**
   * The Idempotency-Key scope of each request waiting for its cabinet, by ledger entry id: the
   * entry is appended when the cabinet's ack arrives, outside the request's async context, and
   * the key must be stored in that append's transaction.
   */
  private readonly waiting = new Map<string, IdempotencyScope>();

  constructor(
    private readonly ledger: PocketLedgerService,
    private readonly commands: DeviceCommandsService,
    private readonly directory: DeviceDirectory,
    private readonly cabinets: CabinetStateService,
    private readonly coldChain: ColdChainService,
    private readonly witnesses: WitnessService,
    private readonly orders: CustodyRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly refusals: Refusals,
  ) {}

  onModuleInit(): void {
    // the entry is stamped when the cabinet confirms the unlock, not when it was asked for
    this.commands.onDone(POCKET_ENTRY_ACTION, async (c) => {
      const ctx = c.context as unknown as PocketEntryContext;
      const idem = this.waiting.get(ctx.draft.id);
      await this.ledger.append(ctx.cabinetId, ctx.pocketId, { ...ctx.draft, at: new Date().toISOString() } as LedgerDraft, ctx.facts, idem);
    });
  }

  /** A removal; every refusal is a record on the custody chain (Refusals). */
  async remove(cabinetId: string, pocketId: string, input: RemoveInput, user: AuthUser): Promise<PocketActionResult> {
    return this.refusals.guard(
      () =>
        this.refusalAt('cabinet_removal', cabinetId, pocketId, user, {
          quantity: input.quantity,
          ...(input.orderId ? { orderId: input.orderId } : {}),
          ...(input.lot ? { lot: input.lot } : {}),
          ...(input.override ? { override: input.override.reason } : {}),
        }),
      () => this.removeFrom(cabinetId, pocketId, input, user),
    );
  }

  /**
   * What a refused cabinet act concerned: the cabinet drawer (the pocket's, as the cabinet
   * reports it) on the cabinet's ward, and an order named in the request if it exists.
   */
  async refusalAt(
    act: 'cabinet_removal' | 'cabinet_waste',
    cabinetId: string,
    pocketId: string,
    user: AuthUser,
    evidence: Record<string, unknown> & { orderId?: string },
  ): Promise<RefusalContext> {
    const cabinet = await this.directory.get(cabinetId);
    const drawer = this.cabinets.pocketState(cabinetId, pocketId)?.drawerId ?? pocketId;
    const order = evidence.orderId ? await this.orders.order(evidence.orderId) : null;
    return {
      act,
      actor: userActor(user),
      location: locationKey.cabinetDrawer(cabinetId, drawer),
      ward: cabinet?.ward ?? null,
      orderId: order?.id ?? null,
      evidence: { cabinetId, pocketId, ...evidence },
    };
  }

  private async removeFrom(cabinetId: string, pocketId: string, input: RemoveInput, user: AuthUser): Promise<PocketActionResult> {
    const cabinet = await this.openable(cabinetId, pocketId, user);
    const pocket = this.ledger.require(cabinetId, pocketId);
    if (!input.override) {
      if (!input.orderId)
        throw new RuleViolationError('a removal needs a pharmacist-verified order, or an override with a reason', 'order_not_verified', { field: 'orderId' });
      if ((await this.orders.order(input.orderId))?.status !== 'verified')
        throw new RuleViolationError(
          `order ${input.orderId} is not verified by a pharmacist; doses can only be removed for a verified order`,
          'order_not_verified',
          {
            orderId: input.orderId,
          },
        );
    }
    const base = { id: this.ledger.newEntryId(), at: new Date().toISOString(), actor: user.id };
    const lot = input.lot ?? this.firstExpiringLot(pocket, input.quantity);
    const draft: LedgerDraft = input.override
      ? { ...base, type: 'override_remove', lot, qty: input.quantity, reason: input.override.reason }
      : { ...base, type: 'remove', lot, qty: input.quantity, ...(input.orderId ? { orderId: input.orderId } : {}) };
    return this.unlockFor(cabinet, pocketId, user, input.override ? 'override_remove' : 'remove', draft, { orderId: input.orderId, serial: input.serial });
  }

  async restock(cabinetId: string, pocketId: string, input: RestockInput, user: AuthUser): Promise<PocketActionResult> {
    const cabinet = await this.openable(cabinetId, pocketId, user);
    this.ledger.require(cabinetId, pocketId);
    const draft: LedgerDraft = {
      type: 'restock',
      id: this.ledger.newEntryId(),
      at: new Date().toISOString(),
      actor: user.id,
      lot: input.lot,
      expiry: input.expiry,
      qty: input.quantity,
    };
    return this.unlockFor(cabinet, pocketId, user, 'restock', draft, {});
  }

  /** Waste from the pocket's own stock (broken, expired): the pocket opens, a controlled drug needs a witness. */
  async wasteFromStock(cabinetId: string, pocketId: string, input: WasteInput, user: AuthUser, address?: string): Promise<PocketActionResult> {
    return this.refusals.guard(
      () =>
        this.refusalAt('cabinet_waste', cabinetId, pocketId, user, {
          quantity: input.quantity,
          ...(input.lot ? { lot: input.lot } : {}),
          witnessed: !!input.witness,
        }),
      () => this.wasteStock(cabinetId, pocketId, input, user, address),
    );
  }

  private async wasteStock(cabinetId: string, pocketId: string, input: WasteInput, user: AuthUser, address?: string): Promise<PocketActionResult> {
    const cabinet = await this.openable(cabinetId, pocketId, user);
    const pocket = this.ledger.require(cabinetId, pocketId);
    const witness = input.witness ? await this.witnesses.verify(input.witness, { actor: user, ward: cabinet.ward, address }) : undefined;
    const lot = input.lot ?? this.onlyLot(pocket.inventory);
    const draft: LedgerDraft = {
      type: 'waste',
      id: this.ledger.newEntryId(),
      at: new Date().toISOString(),
      actor: user.id,
      lot,
      qty: input.quantity,
      ...(witness ? { witness } : {}),
    };
    return this.unlockFor(cabinet, pocketId, user, 'waste', draft, {});
  }

  /** Puts a removed item back within the cancel window (only the same user; later it goes to the return bin). */
  async cancelRemove(cabinetId: string, pocketId: string, removalId: string, user: AuthUser): Promise<PocketActionResult> {
    const cabinet = await this.openable(cabinetId, pocketId, user);
    this.ledger.require(cabinetId, pocketId);
    const draft: LedgerDraft = { type: 'cancel_remove', id: this.ledger.newEntryId(), at: new Date().toISOString(), actor: user.id, removalId };
    return this.unlockFor(cabinet, pocketId, user, 'return', draft, {});
  }

  /** The cabinet exists, the user may open pockets on its ward, and the pocket's drawer is not quarantined. */
  async openable(cabinetId: string, pocketId: string, user: AuthUser): Promise<DeviceInfo> {
    const cabinet = await this.directory.get(cabinetId);
    if (!cabinet || cabinet.kind !== 'cabinet') throw new NotFoundError('Cabinet', cabinetId);
    if (!OPENS_POCKETS.has(user.role)) throw new ForbiddenError(`role '${user.role}' may not open cabinet pockets`, 'role_forbidden');
    assertInWardScope(user, cabinet.ward);
    const drawer = this.cabinets.pocketState(cabinetId, pocketId)?.drawerId;
    if (drawer && this.coldChain.isQuarantined(drawerStorageId(cabinetId, drawer)))
      throw new RuleViolationError(`drawer ${drawer} is quarantined after a cold-chain excursion`, 'cold_chain_quarantine', { drawerId: drawer });
    return cabinet;
  }

  private async unlockFor(cabinet: DeviceInfo, pocketId: string, user: AuthUser, reason: UnlockReason, draft: LedgerDraft, facts: RemovalFacts) {
    // refuse before anything opens: stock, expiry, recall, witness, cancel window…
    this.ledger.check(cabinet.id, pocketId, draft);
    const context: PocketEntryContext = { action: POCKET_ENTRY_ACTION, cabinetId: cabinet.id, pocketId, draft, facts };
    const idem = pendingIdempotencyScope();
    if (idem) this.waiting.set(draft.id, idem);
    let command: CommandView;
    try {
      const sent = await this.commands.send(
        'cabinet',
        cabinet.id,
        { type: 'unlockPocket', pocketId, userId: user.id, reason, expiresAt: new Date(Date.now() + this.config.devices.commandAckTimeoutMs).toISOString() },
        { requestedBy: user.id, context: context as unknown as Record<string, unknown> },
      );
      command = await this.commands.settled(sent.id);
    } finally {
      this.waiting.delete(draft.id);
    }
    if (command.status === 'timed_out')
      throw new CommandTimedOutError(`cabinet ${cabinet.id} did not acknowledge the unlock of ${pocketId}; nothing was recorded`, {
        commandId: command.commandId,
      });
    if (command.status !== 'done')
      throw new ConflictError(
        `cabinet ${cabinet.id} ${command.status === 'refused' ? 'refused' : 'could not perform'} the unlock: ${command.detail}`,
        `unlock_${command.status}`,
        {
          commandId: command.commandId,
          detail: command.detail,
        },
      );
    const pocket = this.ledger.require(cabinet.id, pocketId);
    if (!(await this.recorded(cabinet.id, pocketId, draft.id)))
      throw new ConflictError(`the pocket opened but the ledger refused the entry: ${command.detail}`, 'ledger_conflict', { commandId: command.commandId });
    return { command, entryId: draft.id, pocket };
  }

  private async recorded(cabinetId: string, pocketId: string, entryId: string): Promise<boolean> {
    const recent = await this.ledger.ledger(cabinetId, { pocketId, limit: 20 });
    return recent.some((e) => e['id'] === entryId);
  }

  /** FEFO: the usable lot expiring first that holds enough. */
  private firstExpiringLot(pocket: PocketRecord, qty: number): string {
    const today = new Date().toISOString();
    const lots = Object.values(pocket.inventory.lots).sort((a, b) => a.expiry.localeCompare(b.expiry));
    const usable = lots.find((l) => l.count >= qty && !isExpired(l.expiry, today) && !this.ledger.isRecalled(pocket.gtin, l.lot));
    // none usable: name the first lot so the ledger explains why (expired, recalled, short)
    const lot = usable ?? lots.find((l) => l.count > 0) ?? lots[0];
    if (!lot) throw new RuleViolationError(`pocket ${pocket.pocketId} is empty`, 'insufficient_stock', { available: 0 });
    return lot.lot;
  }

  private onlyLot(inv: PocketInventory): string {
    const lots = Object.keys(inv.lots);
    if (lots.length !== 1) throw new RuleViolationError('the pocket holds several lots: name the lot', 'adjustment_lot_required', { field: 'lot' });
    return lots[0]!;
  }
}
