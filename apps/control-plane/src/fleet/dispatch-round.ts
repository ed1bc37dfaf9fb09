/**
 * The fleet controller's loop. Each round: the order channel's follow-up (resends, give-ups)
 * and the offline timeouts (MissionProgress.onClock), then queued missions are matched to
 * robots (libs/domain planDispatch: stat before urgent before routine, earliest arrival,
 * battery for the route plus a reserve), each assigned mission gets its VDA 5050 order, and
 * idle robots low on battery are sent to a charger. Why a queued mission still waits is kept
 * in the ActiveMissions read model and announced when it changes, so stations see it live.
 *
 * A round runs every DISPATCH_INTERVAL_MS and whenever something frees or adds capacity: a
 * mission queued (poke), a mission ended, a robot without a mission coming online.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import {
  buildOrder,
  capabilityProblem,
  DEFAULT_ROBOT_SPEED,
  ConflictError,
  DispatchCosts,
  type DispatchRobot,
  isTerminal,
  joinRoutes,
  missionMachine,
  type MissionStatus,
  planDispatch,
  type Route,
  robotsNeedingCharge,
  speedOf,
  type StopActionSpec,
  toDispatchMission,
  toDispatchRobot,
} from '#domain';
import { type MissionEntity, MissionsRepository } from '#persistence';
import { EventBus } from '../common/events.js';
import { outsideIdempotencyScope } from '../common/idempotency.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { SiteService } from '../site/site.service.js';
import { type ActiveMission, ActiveMissions } from './active-missions.js';
import { MissionLifecycle } from './mission-lifecycle.js';
import { MissionProgress } from './mission-progress.js';
import { OrderChannel } from './order-channel.js';
import { CHARGE_NEEDS, RobotChargeCheck } from './robot-charge-check.js';
import type { RobotAddress } from './robot-commands.service.js';
import { type LiveRobot, RobotStateService } from './robot-state.service.js';

@Injectable()
export class DispatchRound implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private again = false;
  /** when the running round started, and when the last one ended (for /health) */
  private roundStartedAt: number | null = null;
  private lastRoundEndedAt = Date.now();
  private subs: Subscription[] = [];
  /**
   * Shortest-time trees and mission legs cached across dispatch rounds: the site graph does
   * not change while the server runs, and a cold round on a large site costs tens of ms while
   * a warm one stays under a millisecond (bench/dispatch).
   */
  private costs: DispatchCosts | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly missions: MissionsRepository,
    private readonly robots: RobotStateService,
    private readonly site: SiteService,
    private readonly lifecycle: MissionLifecycle,
    private readonly active: ActiveMissions,
    private readonly orders: OrderChannel,
    private readonly progress: MissionProgress,
    private readonly bus: EventBus,
    private readonly chargeCheck: RobotChargeCheck,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.warmCosts();
    await this.progress.start();
    this.subs.push(
      // a robot freed by its mission's end takes the next one at once
      this.bus.on('mission.changed').subscribe((e) => {
        if (isTerminal(missionMachine, e.status as MissionStatus)) this.poke();
      }),
      this.bus.on('robot.connection').subscribe(({ deviceId, connection }) => {
        if (connection === 'ONLINE' && !this.active.isBusy(deviceId)) this.poke();
      }),
    );
    this.timer = setInterval(() => this.poke(), this.config.fleet.dispatchIntervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    for (const s of this.subs) s.unsubscribe();
  }

  /**
   * The loop's pulse. A round that never ends stops every mission (no dispatch, no resends, no
   * offline timeouts) while robots still look fine, so /health reports it.
   */
  loopState(now = Date.now()): { lastRoundAgoMs: number; roundRunningForMs: number } {
    return { lastRoundAgoMs: now - this.lastRoundEndedAt, roundRunningForMs: this.roundStartedAt === null ? 0 : now - this.roundStartedAt };
  }

  /** Runs a dispatch round now (coalesced: at most one runs at a time, one more queued). */
  poke(): void {
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    this.roundStartedAt = Date.now();
    // a round a request set off runs for everyone, outside that request's Idempotency-Key scope
    void outsideIdempotencyScope(() => this.tick())
      .catch((err: unknown) => this.logger.error({ err }, 'dispatch round failed'))
      .finally(() => {
        this.ticking = false;
        this.roundStartedAt = null;
        this.lastRoundEndedAt = Date.now();
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  private async tick(): Promise<void> {
    await this.progress.onClock(Date.now());
    // plans wait for the stored factsheets: before them, a robot that has not resent its own
    // would be planned as one without a factsheet (a wrong no_capable_robot, a wrong robot)
    await this.robots.factsheetsLoaded();
    const all = await this.missions.findByStatus(['queued']);
    const robots = this.robotSnapshots();
    const waiting = new Map<string, string>();
    const starts: { m: MissionEntity; robotId: string; approach: Route; what: string }[] = [];
    // a trip to the charger is not held to the battery rule that protects deliveries: the
    // robot goes as soon as it is free
    for (const m of all.filter((x) => x.kind === 'charge')) {
      const r = robots.find((x) => x.id === m.requiredRobotId);
      if (!r || r.busy || !r.online || !r.currentNodeId || r.eStopActive || r.hasFatalError) {
        waiting.set(m.id, 'required_robot_unavailable: the robot is busy, offline or not located');
        continue;
      }
      const gap = capabilityProblem(r, toDispatchMission(m));
      if (gap) {
        waiting.set(m.id, `no_capable_robot: robot '${r.id}' ${gap.detail}`);
        continue;
      }
      starts.push({ m, robotId: r.id, approach: this.site.graph.planRoute(r.currentNodeId, m.stops[0]!.nodeId, { speed: r.speed }), what: 'charge mission' });
      r.busy = true;
    }
    const queued = all.filter((x) => x.kind !== 'charge');
    if (queued.length > 0) {
      const byId = new Map(queued.map((m) => [m.id, m]));
      this.costs ??= new DispatchCosts(this.site.graph);
      const plan = planDispatch(this.site.graph, queued.map(toDispatchMission), robots, this.costs);
      for (const u of plan.unassigned) waiting.set(u.missionId, `${u.reason}: ${u.detail}`);
      for (const a of plan.assignments) starts.push({ m: byId.get(a.missionId)!, robotId: a.robotId, approach: a.approach, what: 'mission' });
    }
    this.announceWaiting(all, waiting, new Set(starts.map((s) => s.m.id)));
    for (const s of starts) {
      await this.start(s.m, s.robotId, s.approach).catch((err: unknown) => this.logger.error({ err, missionId: s.m.id }, `could not start ${s.what}`));
    }
    await this.sendLowBatteryRobotsToCharge(robots);
  }

  /**
   * Keeps this round's waiting reasons and announces the queued missions whose reason changed
   * (not every round: only news). A mission being assigned now is announced by its assignment.
   */
  private announceWaiting(queued: MissionEntity[], waiting: Map<string, string>, starting: ReadonlySet<string>): void {
    const changed = new Set(this.active.replaceWaiting(waiting));
    for (const m of queued) if (changed.has(m.id) && !starting.has(m.id)) this.lifecycle.announce(m);
  }

  /**
   * Prebuilds what the first dispatch round would otherwise compute cold: the approach tree of
   * each pharmacy dock and the legs dock → every ward station, at the default speed.
   */
  private warmCosts(): void {
    const graph = this.site.graph;
    this.costs ??= new DispatchCosts(graph);
    const stations = graph.nodesOfKind('ward_station').map((n) => n.id);
    for (const dock of graph.nodesOfKind('pharmacy_dock')) {
      this.costs.approachTree(dock.id, DEFAULT_ROBOT_SPEED);
      for (const station of stations)
        this.costs.missionLegs({ id: 'warm-up', priority: 'routine', createdAt: new Date(0), firstStop: dock.id, stops: [station] }, DEFAULT_ROBOT_SPEED);
    }
  }

  private robotSnapshots(): DispatchRobot[] {
    // a robot still finishing a cancelled order (driving to its next node) is not free yet: a
    // new order would be refused until its old one has wound down
    const windingDown = (r: LiveRobot) => !!r.state && (r.state.driving || r.state.nodeStates.length > 0);
    return this.robots
      .all()
      .map((r) => toDispatchRobot(r, this.currentNode(r), this.active.isBusy(r.deviceId) || windingDown(r), this.config.fleet.batteryReservePct));
  }

  private currentNode(r: LiveRobot): string | null {
    const graph = this.site.graph;
    const last = r.state?.lastNodeId;
    if (last && graph.hasNode(last)) return last;
    const p = r.position;
    if (p && p.positionInitialized !== false) return graph.nearestNode(p.mapId, p.x, p.y)?.node.id ?? null;
    return null;
  }

  /** Assigns the mission to the robot and sends it its order. */
  private async start(m: MissionEntity, robotId: string, approach: Route): Promise<void> {
    const r = this.robots.get(robotId);
    if (!r) return;
    const robot: RobotAddress = { deviceId: r.deviceId, interfaceName: r.interfaceName, manufacturer: r.manufacturer, serialNumber: r.serialNumber };
    const speed = speedOf(r);
    let route = approach;
    for (let i = 1; i < m.stops.length; i++) route = joinRoutes(route, this.site.graph.planRoute(m.stops[i - 1]!.nodeId, m.stops[i]!.nodeId, { speed }));
    // VDA 5050 base/horizon: only the way to the first stop is released; the rest is horizon,
    // released by a stitched order update once the robot has reached the end of the base
    const built = buildOrder({
      orderId: `mission-${m.id}`,
      route,
      graph: this.site.graph,
      stops: m.stops.map((s) => ({ nodeId: s.nodeId, actions: s.actions as StopActionSpec[] })),
      ...(m.stops.length > 1 ? { releaseThroughStop: 0 } : {}),
      ...(r.position ? { startTheta: r.position.theta } : {}),
    });
    try {
      await this.lifecycle.transition(
        m,
        'assigned',
        'assigned',
        { robotId, etaS: Math.round(approach.durationS) },
        {
          robotId,
          orderId: built.order.orderId,
          orderUpdateId: built.order.orderUpdateId,
          orderBody: built as unknown as Record<string, unknown>,
          currentStop: 0,
        },
      );
    } catch (err) {
      // cancelled (or otherwise moved) since this round read it: the move that came first stands
      if (err instanceof ConflictError && err.code === 'mission_changed') return;
      throw err;
    }
    const a: ActiveMission = { mission: m, robot, built, tracker: this.orders.newTracker(), pauses: new Set(), offlineSince: null };
    this.active.add(a);
    await this.orders.send(a, 'sent');
  }

  private async sendLowBatteryRobotsToCharge(robots: DispatchRobot[]): Promise<void> {
    // a robot whose factsheet does not declare startCharging is not sent to a charger it could
    // only stand at (VDA 5050 makes every action conditional on the robot's capability); it
    // raises robot.cannot_charge instead of draining unnoticed
    this.chargeCheck.check(robots, this.config.fleet.lowBatteryPct);
    const idle = robots.filter(
      (r) => !r.busy && !r.charging && r.online && r.batteryPct < this.config.fleet.lowBatteryPct && !capabilityProblem(r, { needs: CHARGE_NEEDS }),
    );
    if (idle.length === 0) return;
    const queued = await this.missions.findByStatus(['queued']);
    const alreadyGoing = new Set(queued.filter((m) => m.kind === 'charge').map((m) => m.requiredRobotId));
    const plan = robotsNeedingCharge(
      this.site.graph,
      idle.filter((r) => !alreadyGoing.has(r.id)),
      this.config.fleet.lowBatteryPct,
    );
    for (const c of plan.assignments) {
      await this.lifecycle.create(
        {
          kind: 'charge',
          priority: 'routine',
          stops: [{ nodeId: c.chargerNodeId, actions: [{ kind: 'startCharging' }] }],
          requiredRobotId: c.robotId,
          cargo: null,
          createdBy: 'fleet',
        },
        { reason: 'low battery', batteryPct: robots.find((r) => r.id === c.robotId)?.batteryPct },
      );
      this.poke();
    }
  }
}
