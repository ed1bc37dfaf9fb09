/**
 * The live broker: rooms, their members and delivery to each client. Everything here is
 * synchronous and never waits on a client: an emit only appends to that client's engine.io
 * write buffer. Backpressure is per client:
 *  - deltas: when a client's write buffer already holds LIVE_CLIENT_MAX_BUFFER packets (its
 *    transport is not keeping up), it stops receiving deltas for its rooms; when the buffer
 *    drains it catches up from the room's ring, or gets a fresh snapshot if it missed more than
 *    one buffer's worth (or the ring moved past it);
 *  - positions: coalesced per robot to LIVE_POSITION_HZ per client, and dropped for a client
 *    whose write buffer already holds POSITION_QUEUE_LIMIT packets.
 * So a stalled browser costs a bounded queue and never delays the event bus or other clients.
 */
import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { LiveDelta, LiveError, LiveEvent, LivePositionSample, LiveRoom, LiveSnapshot } from '#contracts';
import type { AuthUser } from '../common/auth.decorators.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { SampleCoalescer } from './live-coalescer.js';
import { LiveRoomLog } from './live-room.js';
import { LiveMetrics } from './live.metrics.js';

interface Membership {
  /** the last seq this client was sent (or that its snapshot included) */
  lastSeq: number;
  /** deltas are held back until the client's queue drains */
  lagging: boolean;
}

export interface LiveClient {
  readonly socket: Socket;
  readonly user: AuthUser;
  readonly rooms: Map<LiveRoom, Membership>;
  readonly positions: SampleCoalescer<LivePositionSample>;
}

/** Builds a room's snapshot; synchronous so its seq matches the deltas that follow exactly. */
export type SnapshotSource = (room: LiveRoom, seq: number, epoch: string) => LiveSnapshot;

