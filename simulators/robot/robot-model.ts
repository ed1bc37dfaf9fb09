/**
 * The simulated vehicle without any I/O: order acceptance, driving the released base,
 * action execution, battery, compartments and faults, advanced by `tick(dt)` in simulated
 * seconds. RobotSimulator wires it to MQTT; specs drive it directly.
 */
import type { EStop, Order, OrderEdge, OrderNode, State, VdaError, VdaHeader, VdaVersion } from '#contracts';
import { isDone, track, transition, type ActionHost, type TrackedAction } from './actions.js';
import { DEFAULT_BATTERY, LOW_BATTERY_PERCENT, stepBattery, type BatteryParams } from './battery.js';
import { CompartmentBank, type CompartmentSpec } from './compartments.js';
import { edgeLength, isLiftEdge, poseOnEdge, type Pose } from './motion.js';
import { decideOrder, stitchOrder, type OrderDecision, type RouteProgress } from './order-rules.js';
import { progressAction } from './action-progress.js';
import { buildStateBody } from './robot-snapshot.js';

export interface RobotModelOptions {
  version: VdaVersion;
  initialNode: { nodeId?: string; x: number; y: number; theta?: number; mapId: string };
  /** m/s */
  speed: number;
  /** percent */
  battery?: number;
  compartments?: readonly CompartmentSpec[];
  /** Nodes with a charger; when absent every node can charge. */
  chargerNodeIds?: readonly string[];
  /** Simulated seconds a lift ride (edge between maps) takes. */
  liftTimeS?: number;
  batteryParams?: BatteryParams;
  onEvent?: (kind: RobotEventKind, text: string) => void;
}

export type RobotEventKind = 'order' | 'node' | 'action' | 'error' | 'fault' | 'battery';
export type StateBody = Omit<State, keyof VdaHeader>;

const MAX_ERRORS = 20;
const MAX_INSTANT_STATES = 20;

export class RobotModel implements ActionHost {
  orderId = '';
  orderUpdateId = 0;
  lastNodeId: string;
  lastNodeSequenceId = 0;
  nodes: OrderNode[] = [];
  edges: OrderEdge[] = [];
  pose: Pose;
  positionInitialized = true;
  driving = false;
  paused = false;
  eStop: EStop = 'NONE';
  stalled = false;
  batteryCharge: number;
  charging = false;
  errors: VdaError[] = [];
  readonly compartments: CompartmentBank;
  /** Every action of the current order by id, for actionStates. */
  orderActions = new Map<string, TrackedAction>();
  instantActions: TrackedAction[] = [];
  /** Actions allowed to run now: the current node's, the current edge's and instant ones. */
  active: TrackedAction[] = [];
  cancelling: TrackedAction | undefined;
  private onEdge = false;
  /** Metres driven on the current edge (state.distanceSinceLastNode). */
  edgeTravelled = 0;
  /** m/s on the current edge while moving. */
  speedNow = 0;
  /** Where the current edge started: the last reached node (or where the robot stood). */
  private edgeStart: Pose = { x: 0, y: 0, theta: 0, mapId: '' };
  private dirty = true;

  constructor(readonly options: RobotModelOptions) {
    const n = options.initialNode;
    this.lastNodeId = n.nodeId ?? '';
    this.pose = { x: n.x, y: n.y, theta: n.theta ?? 0, mapId: n.mapId };
    this.batteryCharge = options.battery ?? 100;
    this.compartments = new CompartmentBank(options.compartments ?? []);
  }

  // ---- observation ----------------------------------------------------------------------

  /** True once after any change a controller should hear about (then publish a state). */
  takeDirty(): boolean {
    const d = this.dirty;
    this.dirty = false;
    return d;
  }

  markDirty(): void {
    this.dirty = true;
  }

  emit(kind: RobotEventKind, text: string): void {
    this.options.onEvent?.(kind, text);
  }

