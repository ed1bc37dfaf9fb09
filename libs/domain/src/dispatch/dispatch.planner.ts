/**
 * Dispatch scoring: which free robot takes which queued mission, and for every mission left
 * in the queue, why. Pure and synchronous: the control plane calls it on each queue or fleet
 * change and turns assignments into VDA 5050 orders.
 *
 * Rules: stat before urgent before routine, then oldest first; each mission takes the
 * eligible robot that reaches its first stop soonest. A robot is eligible when it is online,
 * AUTOMATIC, free of fatal errors and e-stops, not busy, and has battery for the whole trip
 * (robot → first stop → stops → nearest charger) plus its reserve, and its factsheet declares
 * the actions and compartments the mission's stops need (robot-capability.ts; a robot without
 * a factsheet takes plain transport only). Greedy by priority on
 * purpose: a stat mission must never wait for a globally "better" matching.
 */
import { ValidationError } from '../errors.js';
import type { TimeTree } from '../site/route.types.js';
import type { SiteGraph } from '../site/site-graph.js';
import { DispatchCosts, type MissionLegs } from './dispatch.costs.js';
import type {
  DispatchAssignment,
  DispatchMission,
  DispatchPlan,
  DispatchRobot,
  MissionPriority,
  UnassignedMission,
  UnassignedReason,
} from './dispatch.types.js';
import { type CapabilityGap, NO_NEEDS } from './robot-capability.js';
import { capabilityProblem, energyNeededPct, unavailability, type Unavailability } from './robot-eligibility.js';

const PRIORITY_RANK: Record<MissionPriority, number> = { stat: 0, urgent: 1, routine: 2 };

/**
 * Whether a mission's own legs can be driven does not depend on speed; this speed is used to
 * find out, for missions left unassigned, whether the mission itself is the problem.
 */
const NOMINAL_SPEED = 1;

