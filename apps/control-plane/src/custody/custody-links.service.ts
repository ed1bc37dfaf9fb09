/**
 * Custody's side of the contracts other features define: cabinets ask whether an order is
 * verified before opening a pocket; a cabinet removal for an order is recorded on the order's
 * custody chain (the source of the unit the pharmacist then scans at picking); and a
 * cold-chain quarantine quarantines every dose that was inside the storage during the
 * exposure window, wherever the dose is now.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import { doseMachine } from '#domain';
import { CustodyRepository, type CustodyEventEntity } from '#persistence';
import { ORDER_VERIFICATION, type OrderVerificationRegistry } from '../cabinets/order-verification.js';
import { EventBus } from '../common/events.js';
import { LOGGER } from '../common/logger.js';
import { COLD_CHAIN_QUARANTINE, type ColdChainExposure, type ColdChainHooks } from '../cold-chain/cold-chain.hooks.js';
import { CustodyLedger } from './custody-ledger.service.js';
import { DeliveryPharmacyService } from './delivery-pharmacy.service.js';

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
  private sub: Subscription | undefined;

  constructor(
    @Inject(ORDER_VERIFICATION) private readonly verification: OrderVerificationRegistry,
    @Inject(COLD_CHAIN_QUARANTINE) private readonly coldChain: ColdChainHooks,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly repo: CustodyRepository,
    private readonly ledger: CustodyLedger,
    private readonly pharmacy: DeliveryPharmacyService,
    private readonly bus: EventBus,
  ) {}

  onApplicationBootstrap(): void {
    this.verification.useLookup(async (orderId) => (await this.repo.order(orderId))?.status === 'verified');
    this.coldChain.register({ quarantineExposedDoses: (e) => this.quarantineExposed(e) });
    this.sub = this.bus.on('cabinet.removed').subscribe((e) => {
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
    });
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
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
      const moved = await this.ledger.run(async (tx, record) => {
        const dose = await tx.dose(doseId);
        if (!dose) return null;
        if (dose.state === 'quarantined') return 'already';
        if (!doseMachine.states[dose.state].to.includes('quarantined' as never)) return null;
        this.pharmacy.move(record, dose, 'quarantined', 'quarantined', { type: 'system', id: 'cold-chain' }, dose.location, {
          reason: 'cold-chain excursion',
          excursionId: exposure.excursionId,
          storageId: exposure.storageId,
          window: exposure.window,
          ...(exposure as { minC?: number; maxC?: number }),
        });
        return tx.save(dose);
      });
      if (moved) held++;
      if (moved && moved !== 'already') this.pharmacy.doseChanged(moved, exposure.ward);
    }
    return { quarantined: held };
  }
}
