/**
 * Follows deliveries on their way: robot mission progress moves the doses (in transit,
 * arrived), a compartment reported open without an authorised unlock quarantines its doses,
 * a failed robot leaves the delivery for a human courier, a stopped order recalls the robot,
 * and timers raise an alarm when a delivery is not received in time, later declaring its
 * doses lost. (Administration slots have their own timers: administration-slots.service.ts.)
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import { readCompartments, type State } from '#contracts';
import { canTransition, deliveryMachine, doseMachine, type DeliveryState, type DoseState } from '#domain';
import { CustodyRepository, type DeliveryEntity, type DoseEntity, MissionsRepository } from '#persistence';
import { AlarmsService } from '../alarms/alarms.service.js';
import { EventBus } from '../common/events.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { MissionProgress } from '../fleet/mission-progress.js';
import { MissionsService } from '../fleet/missions.service.js';
import { SiteService } from '../site/site.service.js';
import { PHARMACY_DOCK_KIND, SYSTEM } from './access.js';
import type { Actor } from './custody-ledger.service.js';
import { CustodyTransitions } from './custody-transitions.js';

/** Delivery states in which doses ride a robot behind locked doors. */
const ABOARD = ['loaded', 'dispatched', 'in_transit', 'arrived', 'unlocked', 'recalled', 'returning'];

interface Aboard {
  deliveryId: string;
  compartments: Record<string, string[]>;
  unlocked: Set<string>;
  flagged: Set<string>;
}

@Injectable()
export class DeliveryTrackingService implements OnApplicationBootstrap, OnModuleDestroy {
  /** robot id → the delivery it carries: the tamper check on every robot state stays in memory */
  private readonly aboard = new Map<string, Aboard>();
  private subs: Subscription[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly repo: CustodyRepository,
    private readonly missionsRepo: MissionsRepository,
    private readonly transitions: CustodyTransitions,
    private readonly missions: MissionsService,
    private readonly dispatcher: MissionProgress,
    private readonly site: SiteService,
    private readonly alarms: AlarmsService,
    private readonly bus: EventBus,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const d of await this.repo.deliveriesInStates(ABOARD)) this.track(d);
    const safe = (what: string, p: Promise<unknown>) => void p.catch((err: unknown) => this.logger.error({ err }, what));
    this.subs.push(
      this.bus.on('custody.delivery_changed').subscribe((e) => safe('delivery tracking', this.onDeliveryChanged(e.deliveryId))),
      this.bus.on('mission.changed').subscribe((e) => safe('mission → delivery', this.onMission(e.missionId, e.status))),
      this.bus.on('robot.state').subscribe((e) => this.checkCompartments(e.deviceId, e.state)),
    );
    this.timer = setInterval(() => safe('delivery timers', this.tick(Date.now())), this.config.custody.tickMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    for (const s of this.subs) s.unsubscribe();
  }

  /**
   * Keeps the in-memory view of what a robot carries. Called with every delivery change and,
   * synchronously, by an authorised unlock before the robot gets its command: the robot's next
   * state (compartment UNLOCKED) must never race a database read and be taken for a break-in.
   * Unlocks only accumulate within a delivery, so a stale read cannot take one back.
   */
  track(d: DeliveryEntity): void {
    if (!d.robotId) return;
    if (!ABOARD.includes(d.state) || d.courier) {
      if (this.aboard.get(d.robotId)?.deliveryId === d.id) this.aboard.delete(d.robotId);
      return;
    }
    const prev = this.aboard.get(d.robotId);
    const same = prev?.deliveryId === d.id;
    const unlocked = new Set(d.unlocks.map((u) => u.compartmentId));
    if (same) for (const c of prev.unlocked) unlocked.add(c);
    this.aboard.set(d.robotId, { deliveryId: d.id, compartments: d.compartments, unlocked, flagged: same ? prev.flagged : new Set() });
  }

  private async onDeliveryChanged(id: string): Promise<void> {
    const d = await this.repo.delivery(id);
    if (d) this.track(d);
  }

