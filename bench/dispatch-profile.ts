/**
 * Where a cold planDispatch round spends its time (dispatch.ts measured 49 ms median with a
 * fresh DispatchCosts vs 0.46 ms with a reused one, target 5 ms). Same site, fleet and
 * missions as dispatch.ts (seeded), then each part of the cold round timed on its own with
 * fresh caches, median over runs:
 *   - the whole cold round, and the warm round (everything cached: the per-robot scan)
 *   - approach trees: one full backward Dijkstra over every node per (first stop, speed)
 *   - charger trees: one full multi-root backward Dijkstra per speed
 *   - mission legs: a forward planRoute per (leg, speed)
 *   - inside one tree: the search (engine.run) vs copying the result out (engine.snapshot)
 * plus a prototype of the proposed fix (bench-only, reads the compiled graph): a bounded
 * backward search per (first stop, speed) that settles nodes in time order and stops once the
 * next node is slower than the best candidate found; legs and charger distance by
 * early-exit forward searches. It must pick the same robots as planDispatch.
 * Run with `node --cpu-prof --cpu-prof-dir=bench/results/profiles dist/bench/dispatch-profile.js`
 * for a V8 profile of the same work.
 *
 *   node dist/bench/dispatch-profile.js [--smoke] [--runs=30] [--floors=6] [--side=40] [--robots=1000] [--missions=10]
 */
import { compareMissions, DispatchCosts, planDispatch, SiteGraph, type DispatchMission, type DispatchRobot } from '#domain';
import { randomSite, seededRandom } from '../libs/domain/src/site/random-site.fixture.js';
import { MinHeap } from '../libs/domain/src/site/min-heap.js';
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
  runs: num(args, 'runs', 30, 5),
  seed: 7,
};
const rec = new Recorder('dispatch-profile', 'Dispatch: where a cold round spends its time', smoke ? 'smoke' : 'full', P);

// ---- the same inputs as dispatch.ts (same seed, same draw order) ----
const site = randomSite({ seed: P.seed, floors: P.floors, side: P.side, chargersPerFloor: 3, oneWayRate: 0.15 });
const graph = new SiteGraph(site);
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
const speeds = [...new Set(robots.map((r) => r.speed))];
const chargers = graph.nodesOfKind('charger').map((n) => n.id);

function med(fn: () => void, runs = P.runs): ReturnType<typeof summarize> {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    xs.push(performance.now() - t);
  }
  return summarize(xs);
}

// ---- the planner's own calls ----
for (let i = 0; i < 3; i++) planDispatch(graph, missions, robots, new DispatchCosts(graph)); // JIT
const warmCosts = new DispatchCosts(graph);
planDispatch(graph, missions, robots, warmCosts);
const cold = med(() => planDispatch(graph, missions, robots, new DispatchCosts(graph)));
const warm = med(() => planDispatch(graph, missions, robots, warmCosts), P.runs * 5);

// which (first stop, speed) trees and leg speeds a cold round actually builds: count via a probe
const probe = new DispatchCosts(graph);
const treeKeys = new Set<string>();
const legSpeeds = new Set<number>();
const origTree = probe.approachTree.bind(probe);
probe.approachTree = (stop: string, speed: number) => {
  treeKeys.add(`${speed}|${stop}`);
  return origTree(stop, speed);
};
const origLegs = probe.missionLegs.bind(probe);
probe.missionLegs = (m: DispatchMission, speed: number) => {
  legSpeeds.add(speed);
  return origLegs(m, speed);
};
planDispatch(graph, missions, robots, probe);
const firstStops = [...new Set([...treeKeys].map((k) => k.split('|')[1]!))];

