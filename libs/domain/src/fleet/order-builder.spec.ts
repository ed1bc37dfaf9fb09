import { describe, expect, it } from '@jest/globals';
import { MEDLOOP_ACTION_TYPES, parseSiteFile, type SiteFileInput, validateVda, VDA_VERSIONS } from '#contracts';
import { NotFoundError, RuleViolationError, ValidationError } from '../errors.js';
import { CARD, deliveryPlan, DOCK, graph, ONC, routeThrough, withHeader } from './fleet.fixture.js';
import { SiteGraph } from '../site/site-graph.js';
import { buildDivertUpdate, buildOrder, buildOrderUpdate, lastBaseIndex, nodeThetas, type OrderBody } from './order-builder.js';

/** The VDA 5050 rules the schema cannot express; [] when the order keeps them all. */
function structureProblems(order: OrderBody): string[] {
  const problems: string[] = [];
  const { nodes, edges } = order;
  if (edges.length !== nodes.length - 1) problems.push('edge count');
  let horizon = false;
  nodes.forEach((n, i) => {
    if (n.sequenceId !== nodes[0]!.sequenceId + 2 * i) problems.push(`nodes[${i}].sequenceId`);
    if (horizon && n.released) problems.push(`nodes[${i}] released after horizon`);
    horizon ||= !n.released;
    const e = edges[i];
    if (!e) return;
    if (e.sequenceId !== n.sequenceId + 1) problems.push(`edges[${i}].sequenceId`);
    if (e.startNodeId !== n.nodeId || e.endNodeId !== nodes[i + 1]!.nodeId) problems.push(`edges[${i}] endpoints`);
    if (e.released !== nodes[i + 1]!.released) problems.push(`edges[${i}].released differs from its end node`);
  });
  const ids = [...nodes, ...edges].flatMap((x) => x.actions.map((a) => a.actionId));
  if (new Set(ids).size !== ids.length) problems.push('duplicate actionId');
  return problems;
}

