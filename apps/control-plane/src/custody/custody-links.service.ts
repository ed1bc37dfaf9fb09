/**
 * Custody's reactions to what other features announce: a cabinet removal for an order is
 * recorded on the order's custody chain (the source of the unit the pharmacist then scans at
 * picking); and a cold-chain quarantine (`coldchain.excursion`, status `quarantine`, heard
 * again when the exposure window closes) quarantines every dose that was inside the storage
 * during the window, wherever the dose is now, and tells the cold chain how many it holds;
 * a pharmacist's resolution of a custody alarm goes on the delivery's custody record.
 * (Cabinets read an order's status from the database themselves: no hook.)
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import { canTransition, doseMachine } from '#domain';
import { CustodyRepository, type CustodyEventEntity } from '#persistence';
import type { AlarmView } from '#contracts';
import { ColdChainService } from '../cold-chain/cold-chain.service.js';
import { type DomainEventMap, EventBus } from '../common/events.js';
import { KeyedQueue } from '../common/keyed-queue.js';
import { LOGGER } from '../common/logger.js';
import { CustodyLedger } from './custody-ledger.service.js';
import { CustodyTransitions } from './custody-transitions.js';

/** What custody needs of a cold-chain excursion to find the doses it exposed. */
export type ColdChainExposure = Pick<DomainEventMap['coldchain.excursion'], 'excursionId' | 'storageId' | 'storageKind' | 'ward' | 'window' | 'minC' | 'maxC'>;

/** How a cold-chain storage id maps onto the locations custody records doses at. */
export function locationKeyOf(exposure: Pick<ColdChainExposure, 'storageId' | 'storageKind'>): string {
  if (exposure.storageKind === 'robot_compartment') {
    const [robot, compartment] = exposure.storageId.split('/');
    return `robot:${robot}:${compartment ?? ''}`;
  }
  if (exposure.storageKind === 'cabinet_drawer') return `cabinet:${exposure.storageId}`;
  return `storage:${exposure.storageId}`;
}

/** Did the dose sit at `key` at any instant of [start, end]? Its events give where it was when. */
export function wasInside(events: readonly Pick<CustodyEventEntity, 'at' | 'location'>[], key: string, start: number, end: number): boolean {
  const withPlace = events.filter((e) => e.location !== null);
  for (let i = 0; i < withPlace.length; i++) {
    const from = withPlace[i]!.at.getTime();
    const to = i + 1 < withPlace.length ? withPlace[i + 1]!.at.getTime() : Number.POSITIVE_INFINITY;
    if (withPlace[i]!.location!.startsWith(key) && from <= end && to >= start) return true;
  }
  return false;
}

