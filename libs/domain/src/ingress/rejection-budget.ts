/**
 * How much rejected input one device may send before it costs everyone else. Each device has
 * two token buckets, rejected messages and rejected payload bytes, that refill at a sustained
 * rate and hold `burstMs` worth of it. A rejection spends from both; the one that overdraws
 * either starts a throttle: for `throttleMs` every further message of the device is dropped
 * before it is parsed (`admit` says so in O(1)), and still spends from the buckets. While a
 * bucket is in debt the caller may stop reading the device until it has refilled (`pauseMs`):
 * TCP then slows the sender down instead of us reading what we drop.
 *
 * A device that keeps going is to be disconnected (and stays throttled for a fresh period):
 * one that sends a second burst on top of its rate while throttled (faster than the pauses
 * hold it back, e.g. what piled up in its socket meanwhile), and one whose rejections
 * overdraw the budget again within `throttleMs` of its throttle ending (a sender the pauses
 * held at the rate, or firmware whose every message is invalid).
 *
 * Pure and clock-injected: no Nest, no I/O, no timers. Devices that never send anything
 * invalid have no entry, and an entry whose buckets are full again is dropped when the map
 * grows, so memory follows the devices misbehaving now.
 */
export interface RejectionBudgetPolicy {
  /** rejected messages per second a device may sustain */
  maxPerSec: number;
  /** rejected payload bytes per second a device may sustain */
  maxBytesPerSec: number;
  /** the budget a device can save up: each bucket holds this many milliseconds of its rate */
  burstMs: number;
  /** how long a device over its budget has its messages dropped unread */
  throttleMs: number;
}

export type AdmitVerdict =
  /** not throttled: parse and validate as usual */
  | { action: 'pass' }
  /** throttled: drop it unread; stop reading the device for `pauseMs` (0: keep reading) */
  | { action: 'drop'; pauseMs: number }
  /** throttled and still sending a burst on top of its rate: drop it and disconnect */
  | { action: 'disconnect'; dropped: number };

export type RejectVerdict =
  | { action: 'ok' }
  /** over budget: throttled until `until` (the caller's clock) */
  | { action: 'throttle'; until: number }
  /** over budget again right after a throttle: throttled anew and to be disconnected; `dropped` in the last throttle */
  | { action: 'disconnect'; until: number; dropped: number };

interface Entry {
  /** tokens left; negative = debt, never below -capacity */
  messages: number;
  bytes: number;
  /** when the buckets were last refilled */
  at: number;
  /** end of the current or last throttle; 0 = never throttled */
  throttledUntil: number;
  /** messages dropped since the throttle started */
  dropped: number;
}

export class RejectionBudget {
  private readonly entries = new Map<string, Entry>();
  private readonly messageCapacity: number;
  private readonly byteCapacity: number;

  constructor(
    readonly policy: RejectionBudgetPolicy,
    private readonly maxKeys = 100_000,
  ) {
    for (const k of ['maxPerSec', 'maxBytesPerSec', 'burstMs', 'throttleMs'] as const) {
      if (!(policy[k] > 0) || !Number.isFinite(policy[k])) throw new RangeError(`rejection budget: ${k} must be a positive number, got ${policy[k]}`);
    }
    // at least one whole message of each kind fits, however small the burst
    this.messageCapacity = Math.max(1, (policy.maxPerSec * policy.burstMs) / 1000);
    this.byteCapacity = Math.max(1, (policy.maxBytesPerSec * policy.burstMs) / 1000);
  }

  /** Devices with an entry (misbehaving now or recently). */
  get size(): number {
    return this.entries.size;
  }

  isThrottled(key: string, now: number): boolean {
    const e = this.entries.get(key);
    return !!e && e.throttledUntil > now;
  }

  /** Called for every message before it is parsed. */
  admit(key: string, bytes: number, now: number): AdmitVerdict {
    const e = this.entries.get(key);
    if (!e || e.throttledUntil <= now) return { action: 'pass' };
    this.refill(e, now);
    this.spend(e, bytes);
    e.dropped++;
    if (e.messages <= -this.messageCapacity || e.bytes <= -this.byteCapacity) return { action: 'disconnect', dropped: this.restart(e, now) };
    return { action: 'drop', pauseMs: Math.min(this.refillTime(e), e.throttledUntil - now) };
  }

  /** Called for every rejected message. */
  rejected(key: string, bytes: number, now: number): RejectVerdict {
    let e = this.entries.get(key);
    if (!e) {
      if (this.entries.size >= this.maxKeys) this.prune(now);
      e = { messages: this.messageCapacity, bytes: this.byteCapacity, at: now, throttledUntil: 0, dropped: 0 };
      this.entries.set(key, e);
    } else {
      this.refill(e, now);
    }
    this.spend(e, bytes);
    // a rejection finishing while a throttle runs (an asynchronous check) changes nothing
    if (e.throttledUntil > now || (e.messages >= 0 && e.bytes >= 0)) return { action: 'ok' };
    const repeat = e.throttledUntil > 0 && now - e.throttledUntil < this.policy.throttleMs;
    if (repeat) {
      const dropped = this.restart(e, now);
      return { action: 'disconnect', until: e.throttledUntil, dropped };
    }
    e.throttledUntil = now + this.policy.throttleMs;
    e.dropped = 0;
    return { action: 'throttle', until: e.throttledUntil };
  }

  /** Forgets a device (e.g. deregistered). */
  forget(key: string): void {
    this.entries.delete(key);
  }

  /**
   * A throttle that starts over with empty buckets, after a disconnect: a reconnect that floods
   * again is dropped unread and cut after one more burst, one that keeps within the rate is
   * left alone. Returns what the previous throttle dropped.
   */
  private restart(e: Entry, now: number): number {
    const dropped = e.dropped;
    e.throttledUntil = now + this.policy.throttleMs;
    e.messages = 0;
    e.bytes = 0;
    e.dropped = 0;
    return dropped;
  }

  private refill(e: Entry, now: number): void {
    const dt = Math.max(0, now - e.at);
    e.at = Math.max(e.at, now);
    e.messages = Math.min(this.messageCapacity, e.messages + (dt * this.policy.maxPerSec) / 1000);
    e.bytes = Math.min(this.byteCapacity, e.bytes + (dt * this.policy.maxBytesPerSec) / 1000);
  }

  private spend(e: Entry, bytes: number): void {
    e.messages = Math.max(-this.messageCapacity, e.messages - 1);
    e.bytes = Math.max(-this.byteCapacity, e.bytes - Math.max(0, bytes));
  }

  /** Milliseconds until neither bucket is in debt. */
  private refillTime(e: Entry): number {
    const m = e.messages < 0 ? (-e.messages * 1000) / this.policy.maxPerSec : 0;
    const b = e.bytes < 0 ? (-e.bytes * 1000) / this.policy.maxBytesPerSec : 0;
    return Math.ceil(Math.max(m, b));
  }

  /** Drops entries that are as good as new (full again, not throttled), then the oldest. */
  private prune(now: number): void {
    for (const [k, e] of this.entries) {
      if (e.throttledUntil > now) continue;
      this.refill(e, now);
      if (e.messages >= this.messageCapacity && e.bytes >= this.byteCapacity) this.entries.delete(k);
    }
    for (const k of this.entries.keys()) {
      if (this.entries.size < this.maxKeys) break;
      this.entries.delete(k);
    }
  }
}
