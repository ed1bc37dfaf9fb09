import { describe, expect, it } from '@jest/globals';
import type { Route } from './route.types.js';
import { randomSite, referenceDurations, seededRandom } from './random-site.fixture.js';
import { SiteGraph } from './site-graph.js';

/** A route must be a real walk: consecutive edges, and its totals add up. */
function expectConsistent(graph: SiteGraph, route: Route, from: string, to: string, speed: number): void {
  expect(route.nodes[0]).toBe(from);
  expect(route.nodes.at(-1)).toBe(to);
  expect(route.edges).toHaveLength(route.nodes.length - 1);
  const edgesById = new Map(graph.site.edges.map((e) => [e.id, e]));
  let distance = 0;
  let time = 0;
  route.edges.forEach((e, i) => {
    expect(e.from).toBe(route.nodes[i]);
    expect(e.to).toBe(route.nodes[i + 1]);
    distance += e.lengthM;
    if (e.kind === 'lift') {
      expect(e.lengthM).toBe(0);
      return;
    }
    const site = edgesById.get(e.id)!;
    // Travelled against a one-way edge? That is a bug.
    if (!site.bidirectional) expect([site.from, site.to]).toEqual([e.from, e.to]);
    time += e.lengthM / Math.min(speed, site.maxSpeed ?? Infinity);
  });
  expect(route.distanceM).toBeCloseTo(distance, 6);
  expect(route.durationS).toBeGreaterThanOrEqual(time - 1e-6);
}

describe('SiteGraph on a large random site', () => {
  // 2 floors × 50 × 50 = 5,000 nodes, ~8,000 links, some one-way, some speed-limited, 2 lifts.
  const site = randomSite({ seed: 42, floors: 2, side: 50 });
  const graph = new SiteGraph(site);
  const ids = site.nodes.map((n) => n.id);

  it('has the size this test is meant to exercise', () => {
    expect(graph.nodeCount).toBe(5000);
    expect(site.edges.length).toBeGreaterThan(7000);
  });

  it('agrees with a naive reference on every destination from several starts', () => {
    const rnd = seededRandom(7);
    for (const speed of [1.2, 0.6]) {
      const from = ids[Math.floor(rnd() * ids.length)]!;
      const expected = referenceDurations(site, from, speed);
      const tree = graph.timeTreeFrom(from, { speed });
      let reachable = 0;
      for (const id of ids) {
        const want = expected.get(id)!;
        if (want === Infinity) {
          expect(tree.durationS(id)).toBe(Infinity);
        } else {
          reachable++;
          expect(tree.durationS(id)).toBeCloseTo(want, 6);
        }
      }
      // Most of the grid must be reachable, or the comparison proves little.
      expect(reachable).toBeGreaterThan(ids.length * 0.8);

      // planRoute (early exit) must find the same optimum as the full search.
      for (let k = 0; k < 40; k++) {
        const to = ids[Math.floor(rnd() * ids.length)]!;
        const want = expected.get(to)!;
        if (want === Infinity) {
          expect(() => graph.planRoute(from, to, { speed })).toThrow(/no route/);
          continue;
        }
        const route = graph.planRoute(from, to, { speed });
        expect(route.durationS).toBeCloseTo(want, 6);
        expectConsistent(graph, route, from, to, speed);
      }
    }
  });

  it('backward trees agree with forward routes (one-way edges handled in reverse)', () => {
    const rnd = seededRandom(11);
    const root = ids[Math.floor(rnd() * ids.length)]!;
    const tree = graph.timeTreeTo([root], { speed: 1 });
    // The reference is O(n²) per start: a few checks against it, many against planRoute.
    for (let k = 0; k < 4; k++) {
      const from = ids[Math.floor(rnd() * ids.length)]!;
      const want = referenceDurations(site, from, 1).get(root)!;
      if (want === Infinity) {
        expect(tree.durationS(from)).toBe(Infinity);
      } else {
        expect(tree.durationS(from)).toBeCloseTo(want, 6);
        expectConsistent(graph, tree.route(from)!, from, root, 1);
      }
    }
    for (let k = 0; k < 100; k++) {
      const from = ids[Math.floor(rnd() * ids.length)]!;
      const t = tree.durationS(from);
      if (t === Infinity) expect(() => graph.planRoute(from, root, { speed: 1 })).toThrow(/no route/);
      else expect(graph.planRoute(from, root, { speed: 1 }).durationS).toBeCloseTo(t, 6);
    }
  });
});
