import { describe, expect, it } from '@jest/globals';
import { limiterSeconds, lockDurationMs, MAX_LIMITER_SECONDS, prefixKey, progressiveDelayMs, sourceKey } from './throttle-policy.js';

describe('sourceKey', () => {
  it('keys an IPv4 address as itself, an IPv4-mapped IPv6 address as its IPv4 address', () => {
    expect(sourceKey('10.1.2.3')).toBe('10.1.2.3');
    expect(sourceKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(sourceKey('::FFFF:127.0.0.1')).toBe('127.0.0.1');
  });

  it('keys an IPv6 address as the host, however it is written, and its /64 apart; reads its own keys back', () => {
    const k = sourceKey('2001:db8:0:0:1:2:3:4');
    expect(k).toBe('2001:db8:0:0:1:2:3:4');
    expect(sourceKey('2001:0DB8::1:2:3:4')).toBe(k);
    expect(sourceKey('2001:db8::1:2:3:5')).not.toBe(k);
    expect(sourceKey('2001:db8::1%eth0')).toBe('2001:db8:0:0:0:0:0:1');
    expect(sourceKey('::1')).toBe('0:0:0:0:0:0:0:1');
    expect(sourceKey(k)).toBe(k);
    const p = prefixKey('2001:db8:0:0:1:2:3:4');
    expect(p).toBe('2001:db8:0:0::/64');
    expect(prefixKey('2001:0db8::ffff:1')).toBe(p);
    expect(prefixKey('2001:db8:0:1::1')).toBe('2001:db8:0:1::/64');
    expect(prefixKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
    expect(prefixKey('10.1.2.3')).toBeNull();
    expect(prefixKey('::ffff:10.1.2.3')).toBeNull();
    expect(sourceKey(p)).toBe(p);
    expect(sourceKey('2001:0db8:0000::/64')).toBe(p);
  });

  it('has no key for a missing address (never one shared key), and keeps anything else as written', () => {
    expect(sourceKey(undefined)).toBeNull();
    expect(sourceKey(null)).toBeNull();
    expect(sourceKey('  ')).toBeNull();
    expect(sourceKey('relay-7')).toBe('relay-7');
  });
});

describe('lockDurationMs', () => {
  it('doubles with each earlier lock, capped', () => {
    const p = { lockoutMs: 15 * 60_000, maxLockoutMs: 24 * 3600_000 };
    expect([0, 1, 2, 3].map((n) => lockDurationMs(n, p) / 60_000)).toEqual([15, 30, 60, 120]);
    expect(lockDurationMs(7, p)).toBe(p.maxLockoutMs);
    expect(lockDurationMs(10_000, p)).toBe(p.maxLockoutMs);
  });
});

describe('progressiveDelayMs', () => {
  const p = { after: 5, firstMs: 250, maxMs: 3000 };
  it('waits nothing before `after` failures, then doubles from firstMs up to maxMs', () => {
    expect([0, 4, 5, 6, 7, 8, 9, 50, 1e9].map((n) => progressiveDelayMs(n, p))).toEqual([0, 0, 250, 500, 1000, 2000, 3000, 3000, 3000]);
  });
  it('is off with a zero delay or cap', () => {
    expect(progressiveDelayMs(100, { ...p, firstMs: 0 })).toBe(0);
    expect(progressiveDelayMs(100, { ...p, maxMs: 0 })).toBe(0);
  });
});

describe('limiterSeconds', () => {
  it('rounds up to whole seconds, at least one, at most what a timer can wait', () => {
    expect(limiterSeconds(1)).toBe(1);
    expect(limiterSeconds(60_000)).toBe(60);
    expect(limiterSeconds(60_001)).toBe(61);
    expect(limiterSeconds(1e12)).toBe(MAX_LIMITER_SECONDS);
  });
});
