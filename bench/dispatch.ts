/**
 * Scenario 5 — dispatch decision time. `planDispatch` with 1,000 robots on a large random
 * hospital (multi-floor grids with one-way corridors, speed limits and lifts, from the
 * domain's seeded random-site generator), median and p95 over many rounds, against the naive
 * reference (one forward planRoute per robot and mission, as in dispatch.equivalence.spec)
 * on the same inputs in the same run. Both are pure and synchronous: run in-process.
 *
 *   warm: one DispatchCosts reused across rounds (what the control plane does while the site
 *         is unchanged); cold: a fresh cost cache every round (first round after a site change)
 *
 *   node dist/bench/dispatch.js [--smoke] [--robots=1000] [--missions=10] [--floors=6] [--side=40]
 *        [--runs=200] [--reference-runs=3]
 */
import { compareMissions, DispatchCosts, DomainError, planDispatch, SiteGraph, type DispatchMission, type DispatchPlan, type DispatchRobot } from '#domain';
import { randomSite, seededRandom } from '../libs/domain/src/site/random-site.fixture.js';
import { num, parseArgs } from './lib/args.js';
import { Recorder } from './lib/results.js';
import { ratio, round, summarize } from './lib/stats.js';
import { printTable } from './lib/table.js';

const args = parseArgs();
const smoke = args.smoke;
const P = {
  robots: num(args, 'robots', 1000, 1000),
  missions: num(args, 'missions', 10, 5),
  floors: num(args, 'floors', 6, 3),
  side: num(args, 'side', 40, 20),
  docks: 3,
  runs: num(args, 'runs', 200, 20),
  referenceRuns: num(args, 'reference-runs', 3, 1),
  maxSeconds: smoke ? 10 : 60,
  seed: 7,
};
const rec = new Recorder('dispatch', 'Scenario 5: dispatch decision time', smoke ? 'smoke' : 'full', P);

/** The naive reference from dispatch.equivalence.spec.ts: one forward planRoute per robot. */
function referencePlan(graph: SiteGraph, missions: readonly DispatchMission[], robots: readonly DispatchRobot[]): Pick<DispatchPlan, 'assignments'> {
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

function timeRuns(label: string, maxRuns: number, fn: () => void): number[] {
  const samples: number[] = [];
  const deadline = performance.now() + P.maxSeconds * 1000;
  for (let i = 0; i < maxRuns && performance.now() < deadline; i++) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  if (samples.length < maxRuns) rec.note(`${label}: stopped after ${samples.length} of ${maxRuns} runs (${P.maxSeconds} s cap)`);
  return samples;
}

const tBuild = performance.now();
const site = randomSite({ seed: P.seed, floors: P.floors, side: P.side, chargersPerFloor: 3, oneWayRate: 0.15 });
const graph = new SiteGraph(site);
const buildMs = performance.now() - tBuild;
const rnd = seededRandom(P.seed * 101);
const ids = site.nodes.map((n) => n.id);
const pickNode = () => ids[Math.floor(rnd() * ids.length)]!;
const pickOf = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
const docks = Array.from({ length: P.docks }, pickNode);
const missions: DispatchMission[] = Array.from({ length: P.missions }, (_, i) => ({
  id: `m${i}`,
  priority: pickOf(['stat', 'urgent', 'routine'] as const),
  createdAt: new Date(Date.UTC(2025, 0, 1, 8, Math.floor(rnd() * 600))),
  firstStop: pickOf(docks),
  stops: Array.from({ length: 1 + Math.floor(rnd() * 3) }, pickNode),
}));
const robots: DispatchRobot[] = Array.from({ length: P.robots }, (_, i) => ({
  id: `r${i}`,
  online: rnd() > 0.05,
  operatingMode: rnd() > 0.05 ? 'AUTOMATIC' : 'MANUAL',
  hasFatalError: rnd() < 0.02,
  eStopActive: rnd() < 0.02,
  batteryPct: 30 + rnd() * 70,
  currentNodeId: pickNode(),
  busy: rnd() < 0.3,
  speed: pickOf([0.8, 1.2, 1.5]),
  energy: { pctPerMetre: 0.02 + rnd() * 0.05, reservePct: pickOf([5, 10, 15]) },
}));
console.log(
  `dispatch: ${graph.nodeCount} nodes, ${site.edges.length} edges, ${P.robots} robots, ${P.missions} missions (graph built in ${buildMs.toFixed(0)} ms)`,
);

// correctness first: the two must agree, or the comparison means nothing
const plan = planDispatch(graph, missions, robots);
const expected = referencePlan(graph, missions, robots);
const agree =
  JSON.stringify(plan.assignments.map((a) => [a.missionId, a.robotId])) === JSON.stringify(expected.assignments.map((a) => [a.missionId, a.robotId]));

const warmCosts = new DispatchCosts(graph);
planDispatch(graph, missions, robots, warmCosts);
for (let i = 0; i < 5; i++) planDispatch(graph, missions, robots, new DispatchCosts(graph)); // JIT warm-up
const warm = summarize(timeRuns('planDispatch warm', P.runs, () => planDispatch(graph, missions, robots, warmCosts)));
const cold = summarize(
  timeRuns('planDispatch cold', Math.max(10, Math.floor(P.runs / 4)), () => planDispatch(graph, missions, robots, new DispatchCosts(graph))),
);
const ref = summarize(timeRuns('reference', P.referenceRuns, () => referencePlan(graph, missions, robots)));

const row = (name: string, s: ReturnType<typeof summarize>) => ({
  variant: name,
  runs: s.n,
  'median ms': round(s.p50, 3),
  'p95 ms': round(s.p95, 3),
  'max ms': round(s.max, 3),
  'reference median / this median': round(ratio(ref.p50, s.p50), 0),
});
const rows = [
  row('planDispatch, warm cost cache (reused across rounds)', warm),
  row('planDispatch, cold cost cache (fresh every round)', cold),
  row('reference: planRoute per robot and mission', ref),
];
rec.table(`planDispatch: ${P.robots} robots, ${P.missions} missions, ${graph.nodeCount}-node site`, rows);
printTable(`planDispatch: ${P.robots} robots, ${P.missions} missions, ${graph.nodeCount}-node site`, rows);
rec.target('planDispatch median (warm, as the control plane runs it)', '<= 5 ms', round(warm.p50, 3), warm.p50 <= 5);
rec.target('planDispatch median (cold cost cache)', '<= 5 ms', round(cold.p50, 3), cold.p50 <= 5);
rec.target('planDispatch agrees with the reference', 'same assignments', agree ? 'same' : 'DIFFERENT', agree);
rec.note(
  `site: ${P.floors} floors × ${P.side}² grid = ${graph.nodeCount} nodes, ${site.edges.length} edges, 2 lifts; ${P.docks} first-stop docks; ${plan.assignments.length} missions assigned, ${plan.unassigned.length} unassigned`,
);
rec.report(!agree);