const approach = med(() => {
  const c = new DispatchCosts(graph);
  for (const k of treeKeys) {
    const [speed, stop] = k.split('|');
    c.approachTree(stop!, Number(speed));
  }
});
const chargerTrees = med(() => {
  for (const s of legSpeeds) graph.timeTreeTo(chargers, { speed: s });
});
const legs = med(() => {
  for (const s of legSpeeds)
    for (const m of missions) {
      const path = [m.firstStop, ...m.stops];
      for (let i = 1; i < path.length; i++) {
        try {
          graph.planRoute(path[i - 1]!, path[i]!, { speed: s });
        } catch {
          // unreachable legs cost the same search
        }
      }
    }
});
// inside one tree: search vs snapshot (bench-only look at the private engine)
const engine = (graph as unknown as { engine: { run: (...a: unknown[]) => number; snapshot: () => unknown } }).engine;
const internals = graph as unknown as { c: Compiled; arcTimesFor: (s: number) => Float64Array };
const rootIdx = [internals.c.index.get(docks[0]!)!];
const search = med(() => engine.run('backward', rootIdx, internals.arcTimesFor(1.2)), P.runs * 3);
const snapshot = med(() => engine.snapshot(), P.runs * 3);
const oneTree = med(() => graph.timeTreeTo([docks[0]!], { speed: 1.2 }), P.runs * 3);

// ---- prototype of the proposed fix ----
interface Compiled {
  index: Map<string, number>;
  ids: string[];
  nodeCount: number;
  arcFrom: Int32Array;
  arcTo: Int32Array;
  arcLengthM: Float64Array;
  inStart: Int32Array;
  inArcs: Int32Array;
}
const C = internals.c;
const n = C.nodeCount;
const seenGen = new Uint32Array(n);
const doneGen = new Uint32Array(n);
const tS = new Float64Array(n);
const dM = new Float64Array(n);
const heap = new MinHeap(C.arcFrom.length + 1);
let gen = 0;

/**
 * Bounded backward search from `root` at `speed`: visits nodes in time order and calls
 * `visit(node, timeS, distM)` for each; stops when the next node's time exceeds `bound()`.
 */
function boundedBackward(root: number, speed: number, bound: () => number, visit: (node: number, t: number, d: number) => void): number {
  const times = internals.arcTimesFor(speed);
  const g = ++gen;
  heap.clear();
  tS[root] = 0;
  dM[root] = 0;
  seenGen[root] = g;
  heap.push(0, root);
  let settled = 0;
  while (heap.size > 0) {
    const t0 = heap.peekKey();
    if (t0 > bound()) break;
    const u = heap.pop();
    if (doneGen[u] === g) continue;
    doneGen[u] = g;
    settled++;
    visit(u, t0, dM[u]!);
    for (let k = C.inStart[u]!, end = C.inStart[u + 1]!; k < end; k++) {
      const a = C.inArcs[k]!;
      const v = C.arcFrom[a]!;
      if (doneGen[v] === g) continue;
      const t = t0 + times[a]!;
      const d = dM[u]! + C.arcLengthM[a]!;
      if (seenGen[v] !== g || t < tS[v]! || (t === tS[v]! && d < dM[v]!)) {
        seenGen[v] = g;
        tS[v] = t;
        dM[v] = d;
        heap.push(t, v);
      }
    }
  }
  return settled;
}

