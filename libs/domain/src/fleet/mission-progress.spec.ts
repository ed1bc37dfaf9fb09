import { describe, expect, it } from '@jest/globals';
import type { ActionStatus, State, VdaError } from '#contracts';
import { CARD, deliveryPlan, DOCK, ONC, robotState } from './fleet.fixture.js';
import { deriveProgress } from './mission-progress.js';
import { buildOrder, buildOrderUpdate, type BuiltOrder } from './order-builder.js';

const built = buildOrder(deliveryPlan());
const { order, stops } = built;
const ids = (stop: number) => stops[stop]!.actions.map((a) => a.actionId);
const allIds = stops.flatMap((s) => s.actions.map((a) => a.actionId));
const indexOf = (nodeId: string) => order.nodes.findIndex((n) => n.nodeId === nodeId);

/**
 * The state of a robot running `b` that has reached node `at` (index into b.order.nodes):
 * nodeStates/edgeStates list only what is still ahead, as VDA 5050 prescribes.
 */
function stateAt(b: BuiltOrder, at: number, statuses: Statuses = {}, patch: Partial<State> = {}): State {
  const node = b.order.nodes[at]!;
  return robotState({
    orderId: b.order.orderId,
    orderUpdateId: b.order.orderUpdateId,
    lastNodeId: node.nodeId,
    lastNodeSequenceId: node.sequenceId,
    nodeStates: b.order.nodes.slice(at + 1).map(({ nodeId, sequenceId, released }) => ({ nodeId, sequenceId, released })),
    edgeStates: b.order.edges.slice(at).map(({ edgeId, sequenceId, released }) => ({ edgeId, sequenceId, released })),
    actionStates: allIds.map((actionId) => ({ actionId, actionStatus: statuses[actionId] ?? 'WAITING' })),
    ...patch,
  });
}

type Statuses = Record<string, ActionStatus>;
const finishedAll = (...exceptions: Array<[string, ActionStatus]>): Statuses => Object.fromEntries([...allIds.map((id) => [id, 'FINISHED']), ...exceptions]);
const finishedUpTo = (stop: number): Statuses => Object.fromEntries(stops.slice(0, stop + 1).flatMap((s) => s.actions.map((a) => [a.actionId, 'FINISHED'])));

