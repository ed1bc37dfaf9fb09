/**
 * The fleet controller's loop. It assigns queued missions to robots (libs/domain planDispatch:
 * stat before urgent before routine, earliest arrival, battery for the route plus a reserve),
 * sends each robot its VDA 5050 order, and — because orders travel at QoS 0 — counts an order
 * as accepted only when the robot's state echoes its orderId/orderUpdateId, resending it with
 * the same ids until it does or the attempts run out (then the mission fails with an alarm).
 * Robot states drive mission progress; a robot that drops offline, reports a FATAL error or an
 * emergency stop pauses or fails its mission visibly, with an alarm, and announces the cargo
 * for the custody logic. Idle robots low on battery are sent to a charger.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import type { State } from '#contracts';
import {
  ACTIVE_MISSION_STATUSES,
  type BuiltOrder,
  ConflictError,
  DispatchCosts,
  type DispatchMission,
  type DispatchRobot,
  type MissionStatus,
  OrderTracker,
  type Route,
  assertTransition,
  buildOrder,
  buildOrderUpdate,
  deriveProgress,
  lastBaseIndex,
  missionMachine,
  planDispatch,
  robotsNeedingCharge,
  type StopActionSpec,
} from '#domain';
import { DevicesRepository, type MissionEntity, MissionsRepository, newQueuedMission } from '#persistence';
import { AlarmsService } from '../alarms/alarms.service.js';
import { EventBus } from '../common/events.js';
import { KeyedQueue } from '../common/keyed-queue.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { SiteService } from '../site/site.service.js';
import { type OrderBody, type RobotAddress, RobotCommandsService } from './robot-commands.service.js';
import { type LiveRobot, RobotStateService } from './robot-state.service.js';
import { outsideIdempotencyScope } from '../common/idempotency.js';

interface ActiveMission {
  mission: MissionEntity;
  robot: RobotAddress;
  /** the order body as sent, and where each stop's actions sit in it */
  built: BuiltOrder;
  tracker: OrderTracker;
  /** why the mission is paused: a user, an e-stop, or the robot's link */
  pauses: Set<'user' | 'estop' | 'offline'>;
  offlineSince: number | null;
}

/** Cruising speed assumed when a robot's factsheet does not say (m/s). */
const DEFAULT_SPEED = 1.0;
/** Battery percentage points per metre assumed when a robot does not report its range. */
const DEFAULT_PCT_PER_M = 0.05;

