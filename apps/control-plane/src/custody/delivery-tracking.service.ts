/**
 * Follows deliveries on their way: robot mission progress moves the doses (in transit once
 * the robot departs, arrived), a mission that fails before the robot left the dock returns
 * them to the pharmacy with an alarm, a compartment reported open without an authorised
 * unlock quarantines its doses, a failed robot leaves the delivery for a human courier, a
 * stopped order recalls the robot, and timers raise an alarm when a delivery is not received in time, later declaring its
 * doses lost. (Administration slots have their own timers: administration-slots.service.ts.)
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import { readCompartments, type State } from '#contracts';
import { canTransition, deliveryMachine, doseMachine, type DeliveryState, type DoseState, locationKey, placeOrPharmacy } from '#domain';
import { CustodyRepository, type DeliveryEntity, type DoseEntity, MissionsRepository } from '#persistence';
import { AlarmsService } from '../alarms/alarms.service.js';
import { EventBus } from '../common/events.js';
import { KeyedQueue } from '../common/keyed-queue.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { MissionProgress } from '../fleet/mission-progress.js';
import { MissionsService } from '../fleet/missions.service.js';
import { SiteService } from '../site/site.service.js';
import { PHARMACY_DOCK_KIND, SYSTEM } from './access.js';
import type { Actor } from './custody-ledger.service.js';
import { CustodyTransitions } from './custody-transitions.js';
import { RobotLoadingGate } from './robot-loading-gate.js';

/** Where a delivery's doses are while aboard: each in its compartment (`fallback` for the delivery's own event). */
function aboardOrAt(d: DeliveryEntity, fallback: string): { delivery: string; dose: (dose: DoseEntity) => string } {
  return {
    delivery: fallback,
    dose: (dose) => (d.robotId && dose.compartmentId ? locationKey.robotCompartment(d.robotId, dose.compartmentId) : (dose.location ?? fallback)),
  };
}

/** Delivery states in which doses ride a robot behind locked doors. */
const ABOARD = ['loaded', 'dispatched', 'in_transit', 'arrived', 'unlocked', 'recalled', 'returning'];

interface Aboard {
  deliveryId: string;
  compartments: Record<string, string[]>;
  /** compartments whose unlock the robot confirmed (on the delivery's record) */
  unlocked: Set<string>;
  /** compartments with an unlock sent and not yet confirmed → until when (ms) the robot may still obey it */
  pending: Map<string, number>;
  flagged: Set<string>;
}

@Injectable()
export class DeliveryTrackingService implements OnApplicationBootstrap, OnModuleDestroy {
  /**
   * robot id → the deliveries it carries (one per compartment at most, several per robot):
   * the tamper check on every robot state stays in memory
   */
  private readonly aboard = new Map<string, Map<string, Aboard>>();
  private subs: Subscription[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly perMission = new KeyedQueue();

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
    private readonly robotGate: RobotLoadingGate,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const d of await this.repo.deliveriesInStates(ABOARD)) this.track(d);
    const safe = (what: string, p: Promise<unknown>) => void p.catch((err: unknown) => this.logger.error({ err }, what));
    this.subs.push(
      this.bus.on('custody.delivery_changed').subscribe((e) => safe('delivery tracking', this.onDeliveryChanged(e.deliveryId))),
      // one mission's changes apply in order: a refusal must not overtake the departure before it
      this.bus.on('mission.changed').subscribe((e) =>
        safe(
          'mission → delivery',
          this.perMission.run(e.missionId, () => this.onMission(e.missionId, e.status)),
        ),
      ),
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
    const carried = this.aboard.get(d.robotId);
    if (!ABOARD.includes(d.state) || d.courier) {
      carried?.delete(d.id);
      if (carried?.size === 0) this.aboard.delete(d.robotId);
      return;
    }
    const prev = carried?.get(d.id);
    const unlocked = new Set(d.unlocks.map((u) => u.compartmentId));
    if (prev) for (const c of prev.unlocked) unlocked.add(c);
    const entry: Aboard = {
      deliveryId: d.id,
      compartments: d.compartments,
      unlocked,
      pending: prev ? prev.pending : new Map(),
      flagged: prev ? prev.flagged : new Set(),
    };
    if (carried) carried.set(d.id, entry);
    else this.aboard.set(d.robotId, new Map([[d.id, entry]]));
  }

  /**
   * A nurse's unlock is authorised and about to go to the robot: until `untilMs` the robot
   * showing that compartment UNLOCKED or OPEN is our command at work, not a break-in, though
   * the unlock is on the delivery only once the robot confirms it (then `track` holds it for
   * good). After `untilMs` an unconfirmed unlock is void: a late opening is a break-in again,
   * so one lost command cannot leave a compartment unwatched. Called before sending.
   */
  authorise(d: DeliveryEntity, compartmentId: string, untilMs: number): void {
    this.track(d);
    if (d.robotId) this.aboard.get(d.robotId)?.get(d.id)?.pending.set(compartmentId, untilMs);
  }