  private async onMission(missionId: string, status: string): Promise<void> {
    const mission = await this.missionsRepo.findById(missionId);
    const deliveryId = (mission?.cargo as { deliveryId?: string; recall?: boolean } | null)?.deliveryId;
    if (!mission || !deliveryId) return;
    const recall = (mission.cargo as { recall?: boolean }).recall === true;
    const d = await this.repo.delivery(deliveryId);
    if (!d) return;
    const robot: Actor = { type: 'device', id: d.robotId ?? 'robot' };
    if (recall) {
      if (status === 'finished' && d.state === 'returning')
        await this.moveAll(d, 'returned', 'returned', ['recalled_returning'], 'returned', robot, 'pharmacy', { missionId });
      return;
    }
    if (d.missionId !== missionId) return;
    if ((status === 'running' || status === 'at_stop') && d.state === 'dispatched') await this.moveDelivery(d, 'in_transit', robot, { missionId });
    const last = mission.stops.length - 1;
    if (status === 'at_stop' && mission.currentStop === last && ['dispatched', 'in_transit'].includes(d.state)) {
      const fresh = (await this.repo.delivery(d.id))!;
      await this.moveAll(fresh, 'arrived', 'arrived', ['in_transit'], 'arrived', robot, fresh.ward, { missionId, stationNodeId: fresh.stationNodeId });
    }
    if (status === 'failed' && ['dispatched', 'in_transit', 'arrived'].includes(d.state)) {
      await this.moveDelivery(d, 'failed', SYSTEM, { missionId, reason: mission.failureReason });
      await this.alarms.raise({
        type: 'custody.robot_lost',
        subject: d.id,
        ward: d.ward,
        sourceKind: 'delivery',
        sourceId: d.id,
        params: { deliveryId: d.id, robotId: d.robotId, missionId, failure: mission.failureReason },
      });
    }
  }

  /** A compartment of a loaded delivery reported open or unlocked without an authorised unlock. */
  private checkCompartments(robotId: string, state: State): void {
    const a = this.aboard.get(robotId);
    if (!a) return;
    for (const c of readCompartments(state)) {
      if (!a.compartments[c.compartmentId] || a.unlocked.has(c.compartmentId) || a.flagged.has(c.compartmentId)) continue;
      if (c.door === 'OPEN' || c.lock === 'UNLOCKED') {
        a.flagged.add(c.compartmentId);
        void this.quarantineCompartment(a.deliveryId, robotId, c.compartmentId, c).catch((err: unknown) => this.logger.error({ err }, 'quarantine failed'));
      }
    }
  }

  private async quarantineCompartment(deliveryId: string, robotId: string, compartmentId: string, observed: { door: string; lock: string }): Promise<void> {
    const d = await this.repo.delivery(deliveryId);
    if (!d) return;
    const ids = new Set(d.compartments[compartmentId] ?? []);
    const moved = await this.transitions.run(async (w) => {
      const out: DoseEntity[] = [];
      // an authorised unlock committed meanwhile is not a break-in
      if ((await w.tx.delivery(d.id))?.unlocks.some((u) => u.compartmentId === compartmentId)) return null;
      for (const dose of await w.tx.dosesOfDelivery(d.id)) {
        if (!ids.has(dose.id) || !canTransition(doseMachine, dose.state, 'quarantined') || dose.state === 'received') continue;
        out.push(
          await w.moveDose(dose, 'quarantined', {
            action: 'quarantined',
            actor: { type: 'device', id: robotId },
            location: `robot:${robotId}:${compartmentId}`,
            ward: d.ward,
            evidence: { reason: 'compartment opened without an authorised unlock', compartmentId, observed },
          }),
        );
      }
      return out;
    });
    if (!moved) return;
    await this.alarms.raise({
      type: 'custody.compartment_forced',
      subject: `${deliveryId}:${compartmentId}`,
      ward: d.ward,
      sourceKind: 'delivery',
      sourceId: d.id,
      params: { deliveryId, robotId, compartmentId, doses: moved.map((x) => x.id) },
    });
  }

  /** A stopped order recalls the delivery carrying its doses: the robot comes back to the pharmacy. */
  async recall(deliveryId: string, reason: string, actor: Actor): Promise<void> {
    const d = await this.repo.delivery(deliveryId);
    if (!d || !d.robotId || !canTransition(deliveryMachine, d.state, 'recalled')) return;
    if (d.missionId) await this.dispatcher.cancel(d.missionId, actor.id).catch(() => undefined);
    await this.moveAll(d, 'recalled', 'recalled', ['loaded', 'in_transit', 'arrived'], 'recalled_returning', actor, `robot:${d.robotId}`, { reason });
    const dock = this.site.graph.nodesOfKind(PHARMACY_DOCK_KIND)[0]?.id;
    if (!dock) return;
    const back = await this.missions.create(
      { stops: [{ nodeId: dock, actions: [] }], priority: 'urgent', requiredRobotId: d.robotId, cargo: { deliveryId: d.id, recall: true } },
      null,
    );
    const fresh = (await this.repo.delivery(d.id))!;
    await this.moveDelivery(fresh, 'returning', actor, { missionId: back.id });
  }