/** Queue order: priority, then age, then id so equal missions always come out the same way. */
export function compareMissions(a: DispatchMission, b: DispatchMission): number {
  return PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * @param costs travel-cost cache; pass the same instance across rounds while the site is
 *   unchanged so trees and legs computed in one round serve the next.
 */
export function planDispatch(
  graph: SiteGraph,
  missions: readonly DispatchMission[],
  robots: readonly DispatchRobot[],
  costs: DispatchCosts = new DispatchCosts(graph),
): DispatchPlan {
  if (costs.graph !== graph) throw new ValidationError('the dispatch cost cache belongs to another site graph', 'costs');
  const byId = new Map<string, DispatchRobot>();
  for (const r of robots) {
    if (byId.has(r.id)) throw new ValidationError(`robot '${r.id}' appears twice in the fleet snapshot`, 'robots');
    byId.set(r.id, r);
  }
  const blocked = new Map<string, Unavailability | undefined>(robots.map((r) => [r.id, unavailability(r, graph)]));
  const anyOnline = robots.some((r) => r.online);
  /** Free robots not yet given a mission in this round, in input order. */
  const free = new Set(robots.filter((r) => isFree(blocked.get(r.id))));

  const assignments: DispatchAssignment[] = [];
  const unassigned: UnassignedMission[] = [];
  for (const mission of [...missions].sort(compareMissions)) {
    const required = mission.requiredRobotId;
    const requiredRobot = required === undefined ? undefined : byId.get(required);
    let requiredProblem: string | undefined;
    if (required !== undefined) {
      if (!requiredRobot) requiredProblem = 'is not in the fleet';
      else if (!free.has(requiredRobot)) requiredProblem = describeTaken(blocked.get(required));
    }

    // only robots whose factsheet covers the mission's stops are candidates; the others are
    // remembered to say why the mission waits
    const needs = mission.needs ?? NO_NEEDS;
    const incapable: RobotGap[] = [];
    let candidates: Iterable<DispatchRobot> = requiredRobot ? [requiredRobot] : free;
    if (needs.actions.length > 0 || needs.compartments.length > 0) {
      candidates = [...candidates].filter((r) => {
        const gap = capabilityProblem(r, mission);
        if (gap) incapable.push({ robotId: r.id, gap });
        return !gap;
      });
    }
    const pick = requiredProblem === undefined ? pickRobot(graph, mission, candidates, costs) : undefined;
    if (pick?.kind === 'assigned') {
      free.delete(byId.get(pick.assignment.robotId)!);
      assignments.push(pick.assignment);
      continue;
    }
    const [reason, detail] = whyUnassigned(mission, costs, pick, requiredProblem, anyOnline, incapable, robots);
    unassigned.push({ missionId: mission.id, reason, detail });
  }
  return { assignments, unassigned };
}

interface RobotGap {
  robotId: string;
  gap: CapabilityGap;
}

/** Robots named in a "why not" detail before the rest is only counted. */
const GAPS_NAMED = 3;

/** The most actionable reason first: a broken mission, then the required robot, then the fleet. */
function whyUnassigned(
  mission: DispatchMission,
  costs: DispatchCosts,
  pick: Exclude<Pick, { kind: 'assigned' }> | undefined,
  requiredProblem: string | undefined,
  anyOnline: boolean,
  incapable: readonly RobotGap[],
  robots: readonly DispatchRobot[],
): [UnassignedReason, string] {
  const legs = pick?.kind === 'mission_unreachable' ? pick : costs.missionLegs(mission, NOMINAL_SPEED);
  if (!legs.ok) return ['unreachable', legs.detail];
  if (requiredProblem !== undefined) return ['required_robot_unavailable', `required robot '${mission.requiredRobotId}' ${requiredProblem}`];
  if (mission.requiredRobotId !== undefined && incapable.length > 0) {
    return ['no_capable_robot', `required robot '${mission.requiredRobotId}' ${incapable[0]!.gap.detail}`];
  }
  if (pick?.kind === 'none' && pick.insufficientBattery > 0) {
    return ['insufficient_battery', `${pick.insufficientBattery} free robot(s) lack the battery for this trip`];
  }
  if (pick?.kind === 'none' && pick.unreachable > 0) return ['unreachable', `no free robot can reach '${mission.firstStop}'`];
  if (!anyOnline) return ['no_robot_online', 'no robot is online'];
  // Capability does not change with load or position: when no online robot declares what the
  // mission needs, waiting for one to free up is pointless, so say so even if all are busy.
  const online = robots.filter((r) => r.online);
  const onlineGaps: RobotGap[] = [];
  for (const r of online) {
    const gap = capabilityProblem(r, mission);
    if (gap) onlineGaps.push({ robotId: r.id, gap });
  }
  if (onlineGaps.length === online.length) return ['no_capable_robot', `no online robot can run this mission: ${describeGaps(onlineGaps)}`];
  if (incapable.length > 0) {
    return ['all_busy', `every online robot able to run it is busy, out of service or already assigned; the free ones cannot: ${describeGaps(incapable)}`];
  }
  return ['all_busy', 'every online robot is busy, out of service or already assigned'];
}

function describeGaps(gaps: readonly RobotGap[]): string {
  const named = gaps.slice(0, GAPS_NAMED).map((g) => `robot '${g.robotId}' ${g.gap.detail}`);
  if (gaps.length > GAPS_NAMED) named.push(`and ${gaps.length - GAPS_NAMED} more`);
  return named.join('; ');
}

function isFree(u: Unavailability | undefined): boolean {
  // A lost robot is free but cannot be routed; it is kept to report "unreachable".
  return u === undefined || u.code === 'lost';
}

function describeTaken(u: Unavailability | undefined): string {
  return u === undefined ? 'is already assigned to a mission ahead in the queue' : `is ${u.detail}`;
}

type Pick =
  | { kind: 'assigned'; assignment: DispatchAssignment }
  | { kind: 'mission_unreachable'; ok: false; detail: string }
  | { kind: 'none'; insufficientBattery: number; unreachable: number };

/** Per robot speed, for one mission: the approach tree and the mission's own legs. */
interface SpeedCosts {
  tree: TimeTree;
  legs?: MissionLegs;
}

/**
 * The candidate arriving first at the mission's first stop, among those with enough battery:
 * one pass over the candidates, O(1) per robot (a tree lookup). The mission's legs are
 * computed for a robot speed only when a robot of that speed is the best so far. Ties go to
 * the fuller battery, then the smaller id, so plans are reproducible. When nobody qualifies,
 * every candidate was fully examined, so the counts behind the reason are exact.
 */
function pickRobot(graph: SiteGraph, mission: DispatchMission, candidates: Iterable<DispatchRobot>, costs: DispatchCosts): Pick {
  const bySpeed = new Map<number, SpeedCosts>();
  let best: { robot: DispatchRobot; node: string; etaS: number; distanceM: number; tree: TimeTree } | undefined;
  let insufficientBattery = 0;
  let unreachable = 0;

  for (const robot of candidates) {
    const node = robot.currentNodeId;
    if (node === null || !graph.hasNode(node)) {
      unreachable++;
      continue;
    }
    let sc = bySpeed.get(robot.speed);
    if (!sc) {
      sc = { tree: costs.approachTree(mission.firstStop, robot.speed) };
      bySpeed.set(robot.speed, sc);
    }
    const etaS = sc.tree.durationS(node);
    if (etaS === Infinity) {
      unreachable++;
      continue;
    }
    if (best && (etaS > best.etaS || (etaS === best.etaS && tieBreak(robot, best.robot) > 0))) continue;

    sc.legs ??= costs.missionLegs(mission, robot.speed);
    // Reachability of the mission's own legs does not depend on the robot: nobody can do it.
    if (!sc.legs.ok) return { kind: 'mission_unreachable', ...sc.legs };
    const distanceM = sc.tree.distanceM(node) + sc.legs.distanceM;
    // The epsilon keeps "exactly enough" eligible despite floating-point sums of edge lengths.
    if (robot.batteryPct + 1e-9 < energyNeededPct(robot.energy, distanceM)) {
      insufficientBattery++;
      continue;
    }
    best = { robot, node, etaS, distanceM, tree: sc.tree };
  }

  if (!best) return { kind: 'none', insufficientBattery, unreachable };
  const { robot, node, etaS, distanceM, tree } = best;
  return {
    kind: 'assigned',
    assignment: {
      missionId: mission.id,
      robotId: robot.id,
      etaFirstStopS: etaS,
      approach: tree.route(node)!,
      plannedDistanceM: distanceM,
      batteryAtChargerPct: robot.batteryPct - distanceM * robot.energy.pctPerMetre,
    },
  };
}

/** Fuller battery first, then smaller id. */
function tieBreak(a: DispatchRobot, b: DispatchRobot): number {
  return b.batteryPct - a.batteryPct || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
