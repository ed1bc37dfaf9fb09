import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../errors.js';
import { randomSite, seededRandom } from '../site/random-site.fixture.js';
import { SiteGraph } from '../site/site-graph.js';
import { compareMissions, planDispatch } from './dispatch.planner.js';
import type { DispatchMission, DispatchPlan, DispatchRobot } from './dispatch.types.js';

/**
 * The planner reads robot → first stop times from one backward tree per (stop, speed). This
 * reference does it the obvious way, one forward planRoute per robot, with the same rules; the
 * two must agree on a random graph with one-way edges, speed limits, lifts and mixed speeds.
 */
function referencePlan(graph: SiteGraph, missions: DispatchMission[], robots: DispatchRobot[]): Pick<DispatchPlan, 'assignments'> {
  const chargers = graph.nodesOfKind('charger').map((n) => n.id);
  const taken = new Set<string>();
  const assignments: DispatchPlan['assignments'] = [];
  const tryRoute = (from: string, to: string, speed: number) => {
    try {
      return graph.planRoute(from, to, { speed });
    } catch (e) {
      if (e instanceof DomainError && e.code === 'destination_unreachable') return undefined;
      throw e;
    }
  };
  for (const m of [...missions].sort(compareMissions)) {
    let best: { r: DispatchRobot; eta: number; dist: number } | undefined;
    for (const r of robots) {
      if (taken.has(r.id) || !r.online || r.operatingMode !== 'AUTOMATIC' || r.hasFatalError || r.eStopActive || r.busy) continue;
      if (m.requiredRobotId !== undefined && m.requiredRobotId !== r.id) continue;
      const approach = tryRoute(r.currentNodeId!, m.firstStop, r.speed);
      if (!approach) continue;
      const path = [m.firstStop, ...m.stops];
      let dist = approach.distanceM;
      let ok = true;
      for (let i = 1; i < path.length && ok; i++) {
        const leg = tryRoute(path[i - 1]!, path[i]!, r.speed);
        if (leg) dist += leg.distanceM;
        else ok = false;
      }
      const toCharger = ok ? graph.planRouteToNearest(path.at(-1)!, chargers, { speed: r.speed }) : undefined;
      if (!toCharger) continue;
      dist += toCharger.distanceM;
      if (r.batteryPct + 1e-9 < dist * r.energy.pctPerMetre + r.energy.reservePct) continue;
      const better =
        !best ||
        approach.durationS < best.eta ||
        (approach.durationS === best.eta && (r.batteryPct > best.r.batteryPct || (r.batteryPct === best.r.batteryPct && r.id < best.r.id)));
      if (better) best = { r, eta: approach.durationS, dist };
    }
    if (best) {
      taken.add(best.r.id);
      assignments.push({
        missionId: m.id,
        robotId: best.r.id,
        etaFirstStopS: best.eta,
        approach: graph.planRoute(best.r.currentNodeId!, m.firstStop, { speed: best.r.speed }),
        plannedDistanceM: best.dist,
        batteryAtChargerPct: best.r.batteryPct - best.dist * best.r.energy.pctPerMetre,
      });
    }
  }
  return { assignments };
}

describe('planDispatch single-tree optimisation', () => {
  it.each([1, 2, 3])('matches per-robot planRoute on random site #%i', (seed) => {
    const site = randomSite({ seed, floors: 3, side: 18, chargersPerFloor: 2, oneWayRate: 0.2 });
    const graph = new SiteGraph(site);
    const ids = site.nodes.map((n) => n.id);
    const rnd = seededRandom(seed * 101);
    const pickNode = () => ids[Math.floor(rnd() * ids.length)]!;
    const pickOf = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;

    // A handful of first stops shared by several missions, as with a real pharmacy dock.
    const docks = [pickNode(), pickNode(), pickNode()];
    const missions: DispatchMission[] = Array.from({ length: 25 }, (_, i) => ({
      id: `m${i}`,
      priority: pickOf(['stat', 'urgent', 'routine'] as const),
      createdAt: new Date(Date.UTC(2025, 0, 1, 8, Math.floor(rnd() * 600))),
      firstStop: pickOf(docks),
      stops: Array.from({ length: 1 + Math.floor(rnd() * 3) }, pickNode),
      ...(rnd() < 0.1 ? { requiredRobotId: `r${Math.floor(rnd() * 150)}` } : {}),
    }));
    const robots: DispatchRobot[] = Array.from({ length: 150 }, (_, i) => ({
      id: `r${i}`,
      online: rnd() > 0.05,
      operatingMode: rnd() > 0.05 ? 'AUTOMATIC' : 'MANUAL',
      hasFatalError: rnd() < 0.03,
      eStopActive: rnd() < 0.03,
      batteryPct: 15 + rnd() * 85,
      currentNodeId: pickNode(),
      busy: rnd() < 0.4,
      speed: pickOf([0.8, 1.2, 1.5]),
      energy: { pctPerMetre: 0.05 + rnd() * 0.3, reservePct: pickOf([5, 10, 15]) },
    }));

    const plan = planDispatch(graph, missions, robots);
    const expected = referencePlan(graph, missions, robots);

    // Enough happens for the comparison to mean something.
    expect(plan.assignments.length).toBeGreaterThan(5);
    expect(plan.unassigned.length).toBeGreaterThan(0);
    expect(plan.assignments.map((a) => [a.missionId, a.robotId])).toEqual(expected.assignments.map((a) => [a.missionId, a.robotId]));
    plan.assignments.forEach((a, i) => {
      const e = expected.assignments[i]!;
      expect(a.etaFirstStopS).toBeCloseTo(e.etaFirstStopS, 6);
      expect(a.plannedDistanceM).toBeCloseTo(e.plannedDistanceM, 6);
      expect(a.approach.durationS).toBeCloseTo(e.approach.durationS, 6);
      expect(a.approach.nodes[0]).toBe(e.approach.nodes[0]);
      expect(a.approach.nodes.at(-1)).toBe(e.approach.nodes.at(-1));
    });
    // Every mission is accounted for exactly once.
    expect([...plan.assignments.map((a) => a.missionId), ...plan.unassigned.map((u) => u.missionId)].sort()).toEqual(missions.map((m) => m.id).sort());
  });
});