@Injectable()
export class FleetDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly active = new Map<string, ActiveMission>(); // by robot device id
  private readonly waiting = new Map<string, string>(); // mission id → why it waits
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
  private readonly perRobot = new KeyedQueue();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly missions: MissionsRepository,
    private readonly devices: DevicesRepository,
    private readonly robots: RobotStateService,
    private readonly commands: RobotCommandsService,
    private readonly site: SiteService,
    private readonly alarms: AlarmsService,
    private readonly bus: EventBus,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.warmCosts();
    await this.recover();
    this.subs.push(
      this.bus.on('robot.state').subscribe(
        ({ deviceId, state }) =>
          // one robot's events are handled in order: a state must not overtake the previous
          // one while that is still saving progress or sending an order update
          void this.perRobot
            .run(deviceId, () => this.onRobotState(deviceId, state))
            .catch((err: unknown) => this.logger.error({ err, deviceId }, 'mission progress failed')),
      ),
      this.bus
        .on('robot.connection')
        .subscribe(
          ({ deviceId, connection }) =>
            void this.perRobot
              .run(deviceId, () => this.onRobotConnection(deviceId, connection))
              .catch((err: unknown) => this.logger.error({ err, deviceId }, 'connection handling failed')),
        ),
    );
    this.timer = setInterval(() => this.poke(), this.config.fleet.dispatchIntervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    for (const s of this.subs) s.unsubscribe();
  }

  waitingReason(missionId: string): string | null {
    return this.waiting.get(missionId) ?? null;
  }

  activeMissionOf(robotId: string): MissionEntity | undefined {
    return this.active.get(robotId)?.mission;
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

  async cancel(missionId: string, by: string): Promise<MissionEntity> {
    const a = [...this.active.values()].find((x) => x.mission.id === missionId);
    if (a) {
      await this.commands.sendInstantActions(a.robot, [{ actionType: 'cancelOrder', actionId: `cancel-${randomUUID()}`, blockingType: 'HARD' }]);
      await this.finish(a, 'cancelled', 'cancelled', { by });
      return a.mission;
    }
    const m = await this.missions.findById(missionId);
    if (!m) throw new ConflictError('mission vanished', 'mission_not_found');
    if (m.status !== 'queued') throw new ConflictError(`mission is ${m.status}`, 'mission_ended', { status: m.status });
    assertTransition(missionMachine, m.status, 'cancelled');
    m.status = 'cancelled';
    m.updatedAt = new Date();
    await this.missions.save(m, 'cancelled', { by });
    this.waiting.delete(m.id);
    return m;
  }

  async setPaused(missionId: string, paused: boolean, by: string): Promise<MissionEntity> {
    const a = [...this.active.values()].find((x) => x.mission.id === missionId);
    if (!a) throw new ConflictError('the mission is not running', 'mission_not_running');
    await this.commands.sendInstantActions(a.robot, [
      { actionType: paused ? 'startPause' : 'stopPause', actionId: `${paused ? 'pause' : 'resume'}-${randomUUID()}`, blockingType: 'HARD' },
    ]);
    if (paused) a.pauses.add('user');
    else a.pauses.delete('user');
    await this.updatePaused(a, paused ? 'paused' : 'resumed', { by });
    return a.mission;
  }

  // ---- the loop ----------------------------------------------------------------------

  private async tick(): Promise<void> {
    const now = Date.now();
    await this.followUpOrders(now);
    await this.failLongOffline(now);
    const all = await this.missions.findByStatus(['queued']);
    const robots = this.robotSnapshots();
    // a trip to the charger is not held to the battery rule that protects deliveries: the
    // robot goes as soon as it is free
    for (const m of all.filter((x) => x.kind === 'charge')) await this.startCharge(m, robots);
    const queued = all.filter((x) => x.kind !== 'charge');
    if (queued.length > 0) {
      const byId = new Map(queued.map((m) => [m.id, m]));
      this.costs ??= new DispatchCosts(this.site.graph);
      const plan = planDispatch(this.site.graph, queued.map(toDispatchMission), robots, this.costs);
      this.waiting.clear();
      for (const u of plan.unassigned) this.waiting.set(u.missionId, `${u.reason}: ${u.detail}`);
      for (const a of plan.assignments) {
        const m = byId.get(a.missionId)!;
        await this.start(m, a.robotId, a.approach).catch((err: unknown) => this.logger.error({ err, missionId: m.id }, 'could not start mission'));
      }
    }
    await this.sendLowBatteryRobotsToCharge(robots);
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
      this.costs.approachTree(dock.id, DEFAULT_SPEED);
      for (const station of stations)
        this.costs.missionLegs({ id: 'warm-up', priority: 'routine', createdAt: new Date(0), firstStop: dock.id, stops: [station] }, DEFAULT_SPEED);
    }
  }

  private async startCharge(m: MissionEntity, robots: DispatchRobot[]): Promise<void> {
    const r = robots.find((x) => x.id === m.requiredRobotId);
    if (!r || r.busy || !r.online || !r.currentNodeId || r.eStopActive || r.hasFatalError) {
      this.waiting.set(m.id, 'required_robot_unavailable: the robot is busy, offline or not located');
      return;
    }
    const approach = this.site.graph.planRoute(r.currentNodeId, m.stops[0]!.nodeId, { speed: r.speed });
    r.busy = true;
    await this.start(m, r.id, approach).catch((err: unknown) => this.logger.error({ err, missionId: m.id }, 'could not start charge mission'));
  }

  private robotSnapshots(): DispatchRobot[] {
    // a robot still finishing a cancelled order (driving to its next node) is not free yet: a
    // new order would be refused until its old one has wound down
    const windingDown = (r: LiveRobot) => !!r.state && (r.state.driving || r.state.nodeStates.length > 0);
    return this.robots
      .all()
      .map((r) => toDispatchRobot(r, this.currentNode(r), this.active.has(r.deviceId) || windingDown(r), this.config.fleet.batteryReservePct));
  }

  private currentNode(r: LiveRobot): string | null {
    const graph = this.site.graph;
    const last = r.state?.lastNodeId;
    if (last && graph.hasNode(last)) return last;
    const p = r.position;
    if (p && p.positionInitialized !== false) return graph.nearestNode(p.mapId, p.x, p.y)?.node.id ?? null;
    return null;
  }

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
    });
    assertTransition(missionMachine, m.status, 'assigned');
    m.status = 'assigned';
    m.robotId = robotId;
    m.orderId = built.order.orderId;
    m.orderUpdateId = built.order.orderUpdateId;
    m.orderBody = built;
    m.currentStop = 0;
    m.updatedAt = new Date();
    await this.missions.save(m, 'assigned', { robotId, etaS: Math.round(approach.durationS) });
    const a: ActiveMission = { mission: m, robot, built, tracker: this.newTracker(robotId), pauses: new Set(), offlineSince: null };
    this.active.set(robotId, a);
    this.waiting.delete(m.id);
    await this.send(a, 'sent');
  }

  private async send(a: ActiveMission, event: 'sent' | 'resent'): Promise<void> {
    const order = a.built.order as OrderBody;
    await this.commands.sendOrder(a.robot, order);
    a.tracker.onSent(order.orderId, order.orderUpdateId, Date.now());
    if (event === 'sent') {
      if (a.mission.status === 'assigned') await this.transition(a, 'sent', 'sent', { orderId: order.orderId, orderUpdateId: order.orderUpdateId });
    } else {
      await this.missions.save(a.mission, 'order_resent', { attempt: a.tracker.tracked?.attempts });
    }
  }

  /**
   * The robot reached the end of its released base: send the order update that releases the
   * rest of the mission, stitched at that node (same orderId, orderUpdateId + 1).
   */
  private async releaseHorizon(a: ActiveMission, state: State): Promise<void> {
    const order = a.built.order;
    if (order.nodes.every((n) => n.released) || a.pauses.size > 0) return;
    const baseEnd = order.nodes[lastBaseIndex(order)]!;
    if (state.orderId !== order.orderId || state.orderUpdateId !== order.orderUpdateId || state.lastNodeSequenceId < baseEnd.sequenceId) return;
    const lastStop = a.built.stops[a.built.stops.length - 1]!;
    a.built = buildOrderUpdate(a.built, { releaseThroughStop: lastStop.stopIndex });
    a.mission.orderUpdateId = a.built.order.orderUpdateId;
    a.mission.orderBody = a.built as unknown as Record<string, unknown>;
    a.mission.updatedAt = new Date();
    await this.missions.save(a.mission, 'order_updated', { orderUpdateId: a.built.order.orderUpdateId, stitchedAt: baseEnd.nodeId });
    const sent = a.built.order as OrderBody;
    await this.commands.sendOrder(a.robot, sent);
    a.tracker.onSent(sent.orderId, sent.orderUpdateId, Date.now());
  }

  /** QoS 0 orders can be lost: resend unacknowledged ones with the same ids, then give up. */
  private async followUpOrders(now: number): Promise<void> {
    for (const a of [...this.active.values()]) {
      if (a.pauses.has('offline')) continue;
      const due = a.tracker.due(now);
      if (due === 'resend') await this.send(a, 'resent');
      else if (due === 'give_up') {
        const t = a.tracker.tracked;
        const refused = t?.status === 'rejected';
        await this.alarms.raise({
          key: `mission.order_unacknowledged:${a.mission.id}`,
          type: 'mission.order_unacknowledged',
          severity: 'critical',
          sourceKind: 'robot',
          sourceId: a.robot.deviceId,
          ward: this.wardOfMission(a.mission),
          message: refused
            ? `robot ${a.robot.serialNumber} refused order ${a.built.order.orderId}: ${t?.rejection?.errorDescription ?? t?.rejection?.errorType}`
            : `robot ${a.robot.serialNumber} never acknowledged order ${a.built.order.orderId} after ${t?.attempts} attempts`,
          details: { missionId: a.mission.id, orderId: a.built.order.orderId, rejection: t?.rejection ?? null },
        });
        await this.finish(a, 'failed', refused ? 'order_refused' : 'order_unacknowledged', { attempts: t?.attempts });
      }
    }
  }

  private async onRobotState(robotId: string, state: State): Promise<void> {
    const a = this.active.get(robotId);
    if (!a) return;
    if (a.tracker.onState(state, Date.now()) === 'acknowledged') {
      // VDA 5050 has no order acknowledgement: the state echoing the ids is the receipt
      await this.missions.save(a.mission, 'order_acknowledged', { orderId: state.orderId, orderUpdateId: state.orderUpdateId });
    }
    const fatal = (state.errors ?? []).find((e) => e.errorLevel === 'FATAL');
    if (fatal) {
      await this.alarms.raise({
        key: `robot.fatal:${robotId}`,
        type: 'robot.fatal_error',
        severity: 'critical',
        sourceKind: 'robot',
        sourceId: robotId,
        ward: this.wardOfMission(a.mission),
        message: `robot ${a.robot.serialNumber} reported a FATAL error mid-mission: ${fatal.errorType}${fatal.errorDescription ? ` (${fatal.errorDescription})` : ''}`,
        details: { missionId: a.mission.id, error: fatal },
      });
      await this.finish(a, 'failed', `robot FATAL error: ${fatal.errorType}`, { error: fatal });
      return;
    }
    const eStop = state.safetyState?.eStop && state.safetyState.eStop !== 'NONE';
    if (eStop && !a.pauses.has('estop')) {
      a.pauses.add('estop');
      await this.alarms.raise({
        key: `robot.estop:${robotId}`,
        type: 'robot.estop',
        severity: 'critical',
        sourceKind: 'robot',
        sourceId: robotId,
        ward: this.wardOfMission(a.mission),
        message: `robot ${a.robot.serialNumber} is on emergency stop (${state.safetyState.eStop}) mid-mission`,
        details: { missionId: a.mission.id },
      });
      await this.updatePaused(a, 'paused', { reason: 'estop' });
    } else if (!eStop && a.pauses.has('estop')) {
      a.pauses.delete('estop');
      await this.alarms.clear(`robot.estop:${robotId}`, 'emergency stop released');
      await this.updatePaused(a, 'resumed', { reason: 'estop released' });
    }
    if (a.tracker.tracked?.status !== 'acknowledged') return;
    await this.releaseHorizon(a, state);
    const p = deriveProgress(a.built.order, a.built.stops, state);
    if (p.phase === 'failed') {
      await this.finish(a, 'failed', p.failure ?? 'failed', { actionFailures: p.actionFailures, rejection: p.rejection ?? null });
      return;
    }
    const next: MissionStatus = p.phase === 'finished' ? 'finished' : p.phase === 'at_stop' ? 'at_stop' : p.phase === 'running' ? 'running' : 'accepted';
    const stop = p.stopIndex ?? a.mission.currentStop;
    if (next === 'finished') {
      await this.finish(a, 'finished', null, {});
      return;
    }
    if (next !== a.mission.status || stop !== a.mission.currentStop) {
      if (next === a.mission.status && next !== 'at_stop') {
        a.mission.currentStop = stop ?? null;
        a.mission.updatedAt = new Date();
        await this.missions.save(a.mission, 'progress', { stop });
      } else if (missionMachineAllows(a.mission.status, next)) {
        a.mission.currentStop = stop ?? null;
        await this.transition(a, next, next === 'at_stop' ? 'arrived_at_stop' : next, {
          stop,
          nodeId: stop !== undefined && stop !== null ? a.mission.stops[stop]?.nodeId : undefined,
        });
      }
    }
  }

  private async onRobotConnection(robotId: string, connection: string): Promise<void> {
    const a = this.active.get(robotId);
    if (!a) {
      if (connection === 'ONLINE') this.poke();
      return;
    }
    if (connection === 'ONLINE') {
      if (a.pauses.delete('offline')) {
        a.offlineSince = null;
        await this.alarms.clear(`robot.offline_mid_mission:${robotId}`, 'robot back online');
        await this.updatePaused(a, 'resumed', { reason: 'robot back online' });
        // the robot may have lost the order with its link: resend it, same ids
        if (a.tracker.tracked?.status !== 'acknowledged') await this.send(a, 'resent');
      }
      return;
    }
    if (a.pauses.has('offline')) return;
    a.pauses.add('offline');
    a.offlineSince = Date.now();
    await this.alarms.raise({
      key: `robot.offline_mid_mission:${robotId}`,
      type: 'robot.offline_mid_mission',
      severity: 'critical',
      sourceKind: 'robot',
      sourceId: robotId,
      ward: this.wardOfMission(a.mission),
      message: `robot ${a.robot.serialNumber} went ${connection} mid-mission`,
      details: { missionId: a.mission.id, connection, cargo: a.mission.cargo },
    });
    await this.updatePaused(a, 'paused', { reason: `robot ${connection}` });
  }

  /** A robot offline longer than the grace period fails its mission. */
  private async failLongOffline(now: number): Promise<void> {
    for (const a of [...this.active.values()]) {
      if (a.offlineSince !== null && now - a.offlineSince > this.config.fleet.offlineGraceMs) {
        await this.finish(a, 'failed', 'robot offline', { offlineForMs: now - a.offlineSince });
      }
    }
  }

  private async sendLowBatteryRobotsToCharge(robots: DispatchRobot[]): Promise<void> {
    const idle = robots.filter((r) => !r.busy && !r.charging && r.online && r.batteryPct < this.config.fleet.lowBatteryPct);
    if (idle.length === 0) return;
    const queued = await this.missions.findByStatus(['queued']);
    const alreadyGoing = new Set(queued.filter((m) => m.kind === 'charge').map((m) => m.requiredRobotId));
    const plan = robotsNeedingCharge(
      this.site.graph,
      idle.filter((r) => !alreadyGoing.has(r.id)),
      this.config.fleet.lowBatteryPct,
    );
    for (const c of plan.assignments) {
      const m = newQueuedMission({
        kind: 'charge',
        priority: 'routine',
        stops: [{ nodeId: c.chargerNodeId, actions: [{ kind: 'startCharging' }] }],
        requiredRobotId: c.robotId,
        cargo: null,
        createdBy: 'fleet',
      });
      await this.missions.save(m, 'created', { reason: 'low battery', batteryPct: robots.find((r) => r.id === c.robotId)?.batteryPct });
      this.poke();
    }
  }

  // ---- bookkeeping ----------------------------------------------------------------------

  private async transition(a: ActiveMission, to: MissionStatus, event: string, details: Record<string, unknown>): Promise<void> {
    assertTransition(missionMachine, a.mission.status, to);
    a.mission.status = to;
    a.mission.updatedAt = new Date();
    await this.missions.save(a.mission, event, details);
    this.bus.emit('mission.changed', { missionId: a.mission.id, status: to, robotId: a.robot.deviceId });
  }

  private async updatePaused(a: ActiveMission, event: 'paused' | 'resumed', details: Record<string, unknown>): Promise<void> {
    // the history line is written even when the flag does not change: its reason matters
    a.mission.paused = a.pauses.size > 0;
    a.mission.updatedAt = new Date();
    await this.missions.save(a.mission, event, { ...details, pausedBy: [...a.pauses] });
    this.bus.emit('mission.changed', { missionId: a.mission.id, status: a.mission.status, robotId: a.robot.deviceId });
  }

  private async finish(a: ActiveMission, to: 'finished' | 'failed' | 'cancelled', reason: string | null, details: Record<string, unknown>): Promise<void> {
    this.active.delete(a.robot.deviceId);
    a.mission.failureReason = reason;
    a.mission.paused = false;
    await this.transition(a, to, to, details);
    await this.alarms.clear(`robot.offline_mid_mission:${a.robot.deviceId}`, `mission ${to}`);
    await this.alarms.clear(`robot.estop:${a.robot.deviceId}`, `mission ${to}`);
    this.poke();
  }

  /** After a restart: active missions resume; their orders are resent with the same ids. */
  private async recover(): Promise<void> {
    for (const m of await this.missions.findByStatus(ACTIVE_MISSION_STATUSES)) {
      if (!m.robotId || !m.orderBody) continue;
      const robot = await this.robotAddress(m.robotId);
      if (!robot) continue;
      const built = m.orderBody as unknown as BuiltOrder;
      const a: ActiveMission = { mission: m, robot, built, tracker: this.newTracker(m.robotId), pauses: new Set(), offlineSince: null };
      // until the robot echoes it again, the order counts as unacknowledged and is resent
      a.tracker.onSent(built.order.orderId, built.order.orderUpdateId, 0);
      this.active.set(m.robotId, a);
      this.logger.info({ missionId: m.id, robotId: m.robotId }, 'resumed active mission after restart');
    }
  }

  private async robotAddress(deviceId: string): Promise<RobotAddress | null> {
    const live = this.robots.get(deviceId);
    if (live) return { deviceId, interfaceName: live.interfaceName, manufacturer: live.manufacturer, serialNumber: live.serialNumber };
    const d = await this.devices.findById(deviceId);
    if (!d || d.kind !== 'robot') return null;
    return { deviceId, interfaceName: d.interfaceName!, manufacturer: d.manufacturer!, serialNumber: d.serialNumber! };
  }

  private newTracker(_robotId: string): OrderTracker {
    return new OrderTracker({ ackTimeoutMs: this.config.fleet.orderAckTimeoutMs, maxAttempts: this.config.fleet.orderMaxAttempts });
  }

  private wardOfMission(m: MissionEntity): string | null {
    for (let i = m.stops.length - 1; i >= 0; i--) {
      const w = this.site.wardOf(m.stops[i]!.nodeId);
      if (w) return w;
    }
    return null;
  }
}

