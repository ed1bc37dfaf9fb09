/**
 * Turns a planned mission (a route on the SiteGraph plus what happens at each stop) into
 * VDA 5050 order bodies, and derives order updates from them.
 *
 * - Nodes carry even sequenceIds from 0, edges odd ones; sequenceIds stay the same across
 *   updates, so a stop keeps its sequenceId for the whole mission.
 * - Node 0 is the robot's current node (a VDA 5050 order starts where the robot stands).
 * - The released base ends at the node of stop `releaseThroughStop`; everything after it is
 *   horizon. Holding the base short is how the control plane keeps the right to divert a
 *   robot: the base can never be changed, only extended.
 * - Lift rides: a RouteEdge of kind 'lift' becomes a plain edge between the two lobby nodes,
 *   whose nodePositions lie on different maps. That map change is how the robot recognises
 *   the ride (as our simulator does; the standard has no lift object). vda-5050-lib's stock
 *   virtual AGV does not: it keeps reporting the old map, which MedLoop flags
 *   (robot.map_mismatch, see map-consistency.ts). The edge carries no maxSpeed or length because nothing is driven, and an
 *   `edgeDescription` naming the lift for people reading logs. No custom edge action is
 *   added: a robot without it would fail the action and so the order.
 * - Action ids are `${orderId}:${orderUpdateId}:${nodeSequenceId}:${index}`: deterministic,
 *   so rebuilding the same plan gives the same bytes, and unique across updates, so a
 *   replaced horizon never reuses an id a robot may still list in its actionStates.
 * - Every node position carries `theta` (see `nodeThetas`): VDA 5050 2.0 robots echo the
 *   positions they were given into `state.nodeStates`, where the 2.0 state schema requires
 *   theta, so an order without it makes the robot's own state schema-invalid.
 *
 * Only the body is built; the publisher adds the header (headerId, timestamp, version,
 * manufacturer, serialNumber) per message.
 */
import type { Action, Order, OrderEdge, OrderNode, SiteEdge, VdaHeader } from '#contracts';
import { NotFoundError, RuleViolationError, ValidationError } from '../errors.js';
import type { Route } from '../site/route.types.js';
import type { SiteGraph } from '../site/site-graph.js';
import { stopActionToVda, type StopActionSpec } from './stop-actions.js';

export type OrderBody = Omit<Order, keyof VdaHeader>;

export interface MissionStop {
  nodeId: string;
  actions: StopActionSpec[];
}

/** A stop as placed in an order: where its actions run. Kept beside the order body. */
export interface PlacedStop {
  /** Position in the mission's stop list; stable across updates. */
  stopIndex: number;
  nodeId: string;
  /** sequenceId of the order node that carries the stop's actions. */
  sequenceId: number;
  released: boolean;
  actions: Array<Pick<Action, 'actionId' | 'actionType' | 'blockingType'>>;
}

/** An order body and its stops: what an update or the progress reading needs next. */
export interface BuiltOrder {
  order: OrderBody;
  /** Every stop of the mission so far, in order (also those of earlier updates). */
  stops: PlacedStop[];
}

export interface OrderRoutePlan {
  /** The whole path, starting at the robot's current node (for an update: the stitching node). */
  route: Route;
  /** Node positions: x, y and mapId = node.floor. */
  graph: SiteGraph;
  /**
   * Stops in route order. Each one is placed at the first route position, after the previous
   * stop's, whose node is the stop's node; a route may pass a stop's node more than once.
   */
  stops: MissionStop[];
  /** Index into `stops` of the last stop in the released base; -1 = only the start node; default: all. */
  releaseThroughStop?: number;
  /** m/s cap on every driven edge (the site's own edge limits still apply when lower). */
  maxSpeed?: number;
  /** Sent on every node; robots use their own default when absent. */
  allowedDeviationXY?: number;
  /**
   * The robot's current heading (radians): the start node's theta whenever it is known (see
   * `nodeThetas`), and the fallback of last resort for every node.
   */
  startTheta?: number;
}

export interface MissionOrderPlan extends OrderRoutePlan {
  orderId: string;
}

