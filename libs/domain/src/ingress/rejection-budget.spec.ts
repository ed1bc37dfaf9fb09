import { describe, expect, it } from '@jest/globals';
import { RejectionBudget, type RejectionBudgetPolicy, type RejectVerdict } from './rejection-budget.js';

// 10 rejections/s or 1,000 bytes/s, 1 s of burst (10 messages, 1,000 bytes), 5 s throttle
const POLICY: RejectionBudgetPolicy = { maxPerSec: 10, maxBytesPerSec: 1000, burstMs: 1000, throttleMs: 5000 };
const KEY = 'rbt-1';

/** Rejects `n` messages of `bytes` at `now`; returns the first verdict that is not 'ok'. */
function rejectN(b: RejectionBudget, n: number, bytes: number, now: number): RejectVerdict {
  let first: RejectVerdict = { action: 'ok' };
  for (let i = 0; i < n; i++) {
    const v = b.rejected(KEY, bytes, now);
    if (first.action === 'ok') first = v;
  }
  return first;
}
const OK = { action: 'ok' };

describe('RejectionBudget', () => {
  it('passes a device that never had a message rejected, without keeping anything for it', () => {
    const b = new RejectionBudget(POLICY);
    for (let i = 0; i < 1000; i++) expect(b.admit(KEY, 200_000, i)).toEqual({ action: 'pass' });
    expect(b.size).toBe(0);
  });

  it('lets a burst of rejections through, then throttles on the one that overdraws the message bucket', () => {
    const b = new RejectionBudget(POLICY);
    expect(rejectN(b, 10, 1, 0)).toEqual(OK);
    expect(b.admit(KEY, 1, 0)).toEqual({ action: 'pass' });
    expect(b.rejected(KEY, 1, 0)).toEqual({ action: 'throttle', until: 5000 });
    expect(b.isThrottled(KEY, 4999)).toBe(true);
    expect(b.admit(KEY, 1, 10)).toMatchObject({ action: 'drop' });
  });

  it('throttles on bytes alone: a few large rejected messages are enough', () => {
    const b = new RejectionBudget(POLICY);
    expect(b.rejected(KEY, 600, 0)).toEqual(OK);
    expect(b.rejected(KEY, 600, 0)).toEqual({ action: 'throttle', until: 5000 });
  });

  it('never throttles a device whose rejections stay within the sustained rate', () => {
    const b = new RejectionBudget(POLICY);
    // 9 rejections of 100 bytes per second (900 B/s) for a minute
    for (let t = 0; t < 60_000; t += 1000 / 9) expect(b.rejected(KEY, 100, t)).toEqual(OK);
    expect(b.isThrottled(KEY, 60_000)).toBe(false);
  });

  it('drops a throttled device’s messages and says how long to stop reading it', () => {
    const b = new RejectionBudget(POLICY);
    rejectN(b, 11, 1, 0); // one message in debt: refilled in 100 ms
    expect(b.admit(KEY, 1, 0)).toEqual({ action: 'drop', pauseMs: 200 });
    // the pause never outlasts the throttle
    const c = new RejectionBudget({ ...POLICY, throttleMs: 50 });
    rejectN(c, 11, 1, 0);
    expect(c.admit(KEY, 1, 0)).toEqual({ action: 'drop', pauseMs: 50 });
  });

  it('disconnects a throttled device that keeps sending a burst on top of its rate, and counts what it dropped', () => {
    const b = new RejectionBudget(POLICY);
    rejectN(b, 11, 1, 0); // one message in debt
    // nine more messages at once: the debt reaches a whole burst (10) on the ninth
    const verdicts = Array.from({ length: 8 }, () => b.admit(KEY, 1, 0).action);
    expect(verdicts).toEqual(Array(8).fill('drop'));
    expect(b.admit(KEY, 1, 0)).toEqual({ action: 'disconnect', dropped: 9 });
    // it stays throttled for a fresh period
    expect(b.isThrottled(KEY, 4999)).toBe(true);
  });

  it('after a disconnect, drops a reconnect that keeps within the rate and cuts one that floods after one more burst', () => {
    const b = new RejectionBudget(POLICY);
    rejectN(b, 11, 1, 0);
    for (let i = 0; i < 8; i++) b.admit(KEY, 1, 0);
    expect(b.admit(KEY, 1, 0).action).toBe('disconnect');
    // a well-behaved reconnect: 5 messages a second, all dropped while throttled, never cut
    for (let t = 200; t < 5000; t += 200) expect(b.admit(KEY, 1, t).action).toBe('drop');
    // the throttle ends and its messages pass again
    expect(b.admit(KEY, 1, 5000)).toEqual({ action: 'pass' });

    const c = new RejectionBudget(POLICY);
    rejectN(c, 11, 1, 0);
    for (let i = 0; i < 8; i++) c.admit(KEY, 1, 0);
    expect(c.admit(KEY, 1, 0).action).toBe('disconnect');
    // a flooding reconnect 100 ms later (one message refilled): a burst and that one are
    // dropped, then it is cut again
    const flood = Array.from({ length: 11 }, () => c.admit(KEY, 1, 100).action);
    expect(flood.slice(0, 10)).toEqual(Array(10).fill('drop'));
    expect(flood[10]).toBe('disconnect');
  });

  it('disconnects a device that overdraws its budget again right after the throttle ended (the pauses held it at the rate)', () => {
    const b = new RejectionBudget(POLICY);
    rejectN(b, 11, 1, 0);
    // throttled and paced: one message per refill, never a second burst
    let t = 0;
    for (; t < 5000; t += 100) expect(b.admit(KEY, 1, t).action).toBe('drop');
    expect(b.admit(KEY, 1, 5000)).toEqual({ action: 'pass' });
    // still invalid at the same pace: the budget is still in debt, its next rejection overdraws it
    expect(b.rejected(KEY, 1, 5000)).toEqual({ action: 'disconnect', until: 10_000, dropped: 50 });
    expect(b.isThrottled(KEY, 9999)).toBe(true);
  });

  it('only throttles again a device that behaved for throttleMs after its throttle ended', () => {
    const b = new RejectionBudget(POLICY);
    rejectN(b, 11, 1, 0);
    // quiet from 0 to 10 s (5 s of throttle, 5 s after), then another burst of rejections
    expect(rejectN(b, 10, 1, 10_000)).toEqual(OK);
    expect(b.rejected(KEY, 1, 10_000)).toEqual({ action: 'throttle', until: 15_000 });
  });

  it('keeps devices apart', () => {
    const b = new RejectionBudget(POLICY);
    rejectN(b, 11, 1, 0);
    expect(b.admit('other', 1, 0)).toEqual({ action: 'pass' });
    expect(b.rejected('other', 1, 0)).toEqual(OK);
  });

  it('bounds its memory: entries as good as new go first, then the oldest', () => {
    const b = new RejectionBudget(POLICY, 3);
    b.rejected('a', 1, 0);
    rejectN(b, 11, 1, 0); // KEY throttled
    b.rejected('c', 1, 0);
    // at 1 s 'a' and 'c' are full again and go; the throttled device stays
    b.rejected('d', 1, 1000);
    expect(b.size).toBe(2);
    expect(b.isThrottled(KEY, 1000)).toBe(true);
  });

  it('refuses a policy that is not positive', () => {
    expect(() => new RejectionBudget({ ...POLICY, maxPerSec: 0 })).toThrow(/maxPerSec/);
    expect(() => new RejectionBudget({ ...POLICY, throttleMs: Number.NaN })).toThrow(/throttleMs/);
  });
});