  progress(): RouteProgress {
    return {
      orderId: this.orderId,
      orderUpdateId: this.orderUpdateId,
      lastNodeId: this.lastNodeId,
      lastNodeSequenceId: this.lastNodeSequenceId,
      nodes: this.nodes,
      edges: this.edges,
      unfinishedActions: [...this.orderActions.values()].filter((t) => !isDone(t)).length,
      pose: this.positionInitialized ? this.pose : undefined,
    };
  }

  hasFatalError(): boolean {
    return this.errors.some((e) => e.errorLevel === 'FATAL');
  }

  /** The order is done: nothing left to drive and no order action pending. */
  idle(): boolean {
    return this.nodes.length === 0 && [...this.orderActions.values()].every(isDone);
  }

  // ---- errors -----------------------------------------------------------------------------

  addError(error: VdaError): void {
    this.errors = [...this.errors.filter((e) => e.errorType !== error.errorType || e.errorDescription !== error.errorDescription), error].slice(-MAX_ERRORS);
    this.emit('error', `${error.errorLevel} ${error.errorType}: ${error.errorDescription ?? ''}`);
    this.dirty = true;
  }

  removeErrors(predicate: (e: VdaError) => boolean): void {
    const kept = this.errors.filter((e) => !predicate(e));
    if (kept.length !== this.errors.length) this.dirty = true;
    this.errors = kept;
  }

  // ---- orders -----------------------------------------------------------------------------

  receiveOrder(order: Order): OrderDecision {
    const decision = decideOrder(this.progress(), order);
    switch (decision.kind) {
      case 'reject':
        this.addError(decision.error);
        this.emit('order', `rejected ${order.orderId}/${order.orderUpdateId}: ${decision.error.errorDescription}`);
        break;
      case 'resend':
        this.emit('order', `resend of ${order.orderId}/${order.orderUpdateId} ignored, state re-echoed`);
        break;
      case 'new':
        this.acceptNew(order);
        break;
      case 'update':
        this.acceptUpdate(order);
        break;
    }
    this.dirty = true;
    return decision;
  }

  private clearOrderErrors(): void {
    this.removeErrors((e) => e.errorLevel === 'WARNING' && e.errorType !== 'batteryLow');
  }

  private acceptNew(order: Order): void {
    this.clearOrderErrors();
    this.orderId = order.orderId;
    this.orderUpdateId = order.orderUpdateId;
    this.orderActions = new Map();
    this.instantActions = this.instantActions.filter((t) => !isDone(t));
    this.active = this.active.filter((t) => t.scope === 'INSTANT');
    for (const n of order.nodes) for (const a of n.actions) this.orderActions.set(a.actionId, track(a, 'NODE'));
    for (const e of order.edges) for (const a of e.actions) this.orderActions.set(a.actionId, track(a, 'EDGE'));
    const [first, ...rest] = order.nodes;
    this.nodes = rest;
    this.edges = [...order.edges];
    this.arrive(first!);
    this.emit('order', `accepted ${order.orderId}/${order.orderUpdateId} (${order.nodes.length} nodes)`);
  }

  private acceptUpdate(order: Order): void {
    this.clearOrderErrors();
    const stitched = stitchOrder(this.progress(), order);
    this.orderUpdateId = order.orderUpdateId;
    this.nodes = stitched.nodes;
    this.edges = stitched.edges;
    const route = new Set([...this.nodes, ...this.edges].flatMap((i) => i.actions.map((a) => a.actionId)));
    const running = new Set(this.active.map((t) => t.action.actionId));
    for (const [id, t] of this.orderActions) {
      // Old-horizon actions that never started disappear with the horizon they belonged to.
      if (t.status === 'WAITING' && !route.has(id) && !running.has(id)) this.orderActions.delete(id);
    }
    for (const item of [...this.nodes, ...this.edges]) {
      for (const a of item.actions) if (!this.orderActions.has(a.actionId)) this.orderActions.set(a.actionId, track(a, 'edgeId' in item ? 'EDGE' : 'NODE'));
    }
    if (stitched.stitchNodeReached) {
      for (const a of order.nodes[0]!.actions) {
        if (this.orderActions.has(a.actionId)) continue;
        const t = track(a, 'NODE');
        this.orderActions.set(a.actionId, t);
        this.active.push(t);
      }
    }
    this.emit('order', `accepted update ${order.orderId}/${order.orderUpdateId} (${this.nodes.length} nodes to go)`);
  }