  private async moveDelivery(d: DeliveryEntity, to: DeliveryState, actor: Actor, evidence: Record<string, unknown>): Promise<void> {
    await this.transitions.run(async (w) => {
      const fresh = (await w.tx.delivery(d.id))!;
      return w.moveDelivery(fresh, to, { actor, location: fresh.ward, evidence });
    });
  }

  /** Moves the delivery and every dose of it in one of `fromDoseStates` in one transaction. */
  private async moveAll(
    d: DeliveryEntity,
    deliveryTo: DeliveryState,
    action: string,
    fromDoseStates: DoseState[],
    doseTo: DoseState,
    actor: Actor,
    location: string,
    evidence: Record<string, unknown>,
  ): Promise<void> {
    await this.transitions.run(async (w) => {
      const fresh = (await w.tx.delivery(d.id))!;
      for (const dose of await w.tx.dosesOfDelivery(fresh.id)) {
        if (!fromDoseStates.includes(dose.state)) continue;
        await w.moveDose(dose, doseTo, { action, actor, location, ward: fresh.ward, evidence });
      }
      if (deliveryTo === 'arrived') fresh.arrivedAt = new Date();
      return w.moveDelivery(fresh, deliveryTo, { actor, location, evidence });
    });
  }

  /** Timers: receipt overdue → alarm; much later → lost. */
  async tick(now: number): Promise<void> {
    const c = this.config.custody;
    for (const d of await this.repo.deliveriesInStates(['dispatched', 'in_transit', 'arrived', 'failed'])) {
      const since = (d.arrivedAt ?? d.dispatchedAt ?? d.updatedAt).getTime();
      if (now - since > c.receiptAlarmMs && !this.alarms.isOpen(`custody.receipt_overdue:${d.id}`)) {
        await this.alarms.raise({
          type: 'custody.receipt_overdue',
          subject: d.id,
          ward: d.ward,
          sourceKind: 'delivery',
          sourceId: d.id,
          params: { deliveryId: d.id, minutes: Math.round((now - since) / 60000), state: d.state },
        });
      }
      if (now - since > c.lostAfterMs) await this.declareLost(d);
    }
  }

  private async declareLost(d: DeliveryEntity): Promise<void> {
    const evidence = { reason: 'not received within the limit', since: (d.arrivedAt ?? d.dispatchedAt)?.toISOString() ?? null };
    const doses = await this.transitions.run(async (w) => {
      const fresh = (await w.tx.delivery(d.id))!;
      const doses: DoseEntity[] = [];
      const by = { actor: SYSTEM, ward: fresh.ward, evidence };
      for (const dose of await w.tx.dosesOfDelivery(fresh.id)) {
        if (dose.state === 'arrived') await w.moveDose(dose, 'receipt_discrepancy', { ...by, action: 'receipt_discrepancy', location: fresh.ward });
        if (dose.state === 'in_transit' || dose.state === 'receipt_discrepancy')
          doses.push(await w.moveDose(dose, 'lost', { ...by, action: 'lost', location: dose.location }));
      }
      if (canTransition(deliveryMachine, fresh.state, 'failed')) {
        await w.moveDelivery(fresh, 'failed', { actor: SYSTEM, location: fresh.ward, evidence });
      } else {
        // nothing to move: the delivery is only touched (already failed, waiting for a courier)
        fresh.updatedAt = new Date();
        await w.tx.save(fresh);
      }
      return doses;
    });
    if (doses.length) {
      await this.alarms.raise({
        type: 'custody.doses_lost',
        subject: d.id,
        ward: d.ward,
        sourceKind: 'delivery',
        sourceId: d.id,
        params: { deliveryId: d.id, doses: doses.map((x) => x.id) },
      });
    }
    this.logger.warn({ deliveryId: d.id, lost: doses.length, id: randomUUID() }, 'delivery doses declared lost');
  }
}
