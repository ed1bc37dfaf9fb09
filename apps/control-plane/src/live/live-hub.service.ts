/**
 * The live broker: rooms, their members and delivery to each client. Everything here is
 * synchronous and never waits on a client: an emit only appends to that client's engine.io
 * write buffer.
 *
 * Deltas and position samples go out in frames: what the rooms produced since the last flush
 * is sent as one `deltas` (and one `positions`) message per client, so a busy ward costs a
 * client at most 1000/LIVE_BATCH_MS frames a second however many events it has. A flush runs
 * as soon as the event loop is free (no added delay when the hospital is quiet) and at most
 * once per LIVE_BATCH_MS under load. Clients that get the same deltas share one encoding.
 *
 * Backpressure is per client:
 *  - deltas: when a client's write buffer already holds LIVE_CLIENT_MAX_BUFFER frames (its
 *    transport is not keeping up), it stops receiving deltas for its rooms; when the buffer
 *    drains it catches up from the room's ring, or gets a fresh snapshot if it missed more than
 *    it could be sent in one go (or the ring moved past it);
 *  - positions: coalesced per robot to LIVE_POSITION_HZ per client, and dropped for a client
 *    whose write buffer already holds POSITION_QUEUE_LIMIT frames.
 * So a stalled browser costs a bounded queue and never delays the event bus or other clients.
 */
import { randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { LiveDelta, LiveError, LiveEvent, LivePositionSample, LiveRoom } from '#contracts';
import type { AuthUser } from '../common/auth.decorators.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { SampleCoalescer } from './live-coalescer.js';
import { LiveSnapshots } from './live-read-model.service.js';
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
  /** the user as last read from the store (LiveAccessWatch keeps it current), with the socket's session */
  user: AuthUser;
  readonly rooms: Map<LiveRoom, Membership>;
  readonly positions: SampleCoalescer<LivePositionSample>;
  /** position samples released by the coalescer, sent with the next flush */
  outPositions: LivePositionSample[];
}

/** The most deltas one frame carries (a longer backlog goes out in several). */
export const LIVE_FRAME_MAX_DELTAS = 64;