function missionMachineAllows(from: MissionStatus, to: MissionStatus): boolean {
  return missionMachine.states[from].to.includes(to as never);
}

function toDispatchMission(m: MissionEntity): DispatchMission {
  return {
    id: m.id,
    priority: m.priority,
    createdAt: m.createdAt,
    firstStop: m.stops[0]!.nodeId,
    stops: m.stops.slice(1).map((s) => s.nodeId),
    ...(m.requiredRobotId ? { requiredRobotId: m.requiredRobotId } : {}),
  };
}

function speedOf(r: LiveRobot): number {
  const max = (r.factsheet as { physicalParameters?: { speedMax?: number } } | null)?.physicalParameters?.speedMax;
  return typeof max === 'number' && max > 0 ? max : DEFAULT_SPEED;
}

function toDispatchRobot(r: LiveRobot, currentNodeId: string | null, busy: boolean, reservePct: number): DispatchRobot {
  const s = r.state;
  return {
    id: r.deviceId,
    online: r.connection === 'ONLINE' && !r.stale && s !== null,
    operatingMode: s?.operatingMode ?? 'MANUAL',
    hasFatalError: (s?.errors ?? []).some((e) => e.errorLevel === 'FATAL'),
    eStopActive: !!s?.safetyState?.eStop && s.safetyState.eStop !== 'NONE',
    batteryPct: s?.batteryState?.batteryCharge ?? 0,
    currentNodeId,
    busy,
    charging: s?.batteryState?.charging ?? false,
    speed: speedOf(r),
    energy: { pctPerMetre: DEFAULT_PCT_PER_M, reservePct },
  };
}

/** Appends route b (starting where a ends) to route a. */
export function joinRoutes(a: Route, b: Route): Route {
  return {
    nodes: [...a.nodes, ...b.nodes.slice(1)],
    edges: [...a.edges, ...b.edges],
    durationS: a.durationS + b.durationS,
    distanceM: a.distanceM + b.distanceM,
  };
}
