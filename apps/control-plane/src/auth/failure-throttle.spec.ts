import { describe, expect, it } from '@jest/globals';
import { FailureThrottle } from './failure-throttle.js';

const policy = { maxFailures: 3, windowMs: 1000, lockoutMs: 100, maxLockoutMs: 350 };

function fail(t: FailureThrottle, key: string, now: number) {
  t.begin(key, now);
  return t.end(key, false, now);
}

describe('FailureThrottle', () => {
  it('locks a key at the limit within the window, and only then', () => {
    const t = new FailureThrottle(policy);
    expect(fail(t, 'u', 0)).toBeNull();
    expect(fail(t, 'u', 10)).toBeNull();
    expect(t.retryAfter('u', 10)).toBe(0);
    expect(fail(t, 'u', 20)).toMatchObject({ key: 'u', lockedUntil: 120, failures: 3, locks: 1 });
    expect(t.retryAfter('u', 50)).toBe(70);
    expect(t.retryAfter('other', 50)).toBe(0);
  });

  it('forgets failures outside the window and after a success', () => {
    const t = new FailureThrottle(policy);
    fail(t, 'u', 0);
    fail(t, 'u', 10);
    expect(fail(t, 'u', 2000)).toBeNull();
    t.begin('u', 2001);
    t.end('u', true, 2001);
    fail(t, 'u', 2002);
    expect(fail(t, 'u', 2003)).toBeNull();
  });

  it('doubles each further lock of the same key, up to the cap', () => {
    const t = new FailureThrottle(policy);
    const durations: number[] = [];
    let now = 0;
    for (let lock = 0; lock < 4; lock++) {
      let info = null;
      while (!info) info = fail(t, 'u', now);
      durations.push(info.lockedUntil - now);
      now = info.lockedUntil;
    }
    expect(durations).toEqual([100, 200, 350, 350]);
  });

  it('counts attempts still in flight, so a concurrent burst is refused at the limit', () => {
    const t = new FailureThrottle(policy);
    t.begin('u', 0);
    t.begin('u', 0);
    t.begin('u', 0);
    expect(t.retryAfter('u', 0)).toBeGreaterThan(0);
  });

  it('unlocks on demand and stays bounded in memory', () => {
    const t = new FailureThrottle(policy, 50);
    for (let i = 0; i < 3; i++) fail(t, 'u', i);
    expect(t.locked(5).map((l) => l.key)).toEqual(['u']);
    expect(t.unlock('u')).toBe(true);
    expect(t.retryAfter('u', 5)).toBe(0);
    for (let i = 0; i < 500; i++) fail(t, `spray-${i}`, 10);
    expect(t.size).toBeLessThanOrEqual(50);
  });

  it('keeps nothing for a successful sign-in with no lock history, but keeps what backs off the next lock', () => {
    const t = new FailureThrottle(policy, 50);
    for (let i = 0; i < 500; i++) {
      t.begin(`device-${i}`, i);
      t.end(`device-${i}`, true, i);
    }
    expect(t.size).toBe(0);
    for (let i = 0; i < 3; i++) fail(t, 'u', i); // locked once
    t.begin('u', 500);
    t.end('u', true, 500);
    expect(t.size).toBe(1);
    let info = null;
    let now = 500;
    while (!info) info = fail(t, 'u', ++now);
    // the second lock lasts twice the first: the success did not wipe the lock history
    expect(info).toMatchObject({ locks: 2, lockedUntil: now + 200 });
  });
});
