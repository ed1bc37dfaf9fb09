/**
 * From what the server knows about robots and missions to what dispatch plans with. Pure
 * mappings over plain shapes (a robot's latest VDA 5050 state, a mission's stops): the control
 * plane passes its live robots and mission rows, which fit these types structurally.
 */
import type { State } from '#contracts';
import type { Route } from '../site/route.types.js';
import type { DispatchMission, DispatchRobot, MissionPriority } from './dispatch.types.js';
import { capabilityOf, missionNeeds, type StoredStopAction } from './robot-capability.js';

/** Cruising speed assumed when a robot's factsheet does not say (m/s). */
export const DEFAULT_ROBOT_SPEED = 1.0;
/** Battery percentage points per metre assumed when a robot does not report its range. */
export const DEFAULT_PCT_PER_M = 0.05;

/** The parts of a robot's live record that dispatch reads. */
export interface RobotReading {
  deviceId: string;
  /** VDA 5050 connectionState, null before the robot announced one */
  connection: string | null;
  stale: boolean;
  state: State | null;
  /** the robot's VDA 5050 factsheet, as received (speedMax, agvActions, loadPositions are read) */
  factsheet: unknown;
}

/** The parts of a queued mission that dispatch reads. */
export interface MissionReading {
  id: string;
  priority: MissionPriority;
  createdAt: Date;
  stops: readonly { nodeId: string; actions?: readonly StoredStopAction[] | null }[];
  requiredRobotId: string | null;
}

/** The robot's cruising speed from its factsheet (physicalParameters.speedMax), or the default. */
export function speedOf(r: Pick<RobotReading, 'factsheet'>): number {
  const max = (r.factsheet as { physicalParameters?: { speedMax?: number } } | null | undefined)?.physicalParameters?.speedMax;
  return typeof max === 'number' && max > 0 ? max : DEFAULT_ROBOT_SPEED;
}

export function toDispatchRobot(r: RobotReading, currentNodeId: string | null, busy: boolean, reservePct: number): DispatchRobot {
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
    capability: capabilityOf(r.factsheet),
  };
}

/**
 * A mission as dispatch sees it: its first stop (where the robot must go first), the rest, and
 * what its stops' actions need of the robot.
 */
export function toDispatchMission(m: MissionReading): DispatchMission {
  const needs = missionNeeds(m.stops);
  return {
    id: m.id,
    priority: m.priority,
    createdAt: m.createdAt,
    firstStop: m.stops[0]!.nodeId,
    stops: m.stops.slice(1).map((s) => s.nodeId),
    ...(m.requiredRobotId ? { requiredRobotId: m.requiredRobotId } : {}),
    ...(needs.actions.length > 0 || needs.compartments.length > 0 ? { needs } : {}),
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