  /**
   * The robot refused that unlock: the compartment is guarded again, unless an earlier unlock of
   * it was confirmed. (After a mere timeout the authorisation stays: the robot may still obey.)
   */
  withdraw(d: DeliveryEntity, compartmentId: string): void {
    if (d.robotId) this.aboard.get(d.robotId)?.get(d.id)?.pending.delete(compartmentId);
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
    let d = await this.repo.delivery(deliveryId);
    if (!d) return;
    const robot: Actor = { type: 'device', id: d.robotId ?? 'robot' };
    if (recall) {
      if (status === 'finished' && d.state === 'returning')
        await this.moveAll(d, 'returned', 'returned', ['recalled_returning'], 'returned', robot, 'pharmacy', { missionId });
      return;
    }
    if (d.missionId !== missionId) return;
    if (status === 'failed' && d.state === 'dispatched' && !(await this.departed(missionId)) && this.stillAtDock(d.robotId)) {
      await this.dispatchRefused(d, missionId, mission.failureReason);
      return;
    }
    // a failed mission that did get going (its running event was not heard) departed all the same
    if (['running', 'at_stop', 'failed'].includes(status) && d.state === 'dispatched') {
      await this.depart(d, robot, missionId);
      d = (await this.repo.delivery(d.id))!;
    }
    const last = mission.stops.length - 1;
    if (status === 'at_stop' && mission.currentStop === last && ['dispatched', 'in_transit'].includes(d.state)) {
      const fresh = (await this.repo.delivery(d.id))!;
      // arrived, the doses are still in their compartments: only a receipt scan takes them out
      await this.moveAll(fresh, 'arrived', 'arrived', ['in_transit'], 'arrived', robot, aboardOrAt(fresh, fresh.ward), {
        missionId,
        stationNodeId: fresh.stationNodeId,
      });
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

  /**
   * Whether the robot is still parked at the pharmacy dock by its own report (not driving, at a
   * dock node). A mission whose start went unheard may have left all the same: only a robot
   * seen at the dock had its order refused before departure.
   */
  private stillAtDock(robotId: string | null): boolean {
    if (!robotId) return false;
    const r = this.robotGate.summary(robotId);
    return r.hasState && !r.driving && r.nodeId !== null && this.robotGate.dockNodeIds().includes(r.nodeId);
  }

  /** Whether the mission ever got going: its history shows it running or at a stop. */
  private async departed(missionId: string): Promise<boolean> {
    return (await this.missionsRepo.history(missionId)).some((e) => e.status === 'running' || e.status === 'at_stop');
  }

  /**
   * The robot left the dock: the delivery and its sealed doses are in transit from here (not
   * from dispatch, which only asked the robot to go).
   */
  private async depart(d: DeliveryEntity, robot: Actor, missionId: string): Promise<void> {
    await this.transitions.run(async (w) => {
      const fresh = (await w.tx.delivery(d.id))!;
      if (fresh.state !== 'dispatched') return null;
      const evidence = { missionId, robotId: fresh.robotId };
      for (const dose of await w.tx.dosesOfDelivery(fresh.id)) {
        if (dose.state !== 'loaded') continue;
        const location = locationKey.robotCompartment(fresh.robotId!, dose.compartmentId!);
        await w.moveDose(dose, 'in_transit', { action: 'departed', actor: robot, location, ward: fresh.ward, evidence });
      }
      return w.moveDelivery(fresh, 'in_transit', { actor: robot, location: fresh.ward, evidence });
    });
  }

  /**
   * The mission failed before the robot ever left (it refused the order, never acknowledged
   * it, or dropped offline at the dock): the doses are still sealed in it at the pharmacy
   * dock. They go back into the pharmacy's custody (`loaded → returned`, unloading before
   * departure), the delivery ends `returned`, and the pharmacy is told to take them out.
   */
  private async dispatchRefused(d: DeliveryEntity, missionId: string, failure: string | null): Promise<void> {
    const returned = await this.transitions.run(async (w) => {
      const fresh = (await w.tx.delivery(d.id))!;
      if (fresh.state !== 'dispatched') return null;
      const evidence = { missionId, robotId: fresh.robotId, reason: 'the robot did not start the delivery', failure };
      const doses: DoseEntity[] = [];
      for (const dose of await w.tx.dosesOfDelivery(fresh.id)) {
        if (dose.state !== 'loaded') continue;
        doses.push(
          await w.moveDose(dose, 'returned', { action: 'dispatch_refused', actor: SYSTEM, location: locationKey.pharmacy(), ward: fresh.ward, evidence }),
        );
      }
      await w.moveDelivery(fresh, 'returned', { action: 'dispatch_refused', actor: SYSTEM, location: locationKey.pharmacy(), evidence });
      return doses;
    });
    if (!returned) return;
    await this.alarms.raise({
      type: 'custody.dispatch_refused',
      subject: d.id,
      ward: d.ward,
      sourceKind: 'delivery',
      sourceId: d.id,
      params: { deliveryId: d.id, robotId: d.robotId, missionId, failure, doses: returned.map((x) => x.id) },
    });
  }

  /** A compartment of a loaded delivery reported open or unlocked without an authorised unlock. */
  private checkCompartments(robotId: string, state: State): void {
    const carried = this.aboard.get(robotId);
    if (!carried) return;
    const now = Date.now();
    for (const c of readCompartments(state)) {
      if (c.door !== 'OPEN' && c.lock !== 'UNLOCKED') continue;
      for (const a of carried.values()) {
        if (!a.compartments[c.compartmentId] || a.unlocked.has(c.compartmentId) || a.flagged.has(c.compartmentId)) continue;
        if ((a.pending.get(c.compartmentId) ?? 0) >= now) continue;
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
    await this.moveAll(d, 'recalled', 'recalled', ['loaded', 'in_transit', 'arrived'], 'recalled_returning', actor, aboardOrAt(d, `robot:${d.robotId}`), {
      reason,
    });
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
    location: string | { delivery: string; dose: (dose: DoseEntity) => string },
    evidence: Record<string, unknown>,
  ): Promise<void> {
    const at = typeof location === 'string' ? { delivery: location, dose: () => location } : location;
    await this.transitions.run(async (w) => {
      const fresh = (await w.tx.delivery(d.id))!;
      for (const dose of await w.tx.dosesOfDelivery(fresh.id)) {
        if (!fromDoseStates.includes(dose.state)) continue;
        await w.moveDose(dose, doseTo, { action, actor, location: at.dose(dose), ward: fresh.ward, evidence });
      }
      if (deliveryTo === 'arrived') fresh.arrivedAt = new Date();
      return w.moveDelivery(fresh, deliveryTo, { actor, location: at.delivery, evidence });
    });
  }

  /** Timers: receipt overdue → alarm; much later → lost. */
  async tick(now: number): Promise<void> {
    const c = this.config.custody;
    for (const d of await this.repo.deliveriesInStates(['dispatched', 'in_transit', 'arrived', 'failed', 'escalated_manual'])) {
      // a mission that failed before its delivery was saved as dispatched went unheard by onMission
      const missionId = d.missionId;
      if (d.state === 'dispatched' && missionId && (await this.missionsRepo.findById(missionId))?.status === 'failed') {
        await this.perMission.run(missionId, () => this.onMission(missionId, 'failed'));
        continue;
      }
      // a courier's delivery is timed from the hand-over (its last change before the receipt)
      const since = (d.state === 'escalated_manual' ? d.updatedAt : (d.arrivedAt ?? d.dispatchedAt ?? d.updatedAt)).getTime();
      // a delivery still waiting at the dock has its doses sealed there: overdue, but not lost
      const atDock = d.state === 'dispatched';
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
      // a courier is a named person holding the doses: overdue is raised, "lost" is the pharmacy's call
      if (now - since > c.lostAfterMs && !atDock && d.state !== 'escalated_manual') await this.declareLost(d);
    }
  }

  private async declareLost(d: DeliveryEntity): Promise<void> {
    const evidence = { reason: 'not received within the limit', since: (d.arrivedAt ?? d.dispatchedAt)?.toISOString() ?? null };
    const doses = await this.transitions.run(async (w) => {
      const fresh = (await w.tx.delivery(d.id))!;
      const doses: DoseEntity[] = [];
      const by = { actor: SYSTEM, ward: fresh.ward, evidence };
      for (const dose of await w.tx.dosesOfDelivery(fresh.id)) {
        if (dose.state === 'arrived')
          await w.moveDose(dose, 'receipt_discrepancy', { ...by, action: 'receipt_discrepancy', location: placeOrPharmacy(dose.location) });
        // lost is a place of its own, from now on; the last known one stays on the record
        if (dose.state === 'in_transit' || dose.state === 'receipt_discrepancy')
          doses.push(
            await w.moveDose(dose, 'lost', {
              ...by,
              action: 'lost',
              location: locationKey.lost(),
              evidence: { ...evidence, lastKnownLocation: dose.location },
            }),
          );
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