export type OrderUpdateChange =
  /** Release more of the horizon that `previous` already holds (a global stop index). */
  | { releaseThroughStop: number }
  /** Drop the horizon and continue with a new route from the stitching node. */
  | { replaceHorizon: OrderRoutePlan };

/** Build the first order (orderUpdateId 0) of a mission. */
export function buildOrder(plan: MissionOrderPlan): BuiltOrder {
  if (!plan.orderId) throw new ValidationError('orderId must not be empty', 'orderId');
  const laid = layOut(plan, { orderId: plan.orderId, orderUpdateId: 0, firstSequenceId: 0, firstStopIndex: 0, firstStopPosition: 0 });
  return { order: { orderId: plan.orderId, orderUpdateId: 0, nodes: laid.nodes, edges: laid.edges }, stops: laid.stops };
}

/**
 * The next update of an order: same orderId, orderUpdateId + 1, stitched at the last base node
 * of `previous` (same nodeId and sequenceId). What was released is never changed: the
 * stitching node is repeated without actions, because its actions were released with
 * `previous` and a robot adds, rather than replaces, actions sent on a stitching node.
 * @throws RuleViolationError `nothing_to_release` when the release does not extend the base
 */
export function buildOrderUpdate(previous: BuiltOrder, change: OrderUpdateChange): BuiltOrder {
  const prev = previous.order;
  const baseEnd = lastBaseIndex(prev);
  const stitchNode = prev.nodes[baseEnd]!;
  const stitch: OrderNode = { ...structuredClone(stitchNode), actions: [] };
  const orderUpdateId = prev.orderUpdateId + 1;
  const body = (nodes: OrderNode[], edges: OrderEdge[]): OrderBody => ({ orderId: prev.orderId, orderUpdateId, nodes, edges });

  if ('releaseThroughStop' in change) {
    const target = previous.stops.find((s) => s.stopIndex === change.releaseThroughStop);
    if (!target) throw new NotFoundError('Stop', String(change.releaseThroughStop));
    if (target.sequenceId <= stitchNode.sequenceId) {
      throw new RuleViolationError(`stop ${target.stopIndex} is already released`, 'nothing_to_release', { stopIndex: target.stopIndex });
    }
    const through = target.sequenceId;
    const nodes = prev.nodes.slice(baseEnd + 1).map((n) => ({ ...structuredClone(n), released: n.sequenceId <= through }));
    const edges = prev.edges.slice(baseEnd).map((e) => ({ ...structuredClone(e), released: e.sequenceId < through }));
    const stops = previous.stops.map((s) => ({ ...s, released: s.sequenceId <= through }));
    return { order: body([stitch, ...nodes], edges), stops };
  }

  const plan = change.replaceHorizon;
  if (plan.route.nodes[0] !== stitchNode.nodeId) {
    throw new ValidationError(`the new route must start at the last base node '${stitchNode.nodeId}', not '${String(plan.route.nodes[0])}'`, 'route');
  }
  const kept = previous.stops.filter((s) => s.sequenceId <= stitchNode.sequenceId);
  // Stops are placed from position 1: the stitching node's actions are released and final.
  const laid = layOut(plan, {
    orderId: prev.orderId,
    orderUpdateId,
    firstSequenceId: stitchNode.sequenceId,
    firstStopIndex: kept.length,
    firstStopPosition: 1,
  });
  return { order: body([stitch, ...laid.nodes.slice(1)], laid.edges), stops: [...kept, ...laid.stops] };
}

/**
 * Recall or re-route a robot (e.g. back to the pharmacy): an update that replaces the horizon
 * after the stitching node with `tail`, which must start at that node. The released base is
 * still driven first, because VDA 5050 forbids changing it; a recall that must take effect
 * sooner needs a short base or a cancelOrder instant action followed by a new order.
 */
export function buildDivertUpdate(previous: BuiltOrder, tail: OrderRoutePlan): BuiltOrder {
  return buildOrderUpdate(previous, { replaceHorizon: tail });
}

/** Index of the last released node: the node an update must be stitched to. */
export function lastBaseIndex(order: Pick<OrderBody, 'nodes'>): number {
  const i = order.nodes.findIndex((n) => !n.released);
  if (i === 0 || order.nodes.length === 0) throw new ValidationError('an order must start with a released node', 'nodes');
  return (i === -1 ? order.nodes.length : i) - 1;
}