@Injectable()
export class CustodyLinksService implements OnApplicationBootstrap, OnModuleDestroy {
  private subs: Subscription[] = [];
  /** one excursion's quarantine runs at a time: the count reported last is the latest window's */
  private readonly excursions = new KeyedQueue();

  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly repo: CustodyRepository,
    private readonly ledger: CustodyLedger,
    private readonly transitions: CustodyTransitions,
    private readonly coldChain: ColdChainService,
    private readonly bus: EventBus,
  ) {}

  onApplicationBootstrap(): void {
    this.subs.push(this.bus.on('coldchain.excursion').subscribe((e) => this.onExcursion(e)));
    this.subs.push(this.bus.on('alarm.changed').subscribe((e) => void (e.change === 'cleared' && this.onAlarmResolved(e.alarm))));
    this.subs.push(
      this.bus.on('cabinet.removed').subscribe((e) => {
        if (!e.orderId) return;
        void this.ledger
          .run(async (_tx, record) =>
            record({
              action: 'cabinet_removed',
              orderId: e.orderId!,
              actor: { type: 'user', id: e.userId },
              location: `cabinet:${e.cabinetId}/${e.pocketId}`,
              evidence: {
                cabinetId: e.cabinetId,
                pocketId: e.pocketId,
                ledgerEntryId: e.entryId,
                gtin: e.gtin,
                lot: e.lot,
                expiry: e.expiry,
                serial: e.serial ?? null,
                quantity: e.quantity,
                override: e.overrideReason ?? null,
              },
            }),
          )
          .catch((err: unknown) => this.logger.error({ err }, 'could not record a cabinet removal on the custody chain'));
      }),
    );
  }
  /**
   * A pharmacist's resolution of a custody alarm about a delivery (forced compartment, doses
   * lost, receipt discrepancy: catalogue `audit: 'custody'`) goes on that delivery's custody
   * record, so the dose timeline shows who decided what and why. The alarm already holds the
   * resolution durably; a failure here is logged.
   */
  private async onAlarmResolved(a: AlarmView): Promise<void> {
    // heard once, on the `cleared` announcement (a later `acknowledged` of the same alarm carries the resolution too)
    if (!a.resolution || a.source.kind !== 'delivery') return;
    if (a.clears?.by !== 'resolution' || a.clears.audit !== 'custody') return;
    const r = a.resolution;
    try {
      await this.ledger.run(async (_tx, record) =>
        record({
          action: 'alarm_resolved',
          deliveryId: a.source.id,
          actor: { type: 'user', id: r.by, role: r.role },
          location: a.ward,
          evidence: { alarmId: a.id, type: a.type, key: a.key, reason: r.reason },
        }),
      );
    } catch (err) {
      this.logger.error({ err, alarmId: a.id }, 'could not record an alarm resolution on the custody ledger');
    }
  }

  onModuleDestroy(): void {
    for (const s of this.subs) s.unsubscribe();
  }

  /**
   * A quarantine (or its window closing while quarantined) quarantines the exposed doses and
   * reports the count to the cold chain. A pharmacist's release or destruction of the unit's
   * stock moves no dose: each quarantined dose leaves quarantine by its own review.
   * Errors are logged; the cold chain has already saved and announced.
   */
  private onExcursion(e: DomainEventMap['coldchain.excursion']): void {
    if (e.status !== 'quarantine') return;
    const exposure: ColdChainExposure = {
      excursionId: e.excursionId,
      storageId: e.storageId,
      storageKind: e.storageKind,
      ward: e.ward,
      window: e.window,
      minC: e.minC,
      maxC: e.maxC,
    };
    void this.excursions
      .run(e.excursionId, async () => {
        const { quarantined } = await this.quarantineExposed(exposure);
        await this.coldChain.recordDosesQuarantined(e.excursionId, quarantined);
      })
      .catch((err: unknown) => this.logger.error({ err, excursionId: e.excursionId, storageId: e.storageId }, 'custody could not quarantine exposed doses'));
  }

  /** Idempotent: a dose already quarantined counts, without a second event. */
  async quarantineExposed(exposure: ColdChainExposure): Promise<{ quarantined: number }> {
    const key = locationKeyOf(exposure);
    const start = Date.parse(exposure.window.start);
    const end = exposure.window.end ? Date.parse(exposure.window.end) : Date.now();
    const doseIds = [...new Set((await this.repo.eventsAtLocation(key)).map((e) => e.doseId).filter((d): d is string => !!d))];
    let held = 0;
    for (const doseId of doseIds) {
      if (!wasInside(await this.repo.eventsOfDose(doseId), key, start, end)) continue;
      const moved = await this.transitions.run(async (w) => {
        const dose = await w.tx.dose(doseId);
        if (!dose) return null;
        if (dose.state === 'quarantined') return 'already';
        if (!canTransition(doseMachine, dose.state, 'quarantined')) return null;
        return w.moveDose(dose, 'quarantined', {
          action: 'quarantined',
          actor: { type: 'system', id: 'cold-chain' },
          location: dose.location,
          ward: exposure.ward,
          evidence: {
            reason: 'cold-chain excursion',
            excursionId: exposure.excursionId,
            storageId: exposure.storageId,
            window: exposure.window,
            storageKind: exposure.storageKind,
            ward: exposure.ward,
            minC: exposure.minC,
            maxC: exposure.maxC,
          },
        });
      });
      if (moved) held++;
    }
    return { quarantined: held };
  }
}
