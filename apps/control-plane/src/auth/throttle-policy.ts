/**
 * The arithmetic of brute-force protection, pure and clock-free: how a source address is
 * keyed, how long the n-th lock of a key lasts, and how long a failing username (or a source
 * of bad MQTT CONNECTs) is held back. LoginAttempts applies it to rate-limiter-flexible's
 * counters.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** RateLimiterMemory expires keys with setTimeout, which cannot wait longer than 2^31-1 ms. */
export const MAX_LIMITER_SECONDS = 2_147_483;

/**
 * The source key of an address, or null when there is none (nothing to count it under: one
 * shared key for every such client would let one of them lock all the others). An IPv4-mapped
 * IPv6 address is its IPv4 address; an IPv6 address is itself, however it is written (one
 * host: the pairs, the locks and the address limit are per host, so a hospital's VDI or NAT
 * hosts on one /64 do not share them). A /64 key (`2001:db8:0:0::/64`, as prefixKey writes it
 * and the lock list shows it) reads back as itself, to unlock it. Anything else is kept as
 * written.
 */
export function sourceKey(address: string | undefined | null): string | null {
  const a = normalised(address);
  if (a === null) return null;
  if (/\/64$/.test(a) && isIPv6(a.slice(0, -3))) return `${ipv6Groups(a.slice(0, -3)).slice(0, 4).join(':')}::/64`;
  return isIPv6(a) ? ipv6Groups(a).join(':') : a;
}

/**
 * The /64 an IPv6 source belongs to (null for any other): the block one subscriber gets, so an
 * attacker rotating through it is limited there too, at a higher count than one host.
 */
export function prefixKey(address: string | undefined | null): string | null {
  const a = normalised(address);
  return a !== null && isIPv6(a) ? `${ipv6Groups(a).slice(0, 4).join(':')}::/64` : null;
}

function normalised(address: string | undefined | null): string | null {
  if (address === undefined || address === null) return null;
  let a = address.trim().toLowerCase();
  if (a === '') return null;
  const mapped = /^(?:::ffff:|0:0:0:0:0:ffff:)(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) a = mapped[1]!;
  if (isIPv4(a)) return a;
  const bare = a.replace(/%.*$/, '');
  return isIPv6(bare) ? bare : a;
}

/** The eight groups of an IPv6 address, each without leading zeros. */
function ipv6Groups(a: string): string[] {
  const parse = (part: string): string[] =>
    part === ''
      ? []
      : part.split(':').flatMap((g) => {
          if (!g.includes('.')) return [g];
          // an embedded IPv4 tail is two groups
          const [b1, b2, b3, b4] = g.split('.').map(Number) as [number, number, number, number];
          return [((b1 << 8) | b2).toString(16), ((b3 << 8) | b4).toString(16)];
        });
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => parseInt(g, 16).toString(16));
}

export interface LockPolicy {
  lockoutMs: number;
  maxLockoutMs: number;
}

/** How long a key is locked after `previousLocks` earlier locks: doubling each time, capped. */
export function lockDurationMs(previousLocks: number, p: LockPolicy): number {
  return Math.min(p.lockoutMs * 2 ** Math.min(previousLocks, 30), p.maxLockoutMs);
}

export interface DelayPolicy {
  /** failures answered without delay */
  after: number;
  /** the delay once `after` failures are reached; it doubles with each further failure */
  firstMs: number;
  maxMs: number;
}

/** How long to hold back an attempt after `failures` recent failures (0: not at all). */
export function progressiveDelayMs(failures: number, p: DelayPolicy): number {
  if (failures < p.after || p.firstMs <= 0 || p.maxMs <= 0) return 0;
  return Math.min(p.firstMs * 2 ** Math.min(failures - p.after, 30), p.maxMs);
}

/** Whole seconds for the limiter (at least 1, at most what its timers can wait). */
export const limiterSeconds = (ms: number) => Math.min(Math.max(1, Math.ceil(ms / 1000)), MAX_LIMITER_SECONDS);