  /** Reach a node: report it as last node and queue its actions. */
  private arrive(node: OrderNode): void {
    this.lastNodeId = node.nodeId;
    this.lastNodeSequenceId = node.sequenceId;
    if (node.nodePosition) {
      const p = node.nodePosition;
      this.pose = { x: p.x, y: p.y, theta: p.theta ?? this.pose.theta, mapId: p.mapId };
      this.positionInitialized = true;
    }
    this.onEdge = false;
    this.edgeTravelled = 0;
    this.active = this.active.filter((t) => !isDone(t) && (t.scope !== 'EDGE' || t.action.blockingType === 'NONE'));
    for (const a of node.actions) {
      const t = this.orderActions.get(a.actionId);
      if (t && t.status === 'WAITING') this.active.push(t);
    }
    this.emit('node', `at ${node.nodeId} (${this.pose.mapId})`);
    this.dirty = true;
  }

  // ---- simulation step ----------------------------------------------------------------------

  tick(dtS: number): void {
    this.runActions(dtS);
    const distance = this.drive(dtS);
    this.updateBattery(distance, dtS);
    if (this.cancelling && !this.onEdge) this.finishCancel();
  }

  private runActions(dtS: number): void {
    for (const group of [this.active.filter((t) => t.scope !== 'INSTANT'), this.active.filter((t) => t.scope === 'INSTANT')]) {
      let earlierUnfinished = false;
      for (const t of group) {
        if (isDone(t)) continue;
        if (t.status === 'WAITING') {
          // HARD runs alone; nothing starts while paused or after an unfinished HARD action.
          if (this.paused || (t.action.blockingType === 'HARD' && earlierUnfinished)) break;
          transition(t, 'INITIALIZING');
          this.dirty = true;
        }
        progressAction(this, t, this.paused ? 0 : dtS);
        if (!isDone(t) && t.action.blockingType === 'HARD') break;
        earlierUnfinished ||= !isDone(t);
      }
    }
    this.active = this.active.filter((t) => !isDone(t));
  }

  private blockedByActions(): boolean {
    return this.active.some((t) => !isDone(t) && t.action.blockingType !== 'NONE');
  }

  canDrive(): boolean {
    return !this.paused && this.eStop === 'NONE' && !this.hasFatalError() && this.batteryCharge > 0 && this.positionInitialized && !this.blockedByActions();
  }

  /** Advance along released edges for dtS; returns metres driven on a floor (not in lifts). */
  private drive(dtS: number): number {
    let timeLeft = dtS;
    let floorDistance = 0;
    let moved = false;
    const wantsToDrive = this.nodes[0]?.released === true && this.edges[0]?.released === true;
    while (timeLeft > 1e-9 && this.canDrive() && !this.stalled) {
      const next = this.nodes[0];
      const edge = this.edges[0];
      if (!next?.released || !edge?.released || !next.nodePosition) break;
      if (!this.onEdge) {
        this.onEdge = true;
        this.edgeTravelled = 0;
        this.edgeStart = { ...this.pose };
        for (const a of edge.actions) {
          const t = this.orderActions.get(a.actionId);
          if (t && t.status === 'WAITING') this.active.push(t);
        }
        if (this.charging) this.setCharging(false);
        if (this.blockedByActions()) break;
      }
      const from = { ...this.pose };
      const start = this.edgeStart;
      const speed = Math.min(this.options.speed, edge.maxSpeed ?? Infinity);
      const length = edgeLength(start, next.nodePosition, speed, this.options.liftTimeS ?? 20);
      const step = Math.min(speed * timeLeft, length - this.edgeTravelled);
      this.edgeTravelled += step;
      timeLeft -= step / speed;
      moved = true;
      this.speedNow = speed;
      this.pose = poseOnEdge(start, next.nodePosition, this.edgeTravelled, length);
      if (!isLiftEdge(start, next.nodePosition)) floorDistance += Math.hypot(this.pose.x - from.x, this.pose.y - from.y);
      if (this.edgeTravelled >= length - 1e-9) {
        this.edges.shift();
        this.nodes.shift();
        this.arrive(next);
        if (this.nodes.length === 0) this.emit('order', `finished route of ${this.orderId}/${this.orderUpdateId}`);
      }
    }
    const driving = moved || (this.stalled && wantsToDrive && this.canDrive());
    if (!moved) this.speedNow = 0;
    if (driving !== this.driving) this.dirty = true;
    this.driving = driving;
    return floorDistance;
  }

