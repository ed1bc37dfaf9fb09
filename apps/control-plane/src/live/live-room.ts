/**
 * One room's event log: numbers every event (seq, per room) and keeps the last `capacity`
 * deltas in a ring so a client that reconnects can catch up without a snapshot. Pure and
 * synchronous: the hub calls it on the event path and never waits on it.
 */
import type { LiveDelta, LiveEvent, LiveRoom } from '#contracts';

export class LiveRoomLog {
  private readonly ring: (LiveDelta | undefined)[];
  private seqNow = 0;

  constructor(
    readonly room: LiveRoom,
    readonly epoch: string,
    readonly capacity: number,
  ) {
    this.ring = new Array<LiveDelta | undefined>(capacity);
  }

  /** The seq of the newest event (0 before the first). */
  get seq(): number {
    return this.seqNow;
  }

  /** The oldest seq still in the ring. */
  get oldest(): number {
    return Math.max(1, this.seqNow - this.capacity + 1);
  }

  append(event: LiveEvent, at = new Date()): LiveDelta {
    const delta: LiveDelta = { room: this.room, epoch: this.epoch, seq: ++this.seqNow, at: at.toISOString(), event };
    this.ring[delta.seq % this.capacity] = delta;
    return delta;
  }

  /**
   * The deltas after `seq` (oldest first), or null when they are no longer all in the ring
   * (or `seq` is from the future): such a client needs a fresh snapshot.
   */
  since(seq: number): LiveDelta[] | null {
    if (seq > this.seqNow || seq < this.oldest - 1) return null;
    const out: LiveDelta[] = [];
    for (let s = seq + 1; s <= this.seqNow; s++) out.push(this.ring[s % this.capacity]!);
    return out;
  }
}
