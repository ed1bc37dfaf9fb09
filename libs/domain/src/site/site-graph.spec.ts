import { describe, expect, it } from '@jest/globals';
import { parseSiteFile } from '#contracts';
import { NotFoundError, RuleViolationError, ValidationError } from '../errors.js';
import { SiteGraph } from './site-graph.js';

/**
 *   F0:  A ──(slow 0.2 m/s, 10 m)── B ── L0      F1: L1      F2: L2 ── D ──(one-way)──> E
 *         \                       /
 *          └──── C (two 7.07 m legs) ┘
 * Lift L0/L1/L2: 30 s wait + 5 s per floor.
 */
function smallSite() {
  return parseSiteFile({
    id: 'small',
    name: 'Small',
    floors: [
      { mapId: 'F0', name: 'G', level: 0 },
      { mapId: 'F1', name: '1', level: 1 },
      { mapId: 'F2', name: '2', level: 2 },
    ],
    wards: [{ id: 'W', name: 'Ward', floor: 'F2' }],
    nodes: [
      { id: 'A', floor: 'F0', x: 0, y: 0, kind: 'pharmacy_dock' },
      { id: 'B', floor: 'F0', x: 10, y: 0, kind: 'waypoint' },
      { id: 'C', floor: 'F0', x: 5, y: 5, kind: 'charger' },
      { id: 'L0', floor: 'F0', x: 20, y: 0, kind: 'lift_lobby' },
      { id: 'L1', floor: 'F1', x: 20, y: 0, kind: 'lift_lobby' },
      { id: 'L2', floor: 'F2', x: 20, y: 0, kind: 'lift_lobby' },
      { id: 'D', floor: 'F2', x: 30, y: 0, kind: 'ward_station', ward: 'W' },
      { id: 'E', floor: 'F2', x: 30, y: 10, kind: 'waypoint', ward: 'W' },
    ],
    edges: [
      { id: 'AB', from: 'A', to: 'B', maxSpeed: 0.2 },
      { id: 'AC', from: 'A', to: 'C' },
      { id: 'CB', from: 'C', to: 'B', kind: 'door' },
      { id: 'BL0', from: 'B', to: 'L0' },
      { id: 'L2D', from: 'L2', to: 'D' },
      { id: 'DE', from: 'D', to: 'E', bidirectional: false },
    ],
    lifts: [{ id: 'LIFT', name: 'Lift', serves: ['L0', 'L1', 'L2'], rideTimePerFloorS: 5, meanWaitS: 30 }],
  });
}

const DIAG = Math.hypot(5, 5);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('SiteGraph.planRoute', () => {
  const graph = new SiteGraph(smallSite());

  it('prefers the faster detour over a short edge with a low speed limit', () => {
    const route = graph.planRoute('A', 'B', { speed: 1 });
    expect(route.nodes).toEqual(['A', 'C', 'B']);
    expect(route.durationS).toBeCloseTo(2 * DIAG);
    expect(route.distanceM).toBeCloseTo(2 * DIAG);
  });

  it('takes the short edge when the robot is slower than its limit anyway (speed = min(speed, maxSpeed))', () => {
    const route = graph.planRoute('A', 'B', { speed: 0.1 });
    expect(route.nodes).toEqual(['A', 'B']);
    expect(route.durationS).toBeCloseTo(100);
  });

  it('rides the lift across floors at wait + ride time × floors, with edges in travel direction', () => {
    const route = graph.planRoute('D', 'A', { speed: 1 });
    expect(route.nodes).toEqual(['D', 'L2', 'L0', 'B', 'C', 'A']);
    expect(route.edges).toEqual([
      { id: 'L2D', from: 'D', to: 'L2', lengthM: 10, kind: 'corridor' },
      { id: 'LIFT:L2:L0', from: 'L2', to: 'L0', lengthM: 0, kind: 'lift' },
      { id: 'BL0', from: 'L0', to: 'B', lengthM: 10, kind: 'corridor' },
      { id: 'CB', from: 'B', to: 'C', lengthM: DIAG, kind: 'door' },
      { id: 'AC', from: 'C', to: 'A', lengthM: DIAG, kind: 'corridor' },
    ]);
    expect(route.durationS).toBeCloseTo(10 + (30 + 5 * 2) + 10 + 2 * DIAG);
    expect(route.distanceM).toBeCloseTo(20 + 2 * DIAG);
    expect(graph.planRoute('L0', 'L1', { speed: 1 }).durationS).toBe(35);
  });

  it('returns an empty route from a node to itself', () => {
    expect(graph.planRoute('B', 'B', { speed: 1 })).toEqual({ nodes: ['B'], edges: [], durationS: 0, distanceM: 0 });
  });

  it('respects one-way edges: the way back is unreachable', () => {
    expect(graph.planRoute('D', 'E', { speed: 1 }).durationS).toBe(10);
    const err = thrown(() => graph.planRoute('E', 'A', { speed: 1 }));
    expect(err).toBeInstanceOf(RuleViolationError);
    expect(err).toMatchObject({ code: 'destination_unreachable', details: { from: 'E', to: 'A' } });
  });

  it('throws NotFoundError for an unknown node and ValidationError for a bad speed', () => {
    const err = thrown(() => graph.planRoute('A', 'NOPE', { speed: 1 }));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ code: 'site_node_not_found', message: "Site node 'NOPE' not found" });
    expect(thrown(() => graph.planRoute('A', 'B', { speed: 0 }))).toBeInstanceOf(ValidationError);
    expect(thrown(() => graph.planRoute('A', 'B', { speed: Number.NaN }))).toBeInstanceOf(ValidationError);
  });

  it('gives the same answer after searches at other speeds (scratch and cache reuse)', () => {
    const first = graph.planRoute('A', 'D', { speed: 1 });
    graph.planRoute('E', 'E', { speed: 0.3 });
    graph.planRoute('A', 'B', { speed: 0.1 });
    expect(graph.planRoute('A', 'D', { speed: 1 })).toEqual(first);
  });
});