function expectValid(order: OrderBody): void {
  expect(structureProblems(order)).toEqual([]);
  for (const version of VDA_VERSIONS) {
    const result = validateVda('order', withHeader(order, version));
    expect(result.ok ? [] : result.errors).toEqual([]);
  }
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('buildOrder', () => {
  const plan = deliveryPlan();
  const { order, stops } = buildOrder(plan);

  it('lays the route out as nodes (even sequenceIds from 0) and edges (odd) starting at the robot', () => {
    expect(order.orderId).toBe('mission-7');
    expect(order.orderUpdateId).toBe(0);
    expect(order.nodes.map((n) => n.nodeId)).toEqual(plan.route.nodes);
    expect(order.nodes[0]!.nodeId).toBe(DOCK);
    expect(order.nodes.map((n) => n.sequenceId)).toEqual(plan.route.nodes.map((_, i) => 2 * i));
    expect(order.edges.map((e) => e.sequenceId)).toEqual(plan.route.edges.map((_, i) => 2 * i + 1));
    expect(order.edges.map((e) => e.edgeId)).toEqual(plan.route.edges.map((e) => e.id));
    const seqOf = (nodeId: string) => 2 * plan.route.nodes.indexOf(nodeId);
    expect(stops.map((s) => [s.stopIndex, s.nodeId, s.sequenceId, s.released])).toEqual([
      [0, DOCK, 0, true],
      [1, ONC, seqOf(ONC), true],
      [2, CARD, seqOf(CARD), true],
    ]);
    expect(stops[1]!.actions).toEqual(
      order.nodes[seqOf(ONC) / 2]!.actions.map(({ actionId, actionType, blockingType }) => ({ actionId, actionType, blockingType })),
    );
    expectValid(order);
  });

  it('takes node positions and maps from the site graph', () => {
    const onc = order.nodes.find((n) => n.nodeId === ONC)!;
    const site = graph.node(ONC);
    expect(onc.nodePosition).toEqual({ x: site.x, y: site.y, theta: expect.any(Number), mapId: 'F2' });
    expect(onc.nodeDescription).toBe(site.name);
  });

  it('turns a lift ride into an edge between lobbies on different maps, without speed or length', () => {
    const lifts = order.edges.filter((e) => e.edgeId.startsWith('LIFT-'));
    expect(lifts.length).toBe(2); // F0 -> F2, then F2 -> F1
    for (const lift of lifts) {
      const [from, to] = [order.nodes.find((n) => n.nodeId === lift.startNodeId)!, order.nodes.find((n) => n.nodeId === lift.endNodeId)!];
      expect(from.nodePosition!.mapId).not.toBe(to.nodePosition!.mapId);
      expect(lift.maxSpeed).toBeUndefined();
      expect(lift.length).toBeUndefined();
      expect(lift.edgeDescription).toMatch(/^lift ride LIFT-[AB]: F\d -> F\d$/);
    }
  });

  it("caps edge speed at the lower of the site's limit and the plan's maxSpeed", () => {
    const capped = buildOrder(deliveryPlan({ maxSpeed: 0.7 })).order;
    const door = (o: OrderBody) => o.edges.find((e) => e.edgeId === 'F0-E-PHARMACY-DOOR')!;
    const corridor = (o: OrderBody) => o.edges.find((e) => e.edgeId === 'F0-E-C5-C15')!;
    expect(door(order).maxSpeed).toBe(0.5); // site limit
    expect(corridor(order).maxSpeed).toBeUndefined();
    expect(door(capped).maxSpeed).toBe(0.5);
    expect(corridor(capped).maxSpeed).toBe(0.7);
    expect(corridor(capped).length).toBe(10);
  });

  it('maps stop actions onto VDA and MedLoop action types with HARD blocking and sorted parameters', () => {
    const onc = order.nodes.find((n) => n.nodeId === ONC)!;
    expect(onc.actions.map((a) => a.actionType)).toEqual([
      MEDLOOP_ACTION_TYPES.waitForRecipient,
      MEDLOOP_ACTION_TYPES.unlockCompartment,
      'drop',
      MEDLOOP_ACTION_TYPES.lockCompartment,
    ]);
    expect(onc.actions.every((a) => a.blockingType === 'HARD')).toBe(true);
    expect(onc.actions[0]!.actionParameters).toEqual([
      { key: 'compartmentId', value: 'C1' },
      { key: 'recipientId', value: 'nurse-7' },
      { key: 'timeoutS', value: 600 },
    ]);
    expect(onc.actions.map((a) => a.actionId)).toEqual([0, 1, 2, 3].map((i) => `mission-7:0:${onc.sequenceId}:${i}`));
    expect(order.nodes[0]!.actions.map((a) => a.actionType).filter((t) => t === 'pick')).toHaveLength(2);
  });

  it('is deterministic: the same plan gives the same bytes', () => {
    expect(JSON.stringify(buildOrder(deliveryPlan()))).toBe(JSON.stringify(buildOrder(plan)));
  });

  it('places stops in order when the route passes a stop node more than once', () => {
    const loop = buildOrder({
      orderId: 'loop',
      graph,
      route: routeThrough(DOCK, ONC, DOCK),
      stops: [
        { nodeId: DOCK, actions: [{ kind: 'pick', compartmentId: 'C1' }] },
        { nodeId: ONC, actions: [] },
        { nodeId: DOCK, actions: [{ kind: 'startCharging' }] },
      ],
    });
    const last = loop.order.nodes.length - 1;
    expect(loop.stops.map((s) => s.sequenceId)).toEqual([0, loop.order.nodes.findIndex((n) => n.nodeId === ONC) * 2, 2 * last]);
    expect(loop.order.nodes[0]!.actions.map((a) => a.actionType)).toEqual(['pick']);
    expect(loop.order.nodes[last]!.actions.map((a) => a.actionType)).toEqual(['startCharging']);
    expectValid(loop.order);
  });

  it('refuses two consecutive stops at one node: their actions belong in one stop', () => {
    const twice = deliveryPlan({
      stops: [
        { nodeId: DOCK, actions: [{ kind: 'pick', compartmentId: 'C1' }] },
        { nodeId: DOCK, actions: [{ kind: 'pick', compartmentId: 'C2' }] },
      ],
    });
    expect(thrown(() => buildOrder(twice))).toMatchObject({ field: 'stops[1].nodeId' });
  });

  it('releases the base through stop releaseThroughStop and leaves the rest as horizon', () => {
    const built = buildOrder(deliveryPlan({ releaseThroughStop: 1 }));
    const oncAt = built.order.nodes.findIndex((n) => n.nodeId === ONC);
    expect(built.order.nodes.map((n) => n.released)).toEqual(built.order.nodes.map((_, i) => i <= oncAt));
    expect(built.order.edges.map((e) => e.released)).toEqual(built.order.edges.map((_, i) => i < oncAt));
    expect(built.stops.map((s) => s.released)).toEqual([true, true, false]);
    expect(lastBaseIndex(built.order)).toBe(oncAt);
    expectValid(built.order);

    const standStill = buildOrder(deliveryPlan({ releaseThroughStop: -1 })).order;
    expect(standStill.nodes.filter((n) => n.released).map((n) => n.nodeId)).toEqual([DOCK]);
    expectValid(standStill);
  });

  it('rejects plans a robot could not run', () => {
    expect(thrown(() => buildOrder(deliveryPlan({ stops: [{ nodeId: 'F3-PAED-STATION', actions: [] }] })))).toBeInstanceOf(ValidationError);
    // stops out of route order
    const swapped = deliveryPlan();
    swapped.stops = [swapped.stops[0]!, swapped.stops[2]!, swapped.stops[1]!];
    expect(thrown(() => buildOrder(swapped))).toBeInstanceOf(ValidationError);
    expect(thrown(() => buildOrder(deliveryPlan({ stops: [{ nodeId: ONC, actions: [{ kind: 'unlockCompartment' }] }] })))).toMatchObject({
      field: 'stops[0].actions[0].compartmentId',
    });
    expect(thrown(() => buildOrder(deliveryPlan({ stops: [{ nodeId: ONC, actions: [{ kind: 'custom' }] }] })))).toBeInstanceOf(ValidationError);
    expect(thrown(() => buildOrder(deliveryPlan({ releaseThroughStop: 3 })))).toBeInstanceOf(ValidationError);
    const broken = routeThrough(DOCK, ONC);
    broken.edges.splice(3, 1);
    expect(thrown(() => buildOrder(deliveryPlan({ route: broken, stops: [] })))).toBeInstanceOf(ValidationError);
    expect(thrown(() => buildOrder(deliveryPlan({ route: { ...broken, nodes: ['nowhere'], edges: [] }, stops: [] })))).toBeInstanceOf(NotFoundError);
  });

  it('passes custom actions through unchanged, e.g. the standard waitForTrigger', () => {
    const built = buildOrder(deliveryPlan({ stops: [{ nodeId: ONC, actions: [{ kind: 'custom', actionType: 'waitForTrigger', blocking: 'SOFT' }] }] }));
    expect(built.stops[0]!.actions).toEqual([{ actionId: expect.any(String), actionType: 'waitForTrigger', blockingType: 'SOFT' }]);
    expectValid(built.order);
  });
});

describe('node theta', () => {
  // A(0,0) -> B(3,4) -> C(3,10) on F1, lift C -> D (F2), D(3,10) -> E(0,10) -> P(0,12, theta 0.5)
  const site: SiteFileInput = {
    id: 'tiny',
    name: 'tiny',
    floors: [
      { mapId: 'F1', name: 'one', level: 1 },
      { mapId: 'F2', name: 'two', level: 2 },
    ],
    nodes: [
      { id: 'A', floor: 'F1', x: 0, y: 0, kind: 'waypoint' },
      { id: 'B', floor: 'F1', x: 3, y: 4, kind: 'waypoint' },
      { id: 'C', floor: 'F1', x: 3, y: 10, kind: 'lift_lobby' },
      { id: 'D', floor: 'F2', x: 3, y: 10, kind: 'lift_lobby' },
      { id: 'E', floor: 'F2', x: 0, y: 10, kind: 'waypoint' },
      { id: 'P', floor: 'F2', x: 0, y: 12, theta: 0.5, kind: 'parking' },
    ],
    edges: [
      { id: 'AB', from: 'A', to: 'B' },
      { id: 'BC', from: 'B', to: 'C' },
      { id: 'DE', from: 'D', to: 'E' },
      { id: 'EP', from: 'E', to: 'P' },
    ],
    lifts: [{ id: 'L', name: 'lift', serves: ['C', 'D'], rideTimePerFloorS: 5, meanWaitS: 10 }],
  };
  const tiny = new SiteGraph(parseSiteFile(site, 'tiny'));
  const route = (from: string, to: string) => tiny.planRoute(from, to, { speed: 1 });

  it('is the heading of the arriving edge; the start node takes the departing one', () => {
    const r = route('A', 'C');
    expect(r.nodes).toEqual(['A', 'B', 'C']);
    const t = nodeThetas(r, tiny);
    expect(t[0]).toBeCloseTo(Math.atan2(4, 3));
    expect(t[1]).toBeCloseTo(Math.atan2(4, 3));
    expect(t[2]).toBeCloseTo(Math.PI / 2);
  });

  it("gives the start node the robot's own heading when known: a robot refuses an order whose first node it is not at", () => {
    const r = route('A', 'C');
    const t = nodeThetas(r, tiny, -0.25);
    expect(t[0]).toBe(-0.25); // not the departing edge's atan2(4, 3)
    expect(t[1]).toBeCloseTo(Math.atan2(4, 3));
    // also over the site's own orientation of the node it stands on
    expect(nodeThetas(route('P', 'E'), tiny, 2)[0]).toBe(2);
  });

  it("takes the site's own node orientation first", () => {
    const r = route('E', 'P');
    expect(nodeThetas(r, tiny)).toEqual([Math.PI / 2, 0.5]);
  });

  it('across a lift (two maps) uses the next driven edge, and before it the previous one', () => {
    const r = route('B', 'E');
    expect(r.nodes).toEqual(['B', 'C', 'D', 'E']);
    const t = nodeThetas(r, tiny);
    expect(t[1]).toBeCloseTo(Math.PI / 2); // C: arrived from B, heading north
    expect(t[2]).toBeCloseTo(Math.PI); // D: reached by lift, leaves west towards E
    expect(t[3]).toBeCloseTo(Math.PI);
    // a route ending in the lift car's lobby: the last driven edge, on the other map
    const up = route('B', 'D');
    expect(nodeThetas(up, tiny)[2]).toBeCloseTo(Math.PI / 2);
  });

  it("uses the robot's heading for a one-node order, normalised to [-π, π]; 0 when nothing is known", () => {
    const still = { nodes: ['A'], edges: [] };
    expect(nodeThetas(still, tiny, 1.25)).toEqual([1.25]);
    expect(Math.abs(nodeThetas(still, tiny, 3 * Math.PI)[0]!)).toBeCloseTo(Math.PI);
    expect(nodeThetas(still, tiny, 2.5 * Math.PI)[0]).toBeCloseTo(Math.PI / 2);
    expect(nodeThetas(still, tiny)).toEqual([0]);
    // a lift-only order: the robot stands at the start, its heading beats one on the other map
    expect(nodeThetas(route('C', 'D'), tiny, -1)).toEqual([-1, -1]);
  });

  it('puts theta on every node position, in [-π, π], and the order still validates', () => {
    const { order } = buildOrder(deliveryPlan());
    for (const n of order.nodes) {
      expect(typeof n.nodePosition!.theta).toBe('number');
      expect(Math.abs(n.nodePosition!.theta!)).toBeLessThanOrEqual(Math.PI);
    }
    expectValid(order);
  });

  it('the site schema refuses an orientation outside [-π, π]', () => {
    const bad = { ...site, nodes: site.nodes.map((n) => (n.id === 'P' ? { ...n, theta: 4 } : n)) };
    expect(() => parseSiteFile(bad, 'bad')).toThrow(/theta must be in \[-π, π\]/);
  });
});

describe('buildOrderUpdate', () => {
  const first = buildOrder(deliveryPlan({ releaseThroughStop: 0 }));

  it('stitches at the last base node, extends the base and keeps the horizon as it was', () => {
    const update = buildOrderUpdate(first, { releaseThroughStop: 1 });
    const u = update.order;
    expect(u.orderId).toBe(first.order.orderId);
    expect(u.orderUpdateId).toBe(1);
    // the stitching node: same node and sequenceId as the previous base end, actions not repeated
    const stitch = first.order.nodes[lastBaseIndex(first.order)]!;
    expect(u.nodes[0]).toEqual({ ...stitch, actions: [] });
    // every later node and edge is the previous one, only its released flag may change
    const unreleased = (x: { released: boolean }) => ({ ...x, released: false });
    expect(u.nodes.slice(1).map(unreleased)).toEqual(first.order.nodes.slice(1).map(unreleased));
    expect(u.edges.map(unreleased)).toEqual(first.order.edges.map(unreleased));
    const oncAt = u.nodes.findIndex((n) => n.nodeId === ONC);
    expect(u.nodes.map((n) => n.released)).toEqual(u.nodes.map((_, i) => i <= oncAt));
    expect(update.stops.map((s) => s.released)).toEqual([true, true, false]);
    expectValid(u);
  });

  it('chains: an update of an update stitches at its base end', () => {
    const second = buildOrderUpdate(buildOrderUpdate(first, { releaseThroughStop: 1 }), { releaseThroughStop: 2 });
    expect(second.order.orderUpdateId).toBe(2);
    expect(second.order.nodes[0]!.nodeId).toBe(ONC);
    expect(second.order.nodes.every((n) => n.released)).toBe(true);
    expect(second.order.nodes.at(-1)!.nodeId).toBe(CARD);
    expectValid(second.order);
  });

  it('refuses a release that does not extend the base', () => {
    expect(thrown(() => buildOrderUpdate(first, { releaseThroughStop: 0 }))).toBeInstanceOf(RuleViolationError);
    expect(thrown(() => buildOrderUpdate(first, { releaseThroughStop: 9 }))).toBeInstanceOf(NotFoundError);
  });
});

describe('buildDivertUpdate (recall to the pharmacy)', () => {
  const first = buildOrder(deliveryPlan({ releaseThroughStop: 1 }));
  const recall = buildDivertUpdate(first, { route: routeThrough(ONC, DOCK), graph, stops: [{ nodeId: DOCK, actions: [{ kind: 'startCharging' }] }] });

  it('replaces the horizon after the stitching node with the new tail', () => {
    const u = recall.order;
    expect(u.orderUpdateId).toBe(1);
    expect(u.nodes[0]).toEqual({ ...first.order.nodes[lastBaseIndex(first.order)]!, actions: [] });
    expect(u.nodes.map((n) => n.nodeId)).toEqual(routeThrough(ONC, DOCK).nodes);
    expect(u.nodes.some((n) => n.nodeId === CARD)).toBe(false);
    expect(u.nodes.map((n) => n.sequenceId)).toEqual(u.nodes.map((_, i) => u.nodes[0]!.sequenceId + 2 * i));
    expectValid(u);
  });

  it('keeps the released stops, drops the horizon stops and numbers the new ones after them', () => {
    expect(recall.stops.map((s) => [s.stopIndex, s.nodeId])).toEqual([
      [0, DOCK],
      [1, ONC],
      [2, DOCK],
    ]);
    expect(recall.stops.slice(0, 2)).toEqual(first.stops.slice(0, 2));
    // fresh action ids: never the id of a dropped horizon action
    const dropped = new Set(first.stops[2]!.actions.map((a) => a.actionId));
    expect(recall.stops[2]!.actions.map((a) => a.actionId)).toEqual([`mission-7:1:${recall.order.nodes.at(-1)!.sequenceId}:0`]);
    expect(recall.stops[2]!.actions.some((a) => dropped.has(a.actionId))).toBe(false);
  });

  it('must start at the stitching node', () => {
    expect(thrown(() => buildDivertUpdate(first, { route: routeThrough(CARD, DOCK), graph, stops: [] }))).toBeInstanceOf(ValidationError);
  });
});
