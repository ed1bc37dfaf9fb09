/**
 * Per-minute min/avg/max of telemetry series, accumulated in memory as readings arrive so a
 * flush writes each touched bucket whole (an upsert), with no read-modify-write against the
 * database. Buckets are kept for `keepMinutes` after their minute so late (out-of-order)
 * readings still land in them (and for as long as they wait to be written); a reading for a
 * bucket already dropped is left to the raw table. A flush may ask only for the buckets of
 * closed minutes, oldest first and at most so many: a bucket is then written about once, when
 * its minute is over, instead of once per flush while it fills. Pure apart from the clock
 * passed in.
 */
export interface RollupBucket {
  deviceId: string;
  channel: string;
  metric: string;
  /** start of the minute, ISO 8601 */
  bucket: string;
  min: number;
  max: number;
  sum: number;
  count: number;
}

export function minuteBucket(at: Date): string {
  return minuteIso(Math.floor(at.getTime() / 60_000) * 60_000);
}

/** ISO strings of the few minutes in use, made once each (the message path asks per reading). */
const isoOfMinute = new Map<number, string>();
function minuteIso(minute: number): string {
  let iso = isoOfMinute.get(minute);
  if (iso === undefined) {
    if (isoOfMinute.size > 1000) isoOfMinute.clear();
    iso = new Date(minute).toISOString();
    isoOfMinute.set(minute, iso);
  }
  return iso;
}

export interface TakeOptions {
  /** only buckets whose minute ended at least `graceMs` ago (default: every touched bucket) */
  closedOnly?: boolean;
  graceMs?: number;
  /** at most this many, oldest minutes first */
  max?: number;
  /** only this device's buckets */
  deviceId?: string;
}

export class RollupAccumulator {
  private readonly buckets = new Map<string, RollupBucket>();
  /** bucket keys by minute (ms), so forgetting old minutes never scans the live ones */
  private readonly byMinute = new Map<number, string[]>();
  /** keys changed since they were last taken, by minute */
  private readonly touched = new Map<number, Set<string>>();

  constructor(private readonly keepMinutes = 5) {}

  /** Adds a reading; false when its bucket is older than the ones still kept (too late). */
  add(r: { deviceId: string; channel: string; metric: string; value: number; at: Date }, now: Date): boolean {
    const minute = Math.floor(r.at.getTime() / 60_000) * 60_000;
    if (minute < now.getTime() - this.keepMinutes * 60_000) return false;
    let keys = this.byMinute.get(minute);
    if (!keys) this.byMinute.set(minute, (keys = []));
    const bucket = minuteIso(minute);
    const key = `${r.deviceId}\u0000${r.channel}\u0000${r.metric}\u0000${bucket}`;
    const b = this.buckets.get(key);
    if (b) {
      b.min = Math.min(b.min, r.value);
      b.max = Math.max(b.max, r.value);
      b.sum += r.value;
      b.count += 1;
    } else {
      this.buckets.set(key, { deviceId: r.deviceId, channel: r.channel, metric: r.metric, bucket, min: r.value, max: r.value, sum: r.value, count: 1 });
      keys.push(key);
    }
    this.touch(minute, key);
    return true;
  }

  /**
   * Buckets changed since they were last taken (copies), by default all of them; then forgets
   * buckets older than keepMinutes that have nothing left to write.
   */
  takeTouched(now: Date, opts: TakeOptions = {}): RollupBucket[] {
    const out: RollupBucket[] = [];
    const max = opts.max ?? Infinity;
    const closedBefore = opts.closedOnly ? now.getTime() - 60_000 - (opts.graceMs ?? 0) : Infinity;
    for (const minute of [...this.touched.keys()].sort((a, b) => a - b)) {
      if (minute > closedBefore || out.length >= max) break;
      const keys = this.touched.get(minute)!;
      for (const k of keys) {
        if (out.length >= max) break;
        const b = this.buckets.get(k);
        if (opts.deviceId !== undefined && b && b.deviceId !== opts.deviceId) continue;
        if (b) out.push({ ...b });
        keys.delete(k);
      }
      if (keys.size === 0) this.touched.delete(minute);
    }
    const cutoff = now.getTime() - this.keepMinutes * 60_000;
    for (const [minute, keys] of this.byMinute) {
      if (minute >= cutoff || this.touched.has(minute)) continue;
      for (const k of keys) this.buckets.delete(k);
      this.byMinute.delete(minute);
    }
    return out;
  }

  /** Puts buckets back as touched after a failed write, so the next flush retries them. */
  retry(buckets: readonly RollupBucket[]): void {
    for (const b of buckets) this.touch(Date.parse(b.bucket), `${b.deviceId}\u0000${b.channel}\u0000${b.metric}\u0000${b.bucket}`);
  }

  /** Buckets waiting to be written. */
  get pending(): number {
    let n = 0;
    for (const keys of this.touched.values()) n += keys.size;
    return n;
  }

  get size(): number {
    return this.buckets.size;
  }

  private touch(minute: number, key: string): void {
    let keys = this.touched.get(minute);
    if (!keys) this.touched.set(minute, (keys = new Set()));
    keys.add(key);
  }
}
