import { describe, expect, it } from '@jest/globals';
import type { VdaError } from '#contracts';
import { ValidationError } from '../errors.js';
import { robotState } from './fleet.fixture.js';
import { findOrderRejection, OrderTracker } from './order-tracker.js';

const OPTIONS = { ackTimeoutMs: 1000, maxAttempts: 3 };

function rejection(orderId: string, orderUpdateId: number, errorType = 'orderError'): VdaError {
  return {
    errorType,
    errorLevel: 'WARNING',
    errorDescription: 'first node is not the current node',
    errorReferences: [
      { referenceKey: 'orderId', referenceValue: orderId },
      { referenceKey: 'orderUpdateId', referenceValue: String(orderUpdateId) },
    ],
  };
}

/** Drive the tracker like the control plane's timer loop would; returns (time, decision) of every non-wait step. */
function runUntilGiveUp(tracker: OrderTracker, stepMs: number, untilMs: number): Array<[number, string]> {
  const log: Array<[number, string]> = [];
  for (let now = 0; now <= untilMs; now += stepMs) {
    const due = tracker.due(now);
    if (due === 'wait') continue;
    log.push([now, due]);
    if (due === 'give_up') break;
    tracker.onSent('o-1', 0, now);
  }
  return log;
}

describe('OrderTracker', () => {
  it('waits for the timeout, resends with the same ids, and gives up after maxAttempts sends', () => {
    const tracker = new OrderTracker(OPTIONS);
    tracker.onSent('o-1', 0, 0);
    expect(tracker.nextCheckAt()).toBe(1000);
    expect(runUntilGiveUp(tracker, 250, 10_000)).toEqual([
      [1000, 'resend'],
      [2000, 'resend'],
      [3000, 'give_up'],
    ]);
    expect(tracker.attempts).toBe(3);
    expect(tracker.tracked).toMatchObject({ orderId: 'o-1', orderUpdateId: 0, status: 'pending', firstSentAt: 0, sentAt: 2000 });
    // give_up is repeated until the caller sends something new or clears
    expect(tracker.due(9000)).toBe('give_up');
    tracker.clear();
    expect(tracker.due(9000)).toBe('wait');
  });

  it('counts an order as acknowledged only when the state echoes both ids', () => {
    const tracker = new OrderTracker(OPTIONS);
    tracker.onSent('o-1', 2, 0);
    expect(tracker.onState(robotState({ orderId: 'o-0', orderUpdateId: 2 }), 100)).toBe('none');
    expect(tracker.onState(robotState({ orderId: 'o-1', orderUpdateId: 1 }), 200)).toBe('none');
    expect(tracker.acknowledged).toBe(false);
    expect(tracker.onState(robotState({ orderId: 'o-1', orderUpdateId: 2 }), 300)).toBe('acknowledged');
    expect(tracker.acknowledged).toBe(true);
    expect(tracker.tracked?.acknowledgedAt).toBe(300);
    // repeated echoes change nothing, and nothing is due any more
    expect(tracker.onState(robotState({ orderId: 'o-1', orderUpdateId: 2 }), 400)).toBe('none');
    expect(tracker.due(50_000)).toBe('wait');
    expect(tracker.nextCheckAt()).toBeUndefined();
  });

  it('accepts a newer update of the same order as acknowledgement', () => {
    const tracker = new OrderTracker(OPTIONS);
    tracker.onSent('o-1', 1, 0);
    expect(tracker.onState(robotState({ orderId: 'o-1', orderUpdateId: 3 }), 10)).toBe('acknowledged');
  });

  it('accepts a late acknowledgement after a resend and after giving up', () => {
    const tracker = new OrderTracker(OPTIONS);
    tracker.onSent('o-1', 0, 0);
    expect(tracker.due(1000)).toBe('resend');
    tracker.onSent('o-1', 0, 1000);
    // the echo of the first send arrives just after the resend went out
    expect(tracker.onState(robotState({ orderId: 'o-1' }), 1010)).toBe('acknowledged');
    expect(tracker.due(2500)).toBe('wait');
    expect(tracker.attempts).toBe(2);

    const late = new OrderTracker({ ackTimeoutMs: 1000, maxAttempts: 1 });
    late.onSent('o-2', 0, 0);
    expect(late.due(1000)).toBe('give_up');
    expect(late.onState(robotState({ orderId: 'o-2' }), 1500)).toBe('acknowledged');
    expect(late.due(1500)).toBe('wait');
  });

  it('starts over for a new order or update', () => {
    const tracker = new OrderTracker(OPTIONS);
    tracker.onSent('o-1', 0, 0);
    tracker.onSent('o-1', 0, 1000);
    tracker.onState(robotState({ orderId: 'o-1' }), 1100);
    tracker.onSent('o-1', 1, 5000);
    expect(tracker.tracked).toMatchObject({ orderUpdateId: 1, status: 'pending', attempts: 1, firstSentAt: 5000 });
    expect(tracker.due(5999)).toBe('wait');
    expect(tracker.due(6000)).toBe('resend');
  });

  it('gives up at once on a rejection that names this order update, not on a stale one', () => {
    const tracker = new OrderTracker(OPTIONS);
    tracker.onSent('o-1', 2, 0);
    // an old refusal of update 1 is still listed: update 2 may just be lost, keep resending
    expect(tracker.onState(robotState({ orderId: 'o-1', orderUpdateId: 0, errors: [rejection('o-1', 1, 'orderUpdateError')] }), 100)).toBe('none');
    expect(tracker.due(100)).toBe('wait');
    expect(tracker.onState(robotState({ orderId: 'o-1', orderUpdateId: 0, errors: [rejection('o-1', 2, 'orderUpdateError')] }), 200)).toBe('rejected');
    expect(tracker.due(200)).toBe('give_up');
    expect(tracker.tracked?.rejection?.errorType).toBe('orderUpdateError');
  });

  it('can be restored from a snapshot after a restart', () => {
    const before = new OrderTracker(OPTIONS);
    before.onSent('o-1', 0, 0);
    before.onSent('o-1', 0, 1000);
    const after = new OrderTracker(OPTIONS, before.tracked);
    expect(after.attempts).toBe(2);
    expect(after.due(2000)).toBe('resend');
  });

  it('rejects options that would resend forever or never', () => {
    expect(() => new OrderTracker({ ackTimeoutMs: 0, maxAttempts: 3 })).toThrow(ValidationError);
    expect(() => new OrderTracker({ ackTimeoutMs: 1000, maxAttempts: 0 })).toThrow(ValidationError);
    expect(() => new OrderTracker({ ackTimeoutMs: 1000, maxAttempts: 1.5 })).toThrow(ValidationError);
  });
});

describe('findOrderRejection', () => {
  it('finds only order-refusal errors that reference both ids', () => {
    const state = robotState({ errors: [rejection('o-1', 0, 'medloop.compartmentError'), rejection('o-2', 0), rejection('o-1', 0, 'noRouteError')] });
    expect(findOrderRejection(state, 'o-1', 0)?.errorType).toBe('noRouteError');
    expect(findOrderRejection(state, 'o-2', 0)?.errorType).toBe('orderError');
    expect(findOrderRejection(state, 'o-2', 1)).toBeUndefined();
    expect(findOrderRejection(robotState({ errors: [{ errorType: 'orderError', errorLevel: 'WARNING' }] }), 'o-1', 0)).toBeUndefined();
  });
});