@Injectable()
export class LiveHub implements OnModuleDestroy {
  /** identifies this process's numbering: after a restart, old seqs mean nothing */
  readonly epoch = randomBytes(6).toString('hex');
  private readonly logs = new Map<LiveRoom, LiveRoomLog>();
  private readonly members = new Map<LiveRoom, Set<LiveClient>>();
  private readonly clients = new Map<string, LiveClient>();
  /** the connected clients of each user: what an access change or a revoked session applies to */
  private readonly byUser = new Map<string, Set<LiveClient>>();
  /** deltas appended since the last flush, per room with members */
  private pending = new Map<LiveRoom, LiveDelta[]>();
  /** clients with position samples waiting for the next flush */
  private positionsDue = new Set<LiveClient>();
  private flushHandle: { kind: 'immediate'; handle: NodeJS.Immediate } | { kind: 'timeout'; handle: NodeJS.Timeout } | null = null;
  private lastFlush = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: LiveMetrics,
    /** builds a room's snapshot; synchronous so its seq matches the deltas that follow exactly */
    private readonly snapshots: LiveSnapshots,
  ) {}

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
        client.outPositions.push(sample);
        this.positionsDue.add(client);
        this.scheduleFlush();
      }),
      outPositions: [],
    };
    this.clients.set(socket.id, client);
    const mine = this.byUser.get(user.id);
    if (mine) mine.add(client);
    else this.byUser.set(user.id, new Set([client]));
    socket.conn.on('drain', () => this.catchUpLagging(client));
    this.metrics.connections.inc();
    return client;
  }

  removeClient(socketId: string): void {
    const c = this.clients.get(socketId);
    if (!c) return;
    this.clients.delete(socketId);
    const mine = this.byUser.get(c.user.id);
    mine?.delete(c);
    if (mine?.size === 0) this.byUser.delete(c.user.id);
    this.positionsDue.delete(c);
    for (const room of c.rooms.keys()) this.members.get(room)?.delete(c);
    c.rooms.clear();
    c.positions.close();
    this.metrics.connections.dec();
  }

  client(socketId: string): LiveClient | undefined {
    return this.clients.get(socketId);
  }

  /** The user's connected clients (a copy: closing one while iterating is safe). */
  clientsOf(userId: string): LiveClient[] {
    return [...(this.byUser.get(userId) ?? [])];
  }

  /** Every user with a connected client. */
  userIds(): string[] {
    return [...this.byUser.keys()];
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
   * The client may no longer watch the room: it leaves at once (the next flush passes it by)
   * and its queued position samples go too, since some may be of the room's robots; robots of
   * its other rooms are in the next sample a moment later.
   */
  revoke(c: LiveClient, room: LiveRoom): boolean {
    const had = this.leave(c, room);
    c.positions.clear();
    c.outPositions = [];
    this.positionsDue.delete(c);
    return had;
  }

  /** Numbers the event in the room; its members get it with the next flush. */
  publish(room: LiveRoom, event: LiveEvent): LiveDelta {
    const delta = this.ensureRoom(room).append(event);
    if (this.members.get(room)!.size > 0) {
      const list = this.pending.get(room);
      if (list) list.push(delta);
      else this.pending.set(room, [delta]);
      this.scheduleFlush();
    }
    return delta;
  }

  onModuleDestroy(): void {
    this.cancelFlush();
  }

  /** Sends everything pending now (also what the scheduled flush would do). */
  flush(): void {
    this.cancelFlush();
    this.lastFlush = Date.now();
    const rooms = this.pending;
    this.pending = new Map();
    // each client's part of every room's pending deltas …
    const parts = new Map<LiveClient, LiveDelta[][]>();
    for (const [room, deltas] of rooms) {
      for (const c of this.members.get(room) ?? []) {
        const part = this.admit(c, room, deltas);
        if (!part) continue;
        const mine = parts.get(c);
        if (mine) mine.push(part);
        else parts.set(c, [part]);
      }
    }
    // … and clients with the same parts share one frame, encoded once for all of them
    const frames = new Map<string, { ids: string[]; nsp: Socket['nsp']; parts: LiveDelta[][] }>();
    for (const [c, mine] of parts) {
      const key = mine.map((p) => `${p[0]!.room}@${p[0]!.seq}`).join('|');
      const f = frames.get(key);
      if (f) f.ids.push(c.socket.id);
      else frames.set(key, { ids: [c.socket.id], nsp: c.socket.nsp, parts: mine });
    }
    for (const f of frames.values()) {
      const all = f.parts.length === 1 ? f.parts[0]! : f.parts.flat();
      const chunks = framesOf(all);
      for (const frame of chunks) f.nsp.to(f.ids).emit('deltas', frame);
      this.metrics.events.inc({ kind: 'delta' }, all.length * f.ids.length);
      this.metrics.events.inc({ kind: 'frame' }, chunks.length * f.ids.length);
    }
    const due = this.positionsDue;
    this.positionsDue = new Set();
    for (const c of due) {
      const samples = c.outPositions;
      c.outPositions = [];
      if (!samples.length || !this.clients.has(c.socket.id)) continue;
      // a sample is worthless a moment later: dropped for a client whose queue is backing up
      if (queued(c.socket) >= POSITION_QUEUE_LIMIT) {
        this.metrics.dropped.inc({ kind: 'position', reason: 'not_writable' }, samples.length);
        continue;
      }
      c.socket.emit('positions', samples);
      this.metrics.events.inc({ kind: 'position' }, samples.length);
    }
  }

  /** Each handle is cleared by its own kind: clearImmediate on a Timeout corrupts Node's timer bookkeeping. */
  private cancelFlush(): void {
    if (this.flushHandle === null) return;
    if (this.flushHandle.kind === 'immediate') clearImmediate(this.flushHandle.handle);
    else clearTimeout(this.flushHandle.handle);
    this.flushHandle = null;
  }

  /** Flushes when the event loop is next free, but at most once per LIVE_BATCH_MS. */
  private scheduleFlush(): void {
    if (this.flushHandle !== null) return;
    const wait = this.lastFlush + this.config.live.batchMs - Date.now();
    this.flushHandle =
      wait <= 0 ? { kind: 'immediate', handle: setImmediate(() => this.flush()) } : { kind: 'timeout', handle: setTimeout(() => this.flush(), wait) };
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

  /**
   * A `robot` delta (which carries the position) just went to every member of `rooms`: their
   * pending samples for the robot are dropped and its position interval restarts.
   */
  positionCarried(rooms: Iterable<LiveRoom>, robotId: string): void {
    for (const room of rooms) {
      for (const c of this.members.get(room) ?? []) {
        c.positions.supersede(robotId);
        dropReleasedSample(c, robotId);
      }
    }
  }

  /** A robot left these clients' view: a pending position sample for it must not follow. */
  forgetRobot(room: LiveRoom, robotId: string): void {
    for (const c of this.members.get(room) ?? []) {
      c.positions.forget(robotId);
      dropReleasedSample(c, robotId);
    }
  }

  sendError(socket: Socket, error: LiveError): void {
    this.metrics.events.inc({ kind: 'error' });
    socket.emit('error', error);
  }

  /**
   * The room's pending deltas this member gets now (those after what its snapshot or replay
   * already covered), or null; a lagging one catches up when it drains.
   */
  private admit(c: LiveClient, room: LiveRoom, deltas: LiveDelta[]): LiveDelta[] | null {
    const m = c.rooms.get(room);
    const last = deltas[deltas.length - 1]!.seq;
    if (!m || last <= m.lastSeq) return null;
    if (!m.lagging && queued(c.socket) >= this.config.live.clientMaxBuffer) m.lagging = true;
    if (m.lagging) {
      this.metrics.dropped.inc({ kind: 'delta', reason: 'lagging' }, deltas.length);
      return null;
    }
    const part = deltas[0]!.seq > m.lastSeq ? deltas : deltas.filter((d) => d.seq > m.lastSeq);
    m.lastSeq = last;
    return part;
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
    if (missed && fromSeq !== null && Math.ceil(missed.length / LIVE_FRAME_MAX_DELTAS) <= this.config.live.clientMaxBuffer) {
      c.socket.emit('resumed', { room, epoch: this.epoch, fromSeq, seq: log.seq });
      for (const frame of framesOf(missed)) c.socket.emit('deltas', frame);
      m.lastSeq = log.seq;
      this.metrics.catchUps.inc({ mode: 'replay' });
      this.metrics.events.inc({ kind: 'delta' }, missed.length);
      return 'resumed';
    }
    const snapshot = this.snapshots.snapshot(room, log.seq, this.epoch);
    c.socket.emit('snapshot', snapshot);
    m.lastSeq = snapshot.seq;
    this.metrics.catchUps.inc({ mode: 'snapshot' });
    this.metrics.events.inc({ kind: 'snapshot' });
    return 'snapshot';
  }
}

/** A client with this many frames queued gets no position samples until it drains. */
const POSITION_QUEUE_LIMIT = 16;

/** Packets waiting in the client's engine.io write buffer (its transport has not taken them yet). */
function queued(socket: Socket): number {
  return (socket.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer?.length ?? 0;
}

/** Deltas cut into frames of at most LIVE_FRAME_MAX_DELTAS (the list itself when it fits). */
function framesOf(deltas: LiveDelta[]): LiveDelta[][] {
  if (deltas.length <= LIVE_FRAME_MAX_DELTAS) return [deltas];
  const out: LiveDelta[][] = [];
  for (let i = 0; i < deltas.length; i += LIVE_FRAME_MAX_DELTAS) out.push(deltas.slice(i, i + LIVE_FRAME_MAX_DELTAS));
  return out;
}

/** A sample the coalescer already released but the flush has not sent yet. */
function dropReleasedSample(c: LiveClient, robotId: string): void {
  if (c.outPositions.length) c.outPositions = c.outPositions.filter((p) => p.robotId !== robotId);
}
