/**
 * Counts authentication failures per key (a username, a source address) in a sliding window
 * and locks the key once it reaches the limit. Each further lock of the same key lasts twice
 * as long as the previous one (capped), so a patient brute force gets exponentially slower.
 * Pure and clock-injected: no Nest, no I/O. Memory is bounded: idle keys are pruned and the
 * oldest dropped past `maxKeys`, so spraying random usernames cannot grow it without limit.
 */
export interface ThrottlePolicy {
  maxFailures: number;
  windowMs: number;
  lockoutMs: number;
  maxLockoutMs: number;
}

export interface LockInfo {
  key: string;
  lockedUntil: number;
  failures: number;
  locks: number;
}

interface Entry {
  failures: number[];
  /** attempts being checked right now: they count, so a concurrent burst cannot slip past */
  inflight: number;
  lockedUntil: number;
  locks: number;
  lastAt: number;
}

export class FailureThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly policy: ThrottlePolicy,
    private readonly maxKeys = 10_000,
  ) {}

  /** Milliseconds until the key may try again (0 = not locked). */
  retryAfter(key: string, now: number): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    if (e.lockedUntil > now) return e.lockedUntil - now;
    return this.recent(e, now) + e.inflight >= this.policy.maxFailures ? this.policy.lockoutMs : 0;
  }

  begin(key: string, now: number): void {
    const e = this.entry(key, now);
    e.inflight++;
  }

  /**
   * Ends an attempt; on failure, returns the new lock when this failure caused one. A success
   * clears the key's failures unless `forgive` is false (a source address: one valid account
   * must not wipe the failures it sprayed on others).
   */
  end(key: string, ok: boolean, now: number, forgive = true): LockInfo | null {
    const e = this.entries.get(key);
    if (!e) return null;
    e.inflight = Math.max(0, e.inflight - 1);
    e.lastAt = now;
    if (ok) {
      if (forgive) {
        e.failures = [];
        // nothing left to remember (no lock history to back off from): every device of a
        // large site signs in, and keeping an entry each made the map full and every new
        // key pay a scan of it
        if (e.inflight === 0 && e.locks === 0 && e.lockedUntil <= now) this.entries.delete(key);
      }
      return null;
    }
    e.failures.push(now);
    const failures = this.recent(e, now);
    if (failures < this.policy.maxFailures || e.lockedUntil > now) return null;
    const duration = Math.min(this.policy.lockoutMs * 2 ** e.locks, this.policy.maxLockoutMs);
    e.locks++;
    e.lockedUntil = now + duration;
    e.failures = [];
    return { key, lockedUntil: e.lockedUntil, failures, locks: e.locks };
  }

  unlock(key: string): boolean {
    return this.entries.delete(key);
  }

  locked(now: number): LockInfo[] {
    return [...this.entries.entries()]
      .filter(([, e]) => e.lockedUntil > now)
      .map(([key, e]) => ({ key, lockedUntil: e.lockedUntil, failures: e.failures.length, locks: e.locks }));
  }

  get size(): number {
    return this.entries.size;
  }

  private recent(e: Entry, now: number): number {
    const from = now - this.policy.windowMs;
    while (e.failures.length > 0 && e.failures[0]! < from) e.failures.shift();
    return e.failures.length;
  }

  private entry(key: string, now: number): Entry {
    let e = this.entries.get(key);
    if (!e) {
      if (this.entries.size >= this.maxKeys) this.prune(now);
      e = { failures: [], inflight: 0, lockedUntil: 0, locks: 0, lastAt: now };
      this.entries.set(key, e);
    }
    return e;
  }

  private prune(now: number): void {
    // a key is forgotten once it is neither locked nor failing nor remembered for backoff
    const idleAfter = Math.max(this.policy.windowMs, this.policy.maxLockoutMs);
    for (const [k, e] of this.entries) {
      if (e.inflight === 0 && e.lockedUntil <= now && now - e.lastAt > idleAfter) this.entries.delete(k);
    }
    // then the oldest idle ones, down to 90 % of the cap, so the next inserts do not scan again
    const target = Math.floor(this.maxKeys * 0.9);
    for (const [k, e] of this.entries) {
      if (this.entries.size <= target) break;
      if (e.inflight === 0 && e.lockedUntil <= now) this.entries.delete(k);
    }
  }
}
