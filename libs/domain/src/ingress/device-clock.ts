/**
 * Server time rules, device time informs: the time the server lets a device message stand
 * for (its *judged* time), from the device's own `ts` and the server's receipt clock.
 *
 * A device's clock is only as good as its battery and its last sync; durations that lock
 * stock (a cold-chain excursion) must not be decided by it alone. So the device's `ts` is
 * clamped into the interval the server can vouch for: after the last time it heard from the
 * device, and not after now. A live device keeps its own time (it is inside that interval);
 * a future stamp becomes the receipt time; readings backdated by a device heard a second ago
 * all land inside that second, so 36 minutes of them sent at once last a second, not 36
 * minutes. A device that fell silent for a while (offline, out of range) may *backfill* the
 * gap: readings stamped inside a silence the server clock confirms keep their time — judged
 * with both clocks. The gap stays open for backfill until a live message (within the skew of
 * receipt) shows the device has caught up. Nothing heard before (the first message since the
 * server started): the lower bound is the receipt time, so a fresh start cannot be used to
 * push history in.
 *
 * A stamp more than `maxSkewMs` ahead of receipt, or behind it and not explained by a
 * silent gap, is skew. `streak` consecutive skewed messages make a persistent skew (an
 * alarm); `streak` consecutive messages within the skew end it. Backfilled messages count
 * neither way: they say nothing about the clock now.
 *
 * Pure and clock-injected: no Nest, no I/O, no timers. `DeviceClocks` keeps one small entry
 * per device in a Map bounded by device count (the least recently heard is dropped first).
 */
export interface DeviceClockPolicy {
  /** how far a device's `ts` may be off the receipt time without counting as skew */
  maxSkewMs: number;
  /** consecutive skewed messages that make a persistent skew, and consecutive good ones that end it */
  streak: number;
}

export const DEFAULT_DEVICE_CLOCK_POLICY: DeviceClockPolicy = { maxSkewMs: 30_000, streak: 5 };

/** How many allowances behind a stamp must be before a persistent lag is the device's clock (not the server's backlog). */
export const FAR_BEHIND_FACTOR = 10;

export interface DeviceClockState {
  /** server time (epoch ms) of the last message judged for this device */
  readonly heardAt: number;
  /** a silence the server clock confirms (from the message before it to the one after), open for backfill */
  readonly gap: { readonly from: number; readonly to: number } | null;
  readonly skewed: number;
  readonly inSkew: number;
  /** a persistent skew is being reported (alarm raised) */
  readonly persistent: boolean;
}

export type ClockSkewDirection = 'future' | 'past';

export interface ClockJudgement {
  /** epoch ms the message stands for */
  readonly judgedAt: number;
  /** the device's ts lies inside a confirmed silent gap, more than the skew before receipt: kept as is */
  readonly backfill: boolean;
  /** the device's ts is off the receipt time by more than the skew and no gap explains it */
  readonly skew: ClockSkewDirection | null;
  /** device ts − receipt time, ms (positive: the device is ahead) */
  readonly offsetMs: number;
  /** `start`: the skew has just become persistent; `end`: it has just ended */
  readonly persistent: 'start' | 'end' | null;
  readonly next: DeviceClockState;
}

export function judgeDeviceTime(previous: DeviceClockState | undefined, deviceTs: number, receivedAt: number, policy: DeviceClockPolicy): ClockJudgement {
  const { maxSkewMs, streak } = policy;
  const offsetMs = deviceTs - receivedAt;
  // a silence longer than the skew allows between two messages is a gap the server vouches for
  let gap = previous?.gap ?? null;
  if (previous && receivedAt - previous.heardAt > maxSkewMs) gap = { from: previous.heardAt, to: receivedAt };
  const inGap = gap !== null && deviceTs > gap.from && deviceTs < gap.to;
  // (lower, receivedAt]: after the last message heard (or the gap's start), never after now
  const lower = inGap ? gap!.from : (previous?.heardAt ?? receivedAt);
  const judgedAt = deviceTs > receivedAt ? receivedAt : deviceTs > lower ? deviceTs : Math.min(receivedAt, lower + 1);
  const behind = offsetMs < -maxSkewMs;
  const backfill = behind && judgedAt === deviceTs;
  const skew: ClockSkewDirection | null = offsetMs > maxSkewMs ? 'future' : behind && !backfill ? 'past' : null;
  // a live message (within the skew) shows the device caught up: its gap is closed for backfill
  if (!behind && offsetMs <= maxSkewMs) gap = null;

  let skewed = previous?.skewed ?? 0;
  let inSkew = previous?.inSkew ?? 0;
  let persistent = previous?.persistent ?? false;
  let change: ClockJudgement['persistent'] = null;
  // a stamp a little behind is as likely the server's own backlog (messages waiting to be read
  // under load) as the device's clock: counted, but only one far behind (ten times the
  // allowance) counts towards the alarm, and neither side of the streak moves otherwise
  const blamed = skew === 'future' || (skew === 'past' && offsetMs < -FAR_BEHIND_FACTOR * maxSkewMs);
  if (skew && !blamed) {
    // neutral: neither a skewed message nor a good one
  } else if (skew) {
    skewed++;
    inSkew = 0;
    if (!persistent && skewed >= streak) {
      persistent = true;
      change = 'start';
    }
  } else if (!backfill) {
    inSkew++;
    skewed = 0;
    if (persistent && inSkew >= streak) {
      persistent = false;
      change = 'end';
    }
  }
  return { judgedAt, backfill, skew, offsetMs, persistent: change, next: { heardAt: receivedAt, gap, skewed, inSkew, persistent } };
}

/** The clock state of every device heard since the server started, bounded by device count. */
export class DeviceClocks {
  private readonly states = new Map<string, DeviceClockState>();

  constructor(
    readonly policy: DeviceClockPolicy = DEFAULT_DEVICE_CLOCK_POLICY,
    private readonly maxDevices = 100_000,
  ) {
    if (!(policy.maxSkewMs >= 0) || !Number.isFinite(policy.maxSkewMs))
      throw new RangeError(`device clock: maxSkewMs must be a non-negative number, got ${policy.maxSkewMs}`);
    if (!Number.isInteger(policy.streak) || policy.streak < 1) throw new RangeError(`device clock: streak must be a positive integer, got ${policy.streak}`);
  }

  get size(): number {
    return this.states.size;
  }

  judge(deviceId: string, deviceTs: number, receivedAt: number): ClockJudgement {
    const previous = this.states.get(deviceId);
    const j = judgeDeviceTime(previous, deviceTs, receivedAt, this.policy);
    // re-inserted so the Map's order is "least recently heard first"
    if (previous) this.states.delete(deviceId);
    else if (this.states.size >= this.maxDevices) this.states.delete(this.states.keys().next().value!);
    this.states.set(deviceId, j.next);
    return j;
  }

  stateOf(deviceId: string): DeviceClockState | undefined {
    return this.states.get(deviceId);
  }

  forget(deviceId: string): void {
    this.states.delete(deviceId);
  }
}
