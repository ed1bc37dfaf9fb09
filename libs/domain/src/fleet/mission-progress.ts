/**
 * A transport mission's progress read from the robot's VDA 5050 state. VDA 5050 has no order
 * status, so it is derived here from these facts of the standard:
 *
 * - The robot runs an order once its state echoes orderId/orderUpdateId.
 * - lastNodeId/lastNodeSequenceId name the last node reached (on a new order: the start node,
 *   which counts as reached on acceptance); nodeStates/edgeStates list what is still to be
 *   traversed, horizon included. Both empty means the route is done.
 * - actionStates keep every action of the order, finished ones too, until a new order
 *   (orderId) arrives; an action not listed yet has not started.
 *
 * Actions of earlier updates are not in the latest order body (the stitching node is resent
 * without them), so the stops carry their action ids and blocking types.
 */
import { type ActionState, type ActionStatus, MEDLOOP_ACTION_TYPES, type State, VDA_ACTION_TYPES, type VdaError } from '#contracts';
import type { OrderBody, PlacedStop } from './order-builder.js';
import { findOrderRejection } from './order-tracker.js';

export type MissionPhase = 'sent' | 'accepted' | 'running' | 'at_stop' | 'finished' | 'failed';

/** A stop as the progress reading needs it; the index in the list is the stop index. */
export type ProgressStop = Pick<PlacedStop, 'nodeId' | 'sequenceId' | 'actions'>;

export interface MissionProgress {
  phase: MissionPhase;
  /** The stop the robot is at or heading to; absent when no stop lies ahead. */
  stopIndex?: number;
  /** From the state; null while the state still belongs to another order. */
  lastNodeSequenceId: number | null;
  /** Ids of this order's actions that FAILED (any blocking type). */
  actionFailures: string[];
  /** At a stop with a wait action (recipient / trigger) running: why the robot stands still. */
  waitingAtStop?: boolean;
  /** For phase 'failed': what ended the mission, for people. */
  failure?: string;
  /** The robot still runs an earlier update of this order. */
  updatePending?: boolean;
  /** The robot refused this order or update (its error description). */
  rejection?: string;
}

const WAIT_ACTION_TYPES: ReadonlySet<string> = new Set([MEDLOOP_ACTION_TYPES.waitForRecipient, VDA_ACTION_TYPES.waitForTrigger]);

interface KnownAction {
  actionType: string;
  blockingType: string;
}

/**
 * Derive the progress of `order` (the latest body sent) from a state of its robot.
 * Precedence: failed > finished > accepted > at_stop > running. A failed action that is not
 * HARD does not fail the mission (the robot may go on); it is listed in actionFailures, and
 * such an action counts as done for 'finished'.
 */
export function deriveProgress(order: OrderBody, stops: readonly ProgressStop[], state: State): MissionProgress {
  if (state.orderId !== order.orderId) {
    const rejected = findOrderRejection(state, order.orderId, order.orderUpdateId);
    if (!rejected) return { phase: 'sent', lastNodeSequenceId: null, actionFailures: [] };
    const rejection = describeError(rejected);
    return { phase: 'failed', lastNodeSequenceId: null, actionFailures: [], rejection, failure: `robot refused the order: ${rejection}` };
  }

  const actions = knownActions(order, stops);
  const statusOf = new Map<string, ActionState>(state.actionStates.map((a) => [a.actionId, a]));
  const status = (id: string): ActionStatus => statusOf.get(id)?.actionStatus ?? 'WAITING';
  const done = (id: string) => status(id) === 'FINISHED' || status(id) === 'FAILED';

  const lastSeq = state.lastNodeSequenceId;
  const progress: MissionProgress = {
    phase: 'running',
    lastNodeSequenceId: lastSeq,
    actionFailures: [...actions.keys()].filter((id) => status(id) === 'FAILED'),
  };
  if (state.orderUpdateId < order.orderUpdateId) {
    progress.updatePending = true;
    const rejected = findOrderRejection(state, order.orderId, order.orderUpdateId);
    if (rejected) progress.rejection = describeError(rejected);
  }

  // The stop at or ahead of the robot: later than its last node, or that node with work left.
  const stopIndex = stops.findIndex((s) => s.sequenceId > lastSeq || (s.sequenceId === lastSeq && !s.actions.every((a) => done(a.actionId))));
  if (stopIndex !== -1) progress.stopIndex = stopIndex;

  const hardFailure = progress.actionFailures.find((id) => actions.get(id)!.blockingType === 'HARD');
  if (hardFailure !== undefined) {
    const result = statusOf.get(hardFailure)?.resultDescription;
    return { ...progress, phase: 'failed', failure: `${actions.get(hardFailure)!.actionType} (${hardFailure}) failed${result ? `: ${result}` : ''}` };
  }
  const fatal = state.errors.find((e) => e.errorLevel === 'FATAL' && referencesOrder(e, order.orderId, actions));
  if (fatal) return { ...progress, phase: 'failed', failure: `fatal robot error: ${describeError(fatal)}` };

  const last = order.nodes[order.nodes.length - 1]!;
  const routeDone = state.nodeStates.length === 0 && state.edgeStates.length === 0 && lastSeq === last.sequenceId && state.lastNodeId === last.nodeId;
  if (routeDone && [...actions.keys()].every(done)) {
    delete progress.stopIndex;
    return { ...progress, phase: 'finished' };
  }

  // Sequence ids start at 0 for the whole mission, so 0 means the robot has not left its start.
  const started = lastSeq > 0 || state.driving || [...actions.keys()].some((id) => status(id) !== 'WAITING');
  if (!started) return { ...progress, phase: 'accepted' };

  const stop = stopIndex === -1 ? undefined : stops[stopIndex]!;
  if (stop && stop.sequenceId === lastSeq && stop.nodeId === state.lastNodeId) {
    const waiting = stop.actions.some((a) => WAIT_ACTION_TYPES.has(a.actionType) && status(a.actionId) === 'RUNNING');
    return { ...progress, phase: 'at_stop', waitingAtStop: waiting };
  }
  return progress;
}

/** Every action this mission sent, by id: the stops' (all updates) and the body's own. */
function knownActions(order: OrderBody, stops: readonly ProgressStop[]): Map<string, KnownAction> {
  const known = new Map<string, KnownAction>();
  for (const s of stops) for (const a of s.actions) known.set(a.actionId, a);
  for (const item of [...order.nodes, ...order.edges]) for (const a of item.actions) known.set(a.actionId, a);
  return known;
}

/** A FATAL error is the mission's when it names the order or one of its actions. */
function referencesOrder(error: VdaError, orderId: string, actions: ReadonlyMap<string, KnownAction>): boolean {
  return (error.errorReferences ?? []).some(
    (r) => (r.referenceKey === 'orderId' && r.referenceValue === orderId) || (r.referenceKey === 'actionId' && actions.has(r.referenceValue)),
  );
}

function describeError(e: VdaError): string {
  return e.errorDescription ? `${e.errorType}: ${e.errorDescription}` : e.errorType;
}
