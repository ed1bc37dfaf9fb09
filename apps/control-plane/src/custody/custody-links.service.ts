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
import { canTransition, doseMachine, locationHistory, locationKey, parseLocation, placeOrPharmacy, wasAt } from '#domain';
import { CustodyRepository } from '#persistence';
import type { AlarmView } from '#contracts';
import { AlarmsService } from '../alarms/alarms.service.js';
import { ColdChainService } from '../cold-chain/cold-chain.service.js';
import { type DomainEventMap, EventBus } from '../common/events.js';
import { KeyedQueue } from '../common/keyed-queue.js';
import { LOGGER } from '../common/logger.js';
import { CustodyLedger } from './custody-ledger.service.js';
import { CustodyTransitions } from './custody-transitions.js';

/** What custody needs of a cold-chain excursion to find the doses it exposed. */
export type ColdChainExposure = Pick<DomainEventMap['coldchain.excursion'], 'excursionId' | 'storageId' | 'storageKind' | 'ward' | 'window' | 'minC' | 'maxC'>;

/** The custody location of a cold-chain storage (libs/domain dose-location's grammar). */
export function locationKeyOf(exposure: Pick<ColdChainExposure, 'storageId' | 'storageKind'>): string {
  if (exposure.storageKind === 'robot_compartment') {
    const [robot, compartment] = exposure.storageId.split('/');
    return locationKey.robotCompartment(robot ?? '', compartment ?? '');
  }
  if (exposure.storageKind === 'cabinet_drawer') {
    const [cabinet, drawer] = exposure.storageId.split('/');
    return locationKey.cabinetDrawer(cabinet ?? '', drawer ?? '');
  }
  return locationKey.fridge(exposure.storageId);
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
    private readonly alarms: AlarmsService,
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
          location: a.ward ? locationKey.ward(a.ward) : locationKey.pharmacy(),
          ward: a.ward,
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

  /**
   * Every dose whose stay at the storage overlaps the exposure window is quarantined, wherever
   * it is now (on a robot, on the ward, at the bedside): the interval history comes from the
   * dose's own custody events. Idempotent: a dose already quarantined counts, without a
   * second event.
   */
  async quarantineExposed(exposure: ColdChainExposure): Promise<{ quarantined: number }> {
    const key = locationKeyOf(exposure);
    const start = Date.parse(exposure.window.start);
    const end = exposure.window.end ? Date.parse(exposure.window.end) : Date.now();
    const doseIds = [
      ...new Set((await this.repo.eventsAtLocation(key)).filter((e) => e.doseId && parseLocation(e.location)?.key === key).map((e) => e.doseId!)),
    ];
    let held = 0;
    const given: string[] = [];
    for (const doseId of doseIds) {
      if (!wasAt(locationHistory(await this.repo.eventsOfDose(doseId)), key, start, end)) continue;
      const moved = await this.transitions.run(async (w) => {
        const dose = await w.tx.dose(doseId);
        if (!dose) return null;
        if (dose.state === 'quarantined') return 'already';
        if (dose.state === 'administered') given.push(dose.id);
        if (!canTransition(doseMachine, dose.state, 'quarantined')) return null;
        const ward = exposure.ward ?? (await w.tx.patient(dose.patientId))?.ward ?? null;
        return w.moveDose(dose, 'quarantined', {
          action: 'quarantined',
          actor: { type: 'system', id: 'cold-chain' },
          location: placeOrPharmacy(dose.location),
          ward,
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
    // a patient already received a dose that was inside: nothing to hold, someone must know
    if (given.length)
      await this.alarms.raise({
        type: 'coldchain.exposed_dose_given',
        subject: exposure.excursionId,
        ward: exposure.ward,
        sourceKind: exposure.storageKind,
        sourceId: exposure.storageId,
        params: { storageId: exposure.storageId, excursionId: exposure.excursionId, doses: given },
        details: { targetRoles: ['pharmacist', 'ward_pharmacist'] },
      });
    return { quarantined: held };
  }
}