describe('SiteGraph lookups', () => {
  const graph = new SiteGraph(smallSite());

  it('finds the nearest node on the robot floor only', () => {
    expect(graph.nearestNode('F0', 9, 1)).toEqual({ node: expect.objectContaining({ id: 'B' }), distanceM: Math.hypot(1, 1) });
    expect(graph.nearestNode('F0', 4, 4)?.node.id).toBe('C');
    expect(graph.nearestNode('F2', 29, 9)?.node.id).toBe('E');
    expect(graph.nearestNode('F1', 0, 0)?.node.id).toBe('L1');
    expect(thrown(() => graph.nearestNode('F7', 0, 0))).toBeInstanceOf(NotFoundError);
  });

  it('lists nodes by kind, optionally by ward', () => {
    expect(graph.nodesOfKind('lift_lobby').map((n) => n.id)).toEqual(['L0', 'L1', 'L2']);
    expect(graph.nodesOfKind('ward_station', 'W').map((n) => n.id)).toEqual(['D']);
    expect(graph.nodesOfKind('waypoint', 'W').map((n) => n.id)).toEqual(['E']);
    expect(graph.nodesOfKind('ward_station', 'OTHER')).toEqual([]);
    expect(graph.nodesOfKind('parking')).toEqual([]);
  });

  it('plans to the quickest of several candidates', () => {
    expect(graph.planRouteToNearest('L0', ['C', 'D'], { speed: 1 })?.nodes).toEqual(['L0', 'B', 'C']);
    expect(graph.planRouteToNearest('E', ['A', 'D'], { speed: 1 })).toBeUndefined();
    expect(graph.planRouteToNearest('A', [], { speed: 1 })).toBeUndefined();
    // The candidate mask is reset: C is no longer a target in the next search.
    expect(graph.planRouteToNearest('L0', ['D'], { speed: 1 })?.nodes).toEqual(['L0', 'L2', 'D']);
  });
});

describe('SiteGraph time trees', () => {
  const graph = new SiteGraph(smallSite());

  it('times every node to a destination in one backward search, honouring one-way edges', () => {
    const toD = graph.timeTreeTo(['D'], { speed: 1 });
    expect(toD.durationS('A')).toBeCloseTo(graph.planRoute('A', 'D', { speed: 1 }).durationS);
    expect(toD.distanceM('A')).toBeCloseTo(graph.planRoute('A', 'D', { speed: 1 }).distanceM);
    expect(toD.route('A')).toEqual(graph.planRoute('A', 'D', { speed: 1 }));
    expect(toD.durationS('E')).toBe(Infinity); // E → D would drive the one-way edge backwards
    expect(toD.route('E')).toBeUndefined();
    expect(graph.timeTreeTo(['E'], { speed: 1 }).durationS('D')).toBe(10);
  });

  it('with several roots, reports the nearest one', () => {
    const toAny = graph.timeTreeTo(['A', 'D'], { speed: 1 });
    expect(toAny.rootOf('B')).toBe('A');
    expect(toAny.rootOf('L2')).toBe('D');
    expect(toAny.durationS('L2')).toBe(10);
  });

  it('forward trees match planRoute from the root', () => {
    const fromA = graph.timeTreeFrom('A', { speed: 1 });
    for (const to of ['B', 'C', 'L1', 'D', 'E']) {
      expect(fromA.route(to)).toEqual(graph.planRoute('A', to, { speed: 1 }));
    }
  });
});
