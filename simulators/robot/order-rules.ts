/**
 * Pure VDA 5050 order-acceptance rules of a robot: is an incoming order new, an update, a
 * resend or something to reject, and what route remains after stitching an update onto the
 * current base. Schema validity is checked before this (by validateVda).
 */
import type { Order, OrderEdge, OrderNode, VdaError } from '#contracts';
import { distanceTo, type Pose } from './motion.js';

export interface RouteProgress {
  orderId: string;
  orderUpdateId: number;
  lastNodeId: string;
  lastNodeSequenceId: number;
  /** Nodes not yet reached (base then horizon). */
  nodes: OrderNode[];
  /** Edges not yet completed; edges[0] leads to nodes[0]. */
  edges: OrderEdge[];
  /** Order actions that are neither FINISHED nor FAILED. */
  unfinishedActions: number;
  pose: Pose | undefined;
}

export type OrderDecision = { kind: 'new' } | { kind: 'update' } | { kind: 'resend' } | { kind: 'reject'; error: VdaError };

/** How far (m) a robot may stand from the first node of a new order when the order omits it. */
export const DEFAULT_ALLOWED_DEVIATION_XY = 0.5;

function reject(errorType: string, order: Pick<Order, 'orderId' | 'orderUpdateId'>, description: string): OrderDecision {
  return {
    kind: 'reject',
    error: {
      errorType,
      errorLevel: 'WARNING',
      errorDescription: description,
      errorReferences: [
        { referenceKey: 'orderId', referenceValue: order.orderId },
        { referenceKey: 'orderUpdateId', referenceValue: String(order.orderUpdateId) },
      ],
    },
  };
}

/** Rules the schema cannot express; the first broken one is returned. */
export function orderStructureProblem(order: Order): string | null {
  const { nodes, edges } = order;
  if (nodes.length === 0) return 'order has no nodes';
  if (edges.length !== nodes.length - 1) return `order has ${nodes.length} nodes and ${edges.length} edges; expected exactly one edge fewer`;
  if (!nodes[0]!.released) return `first node ${nodes[0]!.nodeId} must be released`;
  let horizonStarted = false;
  const ids = new Set<string>();
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    if (node.sequenceId % 2 !== 0) return `nodes[${i}].sequenceId ${node.sequenceId} must be even`;
    if (i > 0 && !node.nodePosition) return `nodes[${i}].nodePosition is required by this robot (free navigation)`;
    const edge = edges[i - 1];
    if (edge) {
      if (edge.sequenceId !== nodes[i - 1]!.sequenceId + 1 || node.sequenceId !== edge.sequenceId + 1) {
        return `edges[${i - 1}].sequenceId ${edge.sequenceId} must lie between its nodes' sequenceIds`;
      }
      if (edge.startNodeId !== nodes[i - 1]!.nodeId || edge.endNodeId !== node.nodeId) {
        return `edges[${i - 1}] must connect ${nodes[i - 1]!.nodeId} to ${node.nodeId}`;
      }
      if (horizonStarted && edge.released) return `edges[${i - 1}] is released after the horizon started`;
      horizonStarted ||= !edge.released;
    }
    if (horizonStarted && node.released) return `nodes[${i}] is released after the horizon started`;
    horizonStarted ||= !node.released;
    for (const action of [...node.actions, ...(edge?.actions ?? [])]) {
      if (ids.has(action.actionId)) return `actionId ${action.actionId} is used twice`;
      ids.add(action.actionId);
    }
  }
  return null;
}

/** The node where an update must start: the end of the current base. */
export function baseEnd(progress: RouteProgress): { nodeId: string; sequenceId: number } {
  const released = progress.nodes.filter((n) => n.released);
  const last = released[released.length - 1];
  return last ? { nodeId: last.nodeId, sequenceId: last.sequenceId } : { nodeId: progress.lastNodeId, sequenceId: progress.lastNodeSequenceId };
}

export function decideOrder(progress: RouteProgress, order: Order): OrderDecision {
  const problem = orderStructureProblem(order);
  if (problem) return reject('orderError', order, problem);

  if (order.orderId !== progress.orderId) {
    if (progress.nodes.length > 0 || progress.unfinishedActions > 0) {
      return reject('orderError', order, `order ${progress.orderId} is still active; cancel it before sending order ${order.orderId}`);
    }
    const first = order.nodes[0]!;
    const atLastNode = progress.lastNodeId !== '' && first.nodeId === progress.lastNodeId;
    const pos = first.nodePosition;
    const nearFirst = !!progress.pose && !!pos && distanceTo(progress.pose, pos) <= (pos.allowedDeviationXY ?? DEFAULT_ALLOWED_DEVIATION_XY);
    if (!atLastNode && !nearFirst) {
      return reject('orderError', order, `first node ${first.nodeId} is not the robot's current node ${progress.lastNodeId || '(unknown)'}`);
    }
    return { kind: 'new' };
  }

  if (order.orderUpdateId === progress.orderUpdateId) return { kind: 'resend' };
  if (order.orderUpdateId < progress.orderUpdateId) {
    return reject('orderUpdateError', order, `orderUpdateId ${order.orderUpdateId} is lower than the accepted ${progress.orderUpdateId}`);
  }
  const end = baseEnd(progress);
  const first = order.nodes[0]!;
  if (first.nodeId !== end.nodeId || first.sequenceId !== end.sequenceId) {
    return reject(
      'orderUpdateError',
      order,
      `update must start at the end of the current base ${end.nodeId}/${end.sequenceId}, not ${first.nodeId}/${first.sequenceId}`,
    );
  }
  return { kind: 'update' };
}

export interface StitchedRoute {
  nodes: OrderNode[];
  edges: OrderEdge[];
  /** True when the stitching node was already reached: its new actions must run now. */
  stitchNodeReached: boolean;
}

/**
 * Route after an accepted update: the unfinished base is kept unchanged up to the stitching
 * node, the old horizon is dropped, and the update's nodes and edges follow. Actions the
 * update adds to the stitching node are appended to it (never replacing released ones).
 */
export function stitchOrder(progress: RouteProgress, update: Order): StitchedRoute {
  const baseNodes = progress.nodes.filter((n) => n.released);
  const baseEdges = progress.edges.filter((e) => e.released);
  const [stitch, ...newNodes] = update.nodes;
  const known = new Set(baseNodes.flatMap((n) => n.actions.map((a) => a.actionId)));
  const extra = (stitch?.actions ?? []).filter((a) => !known.has(a.actionId));
  const last = baseNodes[baseNodes.length - 1];
  if (last) {
    const merged = { ...last, actions: [...last.actions, ...extra] };
    return { nodes: [...baseNodes.slice(0, -1), merged, ...newNodes], edges: [...baseEdges, ...update.edges], stitchNodeReached: false };
  }
  return { nodes: newNodes, edges: [...update.edges], stitchNodeReached: true };
}
