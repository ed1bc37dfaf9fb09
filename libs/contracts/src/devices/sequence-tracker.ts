/**
 * Classifies each incoming per-device sequence number so the server can drop duplicates
 * (QoS 1 redeliveries), notice lost messages (gaps) and keep late messages from overwriting
 * newer values (out of order). Pure: `classifySequence` maps (state, header) to (verdict,
 * next state); `SequenceTracker` only keeps one state per device in a Map.
 *
 * Sequence numbers are uint32 and wrap from 4294967295 to 0; distances are taken modulo 2^32
 * (RFC 1982 serial arithmetic), so a wrap is a plain increment. A device that restarts begins
 * again at 0 or 1: that is recognised when the timestamp is newer than the last one seen —
 * without it, a low seq is indistinguishable from a very late message.
 */
import { UINT32_MAX } from './device.header.js';

export type SequenceVerdict =
  /** The first message seen from this device (since the server started or forgot it). */
  | { kind: 'first' }
  /** Exactly the next number. */
  | { kind: 'new' }
  /** Ahead of the next number: `missing` messages were lost or are still in flight. */
  | { kind: 'gap'; missing: number }
  /** Seen before: a redelivery to drop. */
  | { kind: 'duplicate' }
  /** Older than the newest seen and not seen before: keep as history, do not let it overwrite current values. */
  | { kind: 'out_of_order'; behind: number }
  /** The device started counting again (seq 0/1 with a newer timestamp). */
  | { kind: 'restart'; previousSeq: number };

export type SequenceVerdictKind = SequenceVerdict['kind'];

export interface SequenceState {
  readonly lastSeq: number;
  /** Epoch ms of the newest message's `ts`. */
  readonly lastTs: number;
  /**
   * Which numbers within the window behind `lastSeq` were seen, to tell duplicates from late
   * arrivals: bit i (word i >> 5, bit i & 31) is `lastSeq - i`. A bit set rather than a list,
   * so an in-order message costs a copy of a few words instead of the whole window.
   */
  readonly seen: readonly number[];
}

export interface SequenceOptions {
  /** How far behind the newest number duplicates are still recognised (default 256). */
  window?: number;
  /** Highest first number a restarted device may use (default 1: some firmware starts at 1). */
  restartMaxSeq?: number;
}

const MODULO = UINT32_MAX + 1;
const HALF = MODULO / 2;

/** Accepting means: process the message (possibly as history); only duplicates are dropped. */
export function isAccepted(verdict: SequenceVerdict): boolean {
  return verdict.kind !== 'duplicate';
}

/** True when the message is the device's newest, i.e. may update "current value" views. */
export function isCurrent(verdict: SequenceVerdict): boolean {
  return verdict.kind === 'first' || verdict.kind === 'new' || verdict.kind === 'gap' || verdict.kind === 'restart';
}

export function classifySequence(
  previous: SequenceState | undefined,
  header: { readonly seq: number; readonly ts: string },
  options: SequenceOptions = {},
): { verdict: SequenceVerdict; next: SequenceState } {
  const window = options.window ?? 256;
  const restartMaxSeq = options.restartMaxSeq ?? 1;
  const ts = Date.parse(header.ts);
  const { seq } = header;
  const fresh = (verdict: SequenceVerdict): { verdict: SequenceVerdict; next: SequenceState } => ({
    verdict,
    next: { lastSeq: seq, lastTs: ts, seen: withBit(new Array<number>(wordsFor(window)).fill(0), 0) },
  });
  if (!previous) return fresh({ kind: 'first' });

  const ahead = (seq - previous.lastSeq + MODULO) % MODULO;
  if (ahead === 0) return { verdict: { kind: 'duplicate' }, next: previous };
  // A restart wins over "behind": a rebooted device at seq 0 is not a very late message when
  // its clock says it is newer. `ahead === 1` is checked first so 0 → 1 is not a restart.
  if (ahead !== 1 && seq <= restartMaxSeq && ts > previous.lastTs) return fresh({ kind: 'restart', previousSeq: previous.lastSeq });

  if (ahead < HALF) {
    const next: SequenceState = { lastSeq: seq, lastTs: Math.max(ts, previous.lastTs), seen: withBit(shifted(previous.seen, ahead, window), 0) };
    return { verdict: ahead === 1 ? { kind: 'new' } : { kind: 'gap', missing: ahead - 1 }, next };
  }
  const behind = MODULO - ahead;
  if (behind > window) return { verdict: { kind: 'out_of_order', behind }, next: previous };
  if (hasBit(previous.seen, behind)) return { verdict: { kind: 'duplicate' }, next: previous };
  return { verdict: { kind: 'out_of_order', behind }, next: { ...previous, seen: withBit([...previous.seen], behind) } };
}

/** Words of the bit set: distances 0..window behind the newest number. */
const wordsFor = (window: number) => (window + 1 + 31) >>> 5 || 1;

function hasBit(words: readonly number[], i: number): boolean {
  return ((words[i >>> 5] ?? 0) & (1 << (i & 31))) !== 0;
}

/** Sets bit i of a bit set the caller owns, and returns it. */
function withBit(words: number[], i: number): number[] {
  words[i >>> 5] = (words[i >>> 5]! | (1 << (i & 31))) >>> 0;
  return words;
}

/** A copy of the bit set moved `n` places older (bit i → bit i + n); bits past the window fall off. */
function shifted(words: readonly number[], n: number, window: number): number[] {
  const out = new Array<number>(words.length).fill(0);
  if (n > window) return out;
  const wordShift = n >>> 5;
  const bitShift = n & 31;
  for (let w = words.length - 1; w >= wordShift; w--) {
    const src = w - wordShift;
    let v = bitShift === 0 ? words[src]! : (words[src]! << bitShift) >>> 0;
    if (bitShift !== 0 && src > 0) v = (v | (words[src - 1]! >>> (32 - bitShift))) >>> 0;
    out[w] = v;
  }
  // clear the bits past the window in the last word
  const top = window + 1 - ((out.length - 1) << 5);
  if (top < 32) out[out.length - 1] = (out[out.length - 1]! & ((1 << top) - 1)) >>> 0;
  return out;
}

/** One SequenceState per device; persist `snapshot()` across server restarts if wanted. */
export class SequenceTracker {
  private readonly devices = new Map<string, SequenceState>();

  constructor(private readonly options: SequenceOptions = {}) {}

  observe(header: { readonly deviceId: string; readonly seq: number; readonly ts: string }): SequenceVerdict {
    const { verdict, next } = classifySequence(this.devices.get(header.deviceId), header, this.options);
    this.devices.set(header.deviceId, next);
    return verdict;
  }

  /** Drop a device's history, e.g. when it is deregistered. */
  forget(deviceId: string): void {
    this.devices.delete(deviceId);
  }

  snapshot(deviceId: string): SequenceState | undefined {
    return this.devices.get(deviceId);
  }

  restore(deviceId: string, state: SequenceState): void {
    this.devices.set(deviceId, state);
  }

  get size(): number {
    return this.devices.size;
  }
}