interface LayoutAt {
  orderId: string;
  orderUpdateId: number;
  firstSequenceId: number;
  firstStopIndex: number;
  firstStopPosition: number;
}

interface Layout {
  nodes: OrderNode[];
  edges: OrderEdge[];
  stops: PlacedStop[];
}

function layOut(plan: OrderRoutePlan, at: LayoutAt): Layout {
  const { route, graph } = plan;
  checkRoute(route);
  const positions = placeStops(route.nodes, plan.stops, at.firstStopPosition);
  if (plan.maxSpeed !== undefined && !(plan.maxSpeed > 0)) throw new ValidationError(`maxSpeed must be positive, got ${plan.maxSpeed}`, 'maxSpeed');
  if (plan.allowedDeviationXY !== undefined && !(plan.allowedDeviationXY >= 0)) {
    throw new ValidationError(`allowedDeviationXY must not be negative, got ${plan.allowedDeviationXY}`, 'allowedDeviationXY');
  }
  const release = plan.releaseThroughStop ?? plan.stops.length - 1;
  if (!Number.isInteger(release) || release < -1 || release >= plan.stops.length) {
    throw new ValidationError(`releaseThroughStop must be -1..${plan.stops.length - 1}, got ${release}`, 'releaseThroughStop');
  }
  // Nodes [0, releasedNodes) form the base: up to and including the node of stop `release`.
  const releasedNodes = release < 0 ? 1 : positions[release]! + 1;
  const stopAt = new Map(positions.map((p, j) => [p, j]));
  const seq = (p: number) => at.firstSequenceId + 2 * p;

  const stops: PlacedStop[] = [];
  const thetas = nodeThetas(route, graph, plan.startTheta);
  const nodes = route.nodes.map((nodeId, p): OrderNode => {
    const site = graph.node(nodeId);
    const j = stopAt.get(p);
    const actions =
      j === undefined
        ? []
        : plan.stops[j]!.actions.map((spec, i) => stopActionToVda(spec, `${at.orderId}:${at.orderUpdateId}:${seq(p)}:${i}`, `stops[${j}].actions[${i}]`));
    if (j !== undefined) {
      stops.push({
        stopIndex: at.firstStopIndex + j,
        nodeId,
        sequenceId: seq(p),
        released: p < releasedNodes,
        actions: actions.map(({ actionId, actionType, blockingType }) => ({ actionId, actionType, blockingType })),
      });
    }
    const node: OrderNode = { nodeId, sequenceId: seq(p), released: p < releasedNodes, actions };
    if (site.name) node.nodeDescription = site.name;
    node.nodePosition = { x: site.x, y: site.y, theta: thetas[p]!, mapId: site.floor };
    if (plan.allowedDeviationXY !== undefined) node.nodePosition.allowedDeviationXY = plan.allowedDeviationXY;
    return node;
  });

  const siteEdges = siteEdgesOf(graph);
  const edges = route.edges.map((e, p): OrderEdge => {
    const edge: OrderEdge = { edgeId: e.id, sequenceId: seq(p) + 1, released: p + 1 < releasedNodes, startNodeId: e.from, endNodeId: e.to, actions: [] };
    if (e.kind === 'lift') {
      edge.edgeDescription = `lift ride ${liftIdOf(e.id, e.from, e.to)}: ${graph.node(e.from).floor} -> ${graph.node(e.to).floor}`;
      return edge;
    }
    const maxSpeed = Math.min(siteEdges.get(e.id)?.maxSpeed ?? Infinity, plan.maxSpeed ?? Infinity);
    if (Number.isFinite(maxSpeed)) edge.maxSpeed = maxSpeed;
    edge.length = e.lengthM;
    return edge;
  });
  return { nodes, edges, stops };
}

