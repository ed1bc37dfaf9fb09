/**
 * Which idle robots should go and charge, and where. Lowest battery chooses first, each robot
 * takes the quickest charger to reach that no other robot holds, so two robots are never sent
 * to the same dock. A robot already charging keeps its dock.
 */
import type { Route } from '../site/route.types.js';
import type { SiteGraph } from '../site/site-graph.js';
import type { DispatchRobot } from './dispatch.types.js';
import { unavailability } from './robot-eligibility.js';

export interface ChargeAssignment {
  robotId: string;
  chargerNodeId: string;
  /** Empty (zero-length) when the robot already stands on the charger. */
  route: Route;
  /** Expected battery on arrival; below 0 means it will not make it (raise an alarm). */
  batteryOnArrivalPct: number;
}

export interface ChargeShortfall {
  robotId: string;
  reason: 'no_free_charger' | 'no_reachable_charger';
}

export interface ChargePlan {
  assignments: ChargeAssignment[];
  /** Robots that need a charge but cannot be sent anywhere now. */
  waiting: ChargeShortfall[];
}

/**
 * @param thresholdPct robots strictly below this battery level should charge
 */
export function robotsNeedingCharge(graph: SiteGraph, robots: readonly DispatchRobot[], thresholdPct: number): ChargePlan {
  const chargers = new Set(graph.nodesOfKind('charger').map((n) => n.id));
  const free = new Set(chargers);
  // A charger is held by whoever stands on it, whatever its state: a robot cannot drive through.
  for (const r of robots) if (r.currentNodeId !== null) free.delete(r.currentNodeId);

  const needy = robots
    .filter((r) => unavailability(r, graph) === undefined && !r.charging && r.batteryPct < thresholdPct)
    .sort((a, b) => a.batteryPct - b.batteryPct || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const assignments: ChargeAssignment[] = [];
  const waiting: ChargeShortfall[] = [];
  for (const robot of needy) {
    const at = robot.currentNodeId!;
    if (chargers.has(at)) {
      // Already on a (now held) charger but not charging: start charging right here.
      const route = graph.planRoute(at, at, { speed: robot.speed });
      assignments.push({ robotId: robot.id, chargerNodeId: at, route, batteryOnArrivalPct: robot.batteryPct });
      continue;
    }
    if (free.size === 0) {
      waiting.push({ robotId: robot.id, reason: 'no_free_charger' });
      continue;
    }
    const route = graph.planRouteToNearest(at, [...free], { speed: robot.speed });
    if (!route) {
      waiting.push({ robotId: robot.id, reason: 'no_reachable_charger' });
      continue;
    }
    const chargerNodeId = route.nodes[route.nodes.length - 1]!;
    free.delete(chargerNodeId);
    assignments.push({
      robotId: robot.id,
      chargerNodeId,
      route,
      batteryOnArrivalPct: robot.batteryPct - route.distanceM * robot.energy.pctPerMetre,
    });
  }
  return { assignments, waiting };
}