@Injectable()
export class LiveHub {
  /** identifies this process's numbering: after a restart, old seqs mean nothing */
  readonly epoch = randomBytes(6).toString('hex');
  private readonly logs = new Map<LiveRoom, LiveRoomLog>();
  private readonly members = new Map<LiveRoom, Set<LiveClient>>();
  private readonly clients = new Map<string, LiveClient>();
  private snapshotSource: SnapshotSource | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: LiveMetrics,
  ) {}

  setSnapshotSource(source: SnapshotSource): void {
    this.snapshotSource = source;
  }

  /** Rooms exist for the whole process (not only while someone watches) so a reconnecting client can resume. */
  ensureRoom(room: LiveRoom): LiveRoomLog {
    let log = this.logs.get(room);
    if (!log) {
      log = new LiveRoomLog(room, this.epoch, this.config.live.replayBuffer);
      this.logs.set(room, log);
      this.members.set(room, new Set());
    }
    return log;
  }

  hasRoom(room: LiveRoom): boolean {
    return this.logs.has(room);
  }

  seqOf(room: LiveRoom): number {
    return this.logs.get(room)?.seq ?? 0;
  }

  addClient(socket: Socket, user: AuthUser): LiveClient {
    const intervalMs = 1000 / this.config.live.positionHz;
    const client: LiveClient = {
      socket,
      user,
      rooms: new Map(),
      positions: new SampleCoalescer<LivePositionSample>(intervalMs, (_robotId, sample) => {
        // a sample is worthless a moment later: dropped for a client whose queue is backing
        // up, but not merely because a delta is being written this instant (socket.io's
        // volatile emit dropped nearly every position that followed a delta in the same tick)
        if (queued(socket) >= POSITION_QUEUE_LIMIT) {
          this.metrics.dropped.inc({ kind: 'position', reason: 'not_writable' });
          return;
        }
        this.metrics.events.inc({ kind: 'position' });
        socket.emit('position', sample);
      }),
    };
    this.clients.set(socket.id, client);
    socket.conn.on('drain', () => this.catchUpLagging(client));
    this.metrics.connections.inc();
    return client;
  }

  removeClient(socketId: string): void {
    const c = this.clients.get(socketId);
    if (!c) return;
    this.clients.delete(socketId);
    for (const room of c.rooms.keys()) this.members.get(room)?.delete(c);
    c.rooms.clear();
    c.positions.close();
    this.metrics.connections.dec();
  }

  client(socketId: string): LiveClient | undefined {
    return this.clients.get(socketId);
  }

  /**
   * Joins a room. With a `resume` point from this epoch still in the ring, the client gets
   * `resumed` and the missed deltas; otherwise a snapshot. Access is checked by the caller.
   */
  join(c: LiveClient, room: LiveRoom, resume?: { epoch: string; seq: number }): 'snapshot' | 'resumed' {
    this.ensureRoom(room);
    const m: Membership = { lastSeq: 0, lagging: false };
    c.rooms.set(room, m);
    this.members.get(room)!.add(c);
    const mode = this.bringUpToDate(c, room, m, resume && resume.epoch === this.epoch ? resume.seq : null);
    return mode;
  }

  leave(c: LiveClient, room: LiveRoom): boolean {
    const had = c.rooms.delete(room);
    this.members.get(room)?.delete(c);
    return had;
  }

  /**
   * Numbers the event in the room and sends it to every member that keeps up, encoded once
   * for all of them (one broadcast to the eligible socket ids) rather than once per client.
   */
  publish(room: LiveRoom, event: LiveEvent): LiveDelta {
    const delta = this.ensureRoom(room).append(event);
    const ids: string[] = [];
    let nsp: Socket['nsp'] | undefined;
    for (const c of this.members.get(room)!) {
      if (!this.admit(c, room, delta)) continue;
      ids.push(c.socket.id);
      nsp ??= c.socket.nsp;
    }
    if (nsp && ids.length) {
      nsp.to(ids).emit('delta', delta);
      this.metrics.events.inc({ kind: 'delta' }, ids.length);
    }
    return delta;
  }

  /** Offers a robot's position to every client watching any of `rooms` (once per client). */
  publishPosition(rooms: Iterable<LiveRoom>, sample: LivePositionSample): void {
    const seen = new Set<LiveClient>();
    for (const room of rooms) {
      for (const c of this.members.get(room) ?? []) {
        if (seen.has(c)) continue;
        seen.add(c);
        if (c.positions.offer(sample.robotId, sample) === 'replaced') this.metrics.dropped.inc({ kind: 'position', reason: 'coalesced' });
      }
    }
  }

  /** A robot left these clients' view: a pending position sample for it must not follow. */
  forgetRobot(room: LiveRoom, robotId: string): void {
    for (const c of this.members.get(room) ?? []) c.positions.forget(robotId);
  }

  sendError(socket: Socket, error: LiveError): void {
    this.metrics.events.inc({ kind: 'error' });
    socket.emit('error', error);
  }

  /** Whether this member gets the delta now; a lagging one catches up when it drains. */
  private admit(c: LiveClient, room: LiveRoom, delta: LiveDelta): boolean {
    const m = c.rooms.get(room);
    if (!m) return false;
    if (m.lagging) {
      this.metrics.dropped.inc({ kind: 'delta', reason: 'lagging' });
      return false;
    }
    if (queued(c.socket) >= this.config.live.clientMaxBuffer) {
      m.lagging = true;
      this.metrics.dropped.inc({ kind: 'delta', reason: 'lagging' });
      return false;
    }
    m.lastSeq = delta.seq;
    return true;
  }

  private catchUpLagging(c: LiveClient): void {
    for (const [room, m] of c.rooms) {
      if (!m.lagging) continue;
      m.lagging = false;
      this.bringUpToDate(c, room, m, m.lastSeq);
    }
  }

  private bringUpToDate(c: LiveClient, room: LiveRoom, m: Membership, fromSeq: number | null): 'snapshot' | 'resumed' {
    const log = this.logs.get(room)!;
    const missed = fromSeq === null ? null : log.since(fromSeq);
    // replaying more than one client buffer's worth would only refill the queue that made it
    // lag: a snapshot is smaller then
    if (missed && fromSeq !== null && missed.length <= this.config.live.clientMaxBuffer) {
      c.socket.emit('resumed', { room, epoch: this.epoch, fromSeq, seq: log.seq });
      for (const d of missed) c.socket.emit('delta', d);
      m.lastSeq = log.seq;
      this.metrics.catchUps.inc({ mode: 'replay' });
      this.metrics.events.inc({ kind: 'delta' }, missed.length);
      return 'resumed';
    }
    if (!this.snapshotSource) throw new Error('live hub has no snapshot source');
    const snapshot = this.snapshotSource(room, log.seq, this.epoch);
    c.socket.emit('snapshot', snapshot);
    m.lastSeq = snapshot.seq;
    this.metrics.catchUps.inc({ mode: 'snapshot' });
    this.metrics.events.inc({ kind: 'snapshot' });
    return 'snapshot';
  }
}

/** A client with this many packets queued gets no position samples until it drains. */
const POSITION_QUEUE_LIMIT = 16;

/** Packets waiting in the client's engine.io write buffer (its transport has not taken them yet). */
function queued(socket: Socket): number {
  return (socket.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer?.length ?? 0;
}