/**
 * The orientation of the robot on each route node, radians in [-π, π]:
 * 0. the start node (where the robot stands): its current heading (`startTheta`) when known.
 *    A robot checks the first node of a new order against where it is, within
 *    allowedDeviationTheta (vda-5050-lib's virtual AGV refuses the order with noRouteError
 *    "first node of new order not within deviation range"), so asking it to stand otherwise
 *    than it stands would refuse the whole order;
 * 1. the site's own node orientation, when the site file gives one (a dock to back into);
 * 2. else the heading of the edge the robot arrives on, so it need not turn on the node;
 * 3. for the start node, and for a node reached by a lift ride (its ends lie on different
 *    maps, so no heading joins them) or by an edge of zero length: the heading of the edge it
 *    leaves on;
 * 4. else the nearest driven edge before it (the robot faces where it last drove), then after;
 * 5. else `startTheta`, else 0 — e.g. a one-node order on a site without orientations, where
 *    no heading is known at all.
 */
export function nodeThetas(route: Pick<Route, 'nodes' | 'edges'>, graph: SiteGraph, startTheta?: number): number[] {
  // heading of route edge i, or undefined when it has none (lift ride, zero length, two maps)
  const headings = route.edges.map((e) => {
    const a = graph.node(e.from);
    const b = graph.node(e.to);
    if (e.kind === 'lift' || a.floor !== b.floor || (a.x === b.x && a.y === b.y)) return undefined;
    return Math.atan2(b.y - a.y, b.x - a.x);
  });
  const nearest = (from: number, step: -1 | 1): number | undefined => {
    for (let i = from; i >= 0 && i < headings.length; i += step) if (headings[i] !== undefined) return headings[i];
    return undefined;
  };
  return route.nodes.map((nodeId, p) => {
    if (p === 0 && startTheta !== undefined) return normalizeAngle(startTheta);
    const own = graph.node(nodeId).theta;
    if (own !== undefined) return own;
    const theta = headings[p - 1] ?? headings[p] ?? nearest(p - 2, -1) ?? nearest(p + 1, 1) ?? startTheta ?? 0;
    return normalizeAngle(theta);
  });
}

/** Into [-π, π]; atan2 already is, a robot's reported heading may not be. */
function normalizeAngle(a: number): number {
  if (a >= -Math.PI && a <= Math.PI) return a;
  return ((((a + Math.PI) % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI)) - Math.PI;
}

function checkRoute(route: Route): void {
  if (route.nodes.length === 0) throw new ValidationError('the route has no nodes', 'route.nodes');
  if (route.edges.length !== route.nodes.length - 1) {
    throw new ValidationError(`the route has ${route.nodes.length} nodes and ${route.edges.length} edges; expected one edge fewer`, 'route.edges');
  }
  route.edges.forEach((e, i) => {
    if (e.from !== route.nodes[i] || e.to !== route.nodes[i + 1]) {
      throw new ValidationError(`route.edges[${i}] (${e.from} -> ${e.to}) does not join ${route.nodes[i]} to ${route.nodes[i + 1]}`, `route.edges[${i}]`);
    }
  });
}

/** Route position of every stop: the first match after the previous stop's position. */
function placeStops(routeNodes: readonly string[], stops: readonly MissionStop[], from: number): number[] {
  const positions: number[] = [];
  let next = from;
  stops.forEach((stop, j) => {
    const p = routeNodes.indexOf(stop.nodeId, next);
    if (p === -1) {
      const after = j === 0 ? '' : ` after stop ${j - 1}`;
      throw new ValidationError(`stop ${j} (${stop.nodeId}) is not on the route${after}; consecutive stops at one node must be merged`, `stops[${j}].nodeId`);
    }
    positions.push(p);
    next = p + 1;
  });
  return positions;
}

/** Lift ride ids are `${liftId}:${fromLobby}:${toLobby}` (liftEdgeId); lift ids may contain ':'. */
function liftIdOf(edgeId: string, from: string, to: string): string {
  const suffix = `:${from}:${to}`;
  return edgeId.endsWith(suffix) ? edgeId.slice(0, -suffix.length) : edgeId;
}

const siteEdgeCache = new WeakMap<SiteGraph, Map<string, SiteEdge>>();

function siteEdgesOf(graph: SiteGraph): Map<string, SiteEdge> {
  let byId = siteEdgeCache.get(graph);
  if (!byId) {
    byId = new Map(graph.site.edges.map((e) => [e.id, e]));
    siteEdgeCache.set(graph, byId);
  }
  return byId;
}