let settledTotal = 0;
function prototypePlan(): { missionId: string; robotId: string }[] {
  const eligible = robots.filter(
    (r) =>
      r.online &&
      r.operatingMode === 'AUTOMATIC' &&
      !r.hasFatalError &&
      !r.eStopActive &&
      !r.busy &&
      r.currentNodeId !== null &&
      graph.hasNode(r.currentNodeId),
  );
  // free robots by (speed, node)
  const at = new Map<number, Map<number, DispatchRobot[]>>();
  for (const r of eligible) {
    const bySpeed = at.get(r.speed) ?? new Map<number, DispatchRobot[]>();
    at.set(r.speed, bySpeed);
    const i = C.index.get(r.currentNodeId!)!;
    const list = bySpeed.get(i) ?? [];
    list.push(r);
    bySpeed.set(i, list);
  }
  const taken = new Set<DispatchRobot>();
  const out: { missionId: string; robotId: string }[] = [];
  settledTotal = 0;
  for (const m of [...missions].sort(compareMissions)) {
    const root = C.index.get(m.firstStop)!;
    let best: { r: DispatchRobot; eta: number } | undefined;
    for (const speed of speeds) {
      const here = at.get(speed);
      if (!here) continue;
      let legsDist: number | undefined;
      settledTotal += boundedBackward(
        root,
        speed,
        () => best?.eta ?? Infinity,
        (node, t, d) => {
          for (const r of here.get(node) ?? []) {
            if (taken.has(r)) continue;
            if (best && (t > best.eta || (t === best.eta && (r.batteryPct < best.r.batteryPct || (r.batteryPct === best.r.batteryPct && r.id > best.r.id)))))
              continue;
            if (legsDist === undefined) {
              const path = [m.firstStop, ...m.stops];
              let dist = 0;
              for (let i = 1; i < path.length; i++) dist += graph.planRoute(path[i - 1]!, path[i]!, { speed }).distanceM;
              dist += graph.planRouteToNearest(path.at(-1)!, chargers, { speed })!.distanceM;
              legsDist = dist;
            }
            if (r.batteryPct + 1e-9 < (d + legsDist) * r.energy.pctPerMetre + r.energy.reservePct) continue;
            best = { r, eta: t };
          }
        },
      );
    }
    if (best) {
      taken.add(best.r);
      out.push({ missionId: m.id, robotId: best.r.id });
    }
  }
  return out;
}
for (let i = 0; i < 3; i++) prototypePlan();
const expected = planDispatch(graph, missions, robots).assignments.map((a) => `${a.missionId}:${a.robotId}`);
const got = prototypePlan().map((a) => `${a.missionId}:${a.robotId}`);
const same = JSON.stringify(expected) === JSON.stringify(got);
const proto = med(() => prototypePlan(), P.runs * 3);

const row = (part: string, s: ReturnType<typeof summarize>, count: string) => ({
  part,
  count,
  'median ms': round(s.p50, 3),
  'p95 ms': round(s.p95, 3),
  'share of cold median': `${Math.round((100 * s.p50) / cold.p50)} %`,
});
const rows = [
  row('planDispatch, cold (fresh DispatchCosts)', cold, `${missions.length} missions`),
  row('planDispatch, warm (per-robot scan only)', warm, `${robots.length} robots`),
  row('approach trees (full backward Dijkstra each)', approach, `${treeKeys.size} = ${firstStops.length} first stops × ${speeds.length} speeds`),
  row('charger trees (full multi-root Dijkstra each)', chargerTrees, `${legSpeeds.size} speeds`),
  row('mission legs (forward planRoute each)', legs, `${legSpeeds.size} speeds × ${missions.length} missions`),
  row('  one tree: timeTreeTo', oneTree, `${graph.nodeCount} nodes`),
  row('  of which the search (engine.run)', search, '1'),
  row('  of which the copy-out (engine.snapshot)', snapshot, '1'),
  row('prototype: bounded search per (first stop, speed)', proto, `${settledTotal} nodes settled in all`),
];
const title = `Cold planDispatch on a ${graph.nodeCount}-node site, ${robots.length} robots, ${missions.length} missions`;
rec.table(title, rows);
printTable(title, rows);
rec.target('prototype picks the same robots as planDispatch', 'same', same ? 'same' : 'DIFFERENT', same);
rec.target('prototype cold round median', '<= 5 ms', round(proto.p50, 3), proto.p50 <= 5);
rec.note(`prototype / cold planDispatch median: ${round(ratio(proto.p50, cold.p50), 3)} (${round(ratio(cold.p50, proto.p50), 0)}× faster)`);
rec.note(`distinct robot speeds ${speeds.join(', ')}; first stops ${firstStops.length}; chargers ${chargers.length}`);
rec.report(!same);