  private updateBattery(distanceM: number, dtS: number): void {
    const before = this.batteryCharge;
    this.batteryCharge = stepBattery(before, { distanceM, dtS, charging: this.charging }, this.options.batteryParams ?? DEFAULT_BATTERY);
    if (this.charging && this.batteryCharge >= 100) this.emit('battery', 'fully charged');
    const low = this.batteryCharge < LOW_BATTERY_PERCENT;
    const wasLow = this.errors.some((e) => e.errorType === 'batteryLow');
    if (low && !wasLow) this.addError({ errorType: 'batteryLow', errorLevel: 'WARNING', errorDescription: `battery at ${this.batteryCharge.toFixed(0)} %` });
    if (!low && wasLow) this.removeErrors((e) => e.errorType === 'batteryLow');
    const empty = this.batteryCharge <= 0;
    const wasEmpty = this.errors.some((e) => e.errorType === 'batteryEmpty');
    if (empty && !wasEmpty) this.addError({ errorType: 'batteryEmpty', errorLevel: 'FATAL', errorDescription: 'battery empty' });
    if (!empty && wasEmpty) this.removeErrors((e) => e.errorType === 'batteryEmpty');
    // A whole percent is worth a state message; finer changes ride along with the next one.
    if (Math.floor(before) !== Math.floor(this.batteryCharge)) this.dirty = true;
  }

  // ---- ActionHost / cancel -------------------------------------------------------------------

  atCharger(): boolean {
    const chargers = this.options.chargerNodeIds;
    return !this.onEdge && (chargers === undefined || chargers.includes(this.lastNodeId));
  }

  setCharging(charging: boolean): void {
    if (this.charging === charging) return;
    this.charging = charging;
    this.emit('battery', charging ? 'charging' : 'charging stopped');
    this.dirty = true;
  }

  /** Cancel: fail what has not finished; stop at the next node if on an edge. */
  startCancel(cancel: TrackedAction): void {
    this.cancelling = cancel;
    if (this.onEdge) {
      this.nodes = this.nodes.slice(0, 1).map((n) => ({ ...n, actions: [] }));
      this.edges = this.edges.slice(0, 1);
    }
    for (const t of this.orderActions.values()) if (!isDone(t)) transition(t, 'FAILED', 'order cancelled');
    this.active = this.active.filter((t) => !isDone(t));
    if (!this.onEdge) this.finishCancel();
    this.dirty = true;
  }

  private finishCancel(): void {
    this.nodes = [];
    this.edges = [];
    if (this.cancelling && !isDone(this.cancelling)) transition(this.cancelling, 'FINISHED');
    this.emit('order', `cancelled ${this.orderId}, stopped at ${this.lastNodeId}`);
    this.cancelling = undefined;
    this.dirty = true;
  }

  addInstantState(t: TrackedAction): void {
    this.instantActions = [...this.instantActions, t].slice(-MAX_INSTANT_STATES);
  }

  snapshot(): StateBody {
    return buildStateBody(this);
  }
}