describe('deriveProgress', () => {
  it("is 'sent' while the state belongs to another order", () => {
    expect(deriveProgress(order, stops, robotState({ orderId: 'previous', lastNodeSequenceId: 14 }))).toEqual({
      phase: 'sent',
      lastNodeSequenceId: null,
      actionFailures: [],
    });
  });

  it("is 'failed' when the robot refused the order", () => {
    const refusal: VdaError = {
      errorType: 'orderError',
      errorLevel: 'WARNING',
      errorDescription: 'first node is not the current node',
      errorReferences: [
        { referenceKey: 'orderId', referenceValue: order.orderId },
        { referenceKey: 'orderUpdateId', referenceValue: '0' },
      ],
    };
    const p = deriveProgress(order, stops, robotState({ errors: [refusal] }));
    expect(p).toMatchObject({ phase: 'failed', rejection: 'orderError: first node is not the current node' });
  });

  it("is 'accepted' when the state echoes the order and the robot has not started", () => {
    expect(deriveProgress(order, stops, stateAt(built, 0))).toEqual({ phase: 'accepted', stopIndex: 0, lastNodeSequenceId: 0, actionFailures: [] });
  });

  it("is 'at_stop' while the stop's actions run, then 'running' towards the next stop", () => {
    const picking = stateAt(built, 0, { [ids(0)[0]!]: 'RUNNING' });
    expect(deriveProgress(order, stops, picking)).toMatchObject({ phase: 'at_stop', stopIndex: 0, waitingAtStop: false });

    const leaving = stateAt(built, 0, finishedUpTo(0), { driving: true });
    expect(deriveProgress(order, stops, leaving)).toMatchObject({ phase: 'running', stopIndex: 1 });

    const inLift = stateAt(built, indexOf('F0-LIFT-A'), finishedUpTo(0), { driving: true });
    expect(deriveProgress(order, stops, inLift)).toEqual({ phase: 'running', stopIndex: 1, lastNodeSequenceId: 2 * indexOf('F0-LIFT-A'), actionFailures: [] });
  });

  it('tells that the robot waits for the recipient at a stop', () => {
    const waiting = stateAt(built, indexOf(ONC), { ...finishedUpTo(0), [ids(1)[0]!]: 'RUNNING' });
    expect(deriveProgress(order, stops, waiting)).toMatchObject({ phase: 'at_stop', stopIndex: 1, waitingAtStop: true });
    const unlocking = stateAt(built, indexOf(ONC), { ...finishedUpTo(0), [ids(1)[0]!]: 'FINISHED', [ids(1)[1]!]: 'RUNNING' });
    expect(deriveProgress(order, stops, unlocking)).toMatchObject({ phase: 'at_stop', stopIndex: 1, waitingAtStop: false });
  });

  it("is 'finished' only when the last node is reached, nothing is left to traverse and every action is done", () => {
    const last = order.nodes.length - 1;
    expect(deriveProgress(order, stops, stateAt(built, last, finishedAll()))).toEqual({ phase: 'finished', lastNodeSequenceId: 2 * last, actionFailures: [] });
    // the lock at the last stop still runs
    const locking = stateAt(built, last, finishedAll([ids(2)[3]!, 'RUNNING']));
    expect(deriveProgress(order, stops, locking)).toMatchObject({ phase: 'at_stop', stopIndex: 2 });
    // all actions done but the robot still lists a node to traverse
    const notThere = stateAt(built, last, finishedAll(), { nodeStates: [{ nodeId: CARD, sequenceId: 2 * last, released: true }] });
    expect(deriveProgress(order, stops, notThere).phase).not.toBe('finished');
  });

  it("is 'failed' when a HARD action of the order fails, e.g. a wait that timed out", () => {
    const timedOut = stateAt(built, indexOf(ONC), { ...finishedUpTo(0), [ids(1)[0]!]: 'FAILED' });
    timedOut.actionStates.find((a) => a.actionId === ids(1)[0])!.resultDescription = 'timeout after 600 s';
    const p = deriveProgress(order, stops, timedOut);
    expect(p).toMatchObject({ phase: 'failed', stopIndex: 1, actionFailures: [ids(1)[0]] });
    expect(p.failure).toBe(`medloop.waitForRecipient (${ids(1)[0]}) failed: timeout after 600 s`);
  });

  it('lists a failed SOFT action without failing the mission', () => {
    const plan = deliveryPlan({
      stops: [
        { nodeId: DOCK, actions: [{ kind: 'custom', actionType: 'logReport', blocking: 'SOFT' }] },
        { nodeId: CARD, actions: [] },
      ],
    });
    const b = buildOrder(plan);
    const logId = b.stops[0]!.actions[0]!.actionId;
    const last = b.order.nodes.length - 1;
    const state = stateAt(b, last, {}, { actionStates: [{ actionId: logId, actionStatus: 'FAILED' }] });
    expect(deriveProgress(b.order, b.stops, state)).toEqual({ phase: 'finished', lastNodeSequenceId: 2 * last, actionFailures: [logId] });
  });

  it("is 'failed' on a FATAL error that references the order or one of its actions, not on other errors", () => {
    const fatal = (references: VdaError['errorReferences'], errorLevel: VdaError['errorLevel'] = 'FATAL'): VdaError => ({
      errorType: 'drive',
      errorLevel,
      errorReferences: references,
    });
    const at = (e: VdaError) => deriveProgress(order, stops, stateAt(built, 3, finishedUpTo(0), { errors: [e], driving: true })).phase;
    expect(at(fatal([{ referenceKey: 'orderId', referenceValue: order.orderId }]))).toBe('failed');
    expect(at(fatal([{ referenceKey: 'actionId', referenceValue: ids(1)[0]! }]))).toBe('failed');
    expect(at(fatal([{ referenceKey: 'orderId', referenceValue: 'another' }]))).toBe('running');
    expect(at(fatal([{ referenceKey: 'orderId', referenceValue: order.orderId }], 'WARNING'))).toBe('running');
  });

  it('follows updates: stops keep the actions the stitching node no longer carries', () => {
    const first = buildOrder(deliveryPlan({ releaseThroughStop: 1 }));
    const update = buildOrderUpdate(first, { releaseThroughStop: 2 });
    const oncInFirst = first.order.nodes.findIndex((n) => n.nodeId === ONC);
    const waitId = update.stops[1]!.actions[0]!.actionId;
    expect(update.order.nodes[0]!.actions).toEqual([]);

    // the update is not acknowledged yet: progress still reads, flagged as pending
    const old = stateAt(first, oncInFirst, { ...finishedUpTo(0), [waitId]: 'RUNNING' });
    expect(deriveProgress(update.order, update.stops, old)).toMatchObject({ phase: 'at_stop', stopIndex: 1, waitingAtStop: true, updatePending: true });

    // acknowledged: the robot stands on the stitching node, still waiting for the nurse
    const now = stateAt(update, 0, { ...finishedUpTo(0), [waitId]: 'RUNNING' });
    const p = deriveProgress(update.order, update.stops, now);
    expect(p).toMatchObject({ phase: 'at_stop', stopIndex: 1, waitingAtStop: true });
    expect(p.updatePending).toBeUndefined();

    // a HARD action released with the first message still fails the mission after the update
    const timedOut = stateAt(update, 0, { ...finishedUpTo(0), [waitId]: 'FAILED' });
    expect(deriveProgress(update.order, update.stops, timedOut)).toMatchObject({ phase: 'failed', actionFailures: [waitId] });
  });
});
