/**
 * Per-client rate limit for samples (robot positions): at most one sample per key per
 * interval; samples offered in between replace each other (latest wins) and the newest goes
 * out when the interval has passed. A robot that reports at 20 Hz therefore costs a nurse
 * station LIVE_POSITION_HZ messages per second, whatever the robot does.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export type OfferResult = 'sent' | 'deferred' | 'replaced';

export class SampleCoalescer<T> {
  private readonly pending = new Map<string, T>();
  private readonly lastSent = new Map<string, number>();
  private timer: unknown = null;
  private closed = false;

  constructor(
    private readonly intervalMs: number,
    private readonly send: (key: string, sample: T) => void,
    private readonly clock: Clock = systemClock,
  ) {}

  offer(key: string, sample: T): OfferResult {
    if (this.closed) return 'replaced';
    const now = this.clock.now();
    const last = this.lastSent.get(key);
    if (!this.pending.has(key) && (last === undefined || now - last >= this.intervalMs)) {
      this.lastSent.set(key, now);
      this.send(key, sample);
      return 'sent';
    }
    const replaced = this.pending.has(key);
    this.pending.set(key, sample);
    this.schedule(now);
    return replaced ? 'replaced' : 'deferred';
  }

  /**
   * Something else just carried this key's latest value to the client (a `robot` delta holds
   * the robot's position): a pending sample would only repeat or undo it, and the interval
   * starts again as if a sample had been sent.
   */
  supersede(key: string): void {
    if (this.closed) return;
    this.pending.delete(key);
    this.lastSent.set(key, this.clock.now());
  }

  /** Forget a key (the robot left the client's rooms): its pending sample is not sent. */
  forget(key: string): void {
    this.pending.delete(key);
    this.lastSent.delete(key);
  }

  /** Drops every pending sample (the client lost a room: what was queued may be from it); intervals stay. */
  clear(): void {
    this.pending.clear();
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }

  private schedule(now: number): void {
    if (this.timer !== null) return;
    let due = Infinity;
    for (const key of this.pending.keys()) due = Math.min(due, (this.lastSent.get(key) ?? 0) + this.intervalMs);
    this.timer = this.clock.setTimeout(() => this.flush(), Math.max(0, due - now));
  }

  private flush(): void {
    this.timer = null;
    if (this.closed) return;
    const now = this.clock.now();
    for (const [key, sample] of this.pending) {
      if (now - (this.lastSent.get(key) ?? 0) < this.intervalMs) continue;
      this.pending.delete(key);
      this.lastSent.set(key, now);
      this.send(key, sample);
    }
    if (this.pending.size > 0) this.schedule(now);
  }
}
