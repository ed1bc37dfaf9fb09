/**
 * Access is continuous: what a live socket may watch follows its user and its sign-in session
 * as the store holds them now, not as they were at the handshake. Owns the re-checks:
 *  - `auth.sessions_revoked` (logout, a password change, disabling, "sign out everywhere", a
 *    reused refresh token): the sockets of the ended sessions get `error` and are closed at once,
 *    from the event alone (no read);
 *  - `user.access_changed` (disabled, role or wards changed): the user is read again and every
 *    room of each of their sockets re-judged by the rule of the subscribe (assertMayJoin); a
 *    room no longer allowed is left (`error` access_revoked, then `unsubscribed`), a disabled
 *    account's sockets are closed;
 *  - a timer per socket at its session's end (absolute, or idle without a refresh), which reads
 *    the session again before closing: the browser's refreshes push the idle end forward;
 *  - a sweep every LIVE_ACCESS_SWEEP_MS, one pass over the connected users (the user and the
 *    user's live sessions: two reads per user, however many sockets), for what no event told
 *    this process about (a change committed by another node, an event lost to a crash).
 * A socket closed here leaves the hub before the `error` is sent, so no delta follows it.
 *
 * Reads race changes: a subscribe or a handshake that read the user before a change committed
 * could join after that change's re-check ran. Every access or session event bumps `epoch`; a
 * reader that saw it move re-checks the socket once more after it joined.
 */
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import { DomainError } from '#domain';
import { UsersRepository, type UserEntity } from '#persistence';
import { AuthSessions } from '../auth/sessions.service.js';
import type { AuthUser } from '../common/auth.decorators.js';
import { EventBus, type DomainEventMap } from '../common/events.js';
import { KeyedQueue } from '../common/keyed-queue.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { assertMayJoin, closureOf, CLOSURE_MESSAGES, sessionOutcome, type LiveClosure } from './live-access.js';
import { LiveHub, type LiveClient } from './live-hub.service.js';
import { LiveReadModel } from './live-read-model.service.js';
import { LiveMetrics } from './live.metrics.js';

/** how often every connected user and session is read again, whatever the events said */
export const LIVE_ACCESS_SWEEP_MS = 30_000;
/** users re-checked at once by a sweep: the store keeps serving requests meanwhile */
const SWEEP_CONCURRENCY = 4;
/** a session's end timer that could not read the store tries again this much later */
const DEADLINE_RETRY_MS = 5_000;
/** setTimeout's longest delay (~24.8 days); a later end is re-armed when this one fires */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type LiveCheckVia = 'event' | 'timer' | 'subscribe' | 'recheck' | 'sweep';

@Injectable()
export class LiveAccessWatch implements OnModuleInit, OnModuleDestroy {
  private changes = 0;
  private readonly perUser = new KeyedQueue();
  /** per socket id: the timer at its session's end */
  private readonly deadlines = new Map<string, NodeJS.Timeout>();
  private readonly subs: Subscription[] = [];
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | null = null;

  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly bus: EventBus,
    private readonly hub: LiveHub,
    private readonly model: LiveReadModel,
    private readonly users: UsersRepository,
    private readonly sessions: AuthSessions,
    private readonly metrics: LiveMetrics,
  ) {}

  onModuleInit(): void {
    this.subs.push(
      this.bus.on('auth.sessions_revoked').subscribe((e) => {
        this.changes++;
        this.onSessionsRevoked(e);
      }),
      this.bus.on('user.access_changed').subscribe(({ userId }) => {
        this.changes++;
        this.queueRecheck(userId, 'event', false);
      }),
    );
    this.sweepTimer = setInterval(() => void this.sweep(), LIVE_ACCESS_SWEEP_MS);
    this.sweepTimer.unref();
  }

  onModuleDestroy(): void {
    for (const s of this.subs) s.unsubscribe();
    clearInterval(this.sweepTimer);
    for (const t of this.deadlines.values()) clearTimeout(t);
    this.deadlines.clear();
  }

  /** Moves with every access or session event: a reader that saw it move must re-check. */
  get epoch(): number {
    return this.changes;
  }

  /**
   * A socket just connected: its session's end is watched. `seen` is the epoch before its
   * handshake read the user and the session; a change since may have missed it.
   */
  track(c: LiveClient, seen: number): void {
    const now = Date.now();
    // the handshake proved the session live and its last refresh is in the past, so its idle
    // end is at most this far off: the first re-read (this timer, a subscribe or the sweep)
    // learns the exact one
    this.arm(c, Math.min(this.knownEnd(c), now + this.config.sessions.idleSeconds * 1000));
    if (this.changes !== seen) this.queueRecheck(c.user.id, 'recheck', true);
  }

  untrack(socketId: string): void {
    clearTimeout(this.deadlines.get(socketId));
    this.deadlines.delete(socketId);
  }

  /** A subscribe or a handshake read the store while the epoch moved: the user's sockets are judged again. */
  recheck(c: LiveClient): void {
    this.queueRecheck(c.user.id, 'recheck', true);
  }

  /**
   * The user and the session of a socket as stored now, for a subscribe (the handshake's access
   * token may have expired meanwhile: it is not what counts). The socket's rooms are re-judged
   * on the way; null when the socket was closed (account disabled, session ended).
   */
  async current(c: LiveClient): Promise<AuthUser | null> {
    const [user, session] = await Promise.all([this.users.findById(c.user.id), this.liveSession(c)]);
    if (this.hub.client(c.socket.id) !== c) return null;
    if (!user || user.disabled) return this.close(c, 'account_disabled', 'subscribe');
    const outcome = sessionOutcome(session, this.knownEnd(c), Date.now(), this.config.sessions.idleSeconds * 1000);
    if (!outcome.live) return this.close(c, outcome.closure, 'subscribe');
    this.arm(c, outcome.endsAt);
    this.apply(c, user, 'subscribe');
    return c.user;
  }

  /**
   * Every connected user and session read again (at most SWEEP_CONCURRENCY users at once; a
   * sweep still running when the next is due is not doubled). Public for the e2e spec, which
   * changes a user behind the bus's back as another node would.
   */
  sweep(): Promise<void> {
    this.sweeping ??= (async () => {
      const pending = this.hub.userIds();
      const worker = async () => {
        for (let id = pending.pop(); id !== undefined; id = pending.pop())
          await this.perUser.run(id, () => this.recheckUser(id, 'sweep', true)).catch((err: unknown) => this.failed(err, id, 'sweep'));
      };
      await Promise.all(Array.from({ length: SWEEP_CONCURRENCY }, worker));
    })().finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  private onSessionsRevoked({ userId, sessionIds, reason }: DomainEventMap['auth.sessions_revoked']): void {
    const closure = closureOf(reason);
    for (const c of this.hub.clientsOf(userId))
      if (sessionIds === null || (c.user.sessionId !== undefined && sessionIds.includes(c.user.sessionId))) this.close(c, closure, 'event', reason);
  }

  private queueRecheck(userId: string, via: LiveCheckVia, withSessions: boolean): void {
    void this.perUser.run(userId, () => this.recheckUser(userId, via, withSessions)).catch((err: unknown) => this.failed(err, userId, via));
  }

  private failed(err: unknown, userId: string, via: LiveCheckVia): void {
    this.metrics.checkFailures.inc({ via });
    this.logger.error({ err, userId, via }, 'live access re-check failed');
  }

  /** One user's sockets judged again: two reads (the user, and their live sessions when asked), whatever the number of sockets. */
  private async recheckUser(userId: string, via: LiveCheckVia, withSessions: boolean): Promise<void> {
    if (this.hub.clientsOf(userId).length === 0) return;
    let user: UserEntity | null;
    let live: { id: string; expiresAt: string; refreshedAt: string }[] | null = null;
    try {
      [user, live] = await Promise.all([this.users.findById(userId), withSessions ? this.sessions.unrevokedOf(userId) : Promise.resolve(null)]);
    } catch (err) {
      // left as they were: the sweep (or the next event) judges them again
      this.failed(err, userId, via);
      return;
    }
    const now = Date.now();
    const idleMs = this.config.sessions.idleSeconds * 1000;
    // the sockets as they are after the reads: some may have closed or connected meanwhile
    for (const c of this.hub.clientsOf(userId)) {
      if (!user || user.disabled) {
        this.close(c, 'account_disabled', via);
        continue;
      }
      if (live) {
        const outcome = sessionOutcome(live.find((s) => s.id === c.user.sessionId) ?? null, this.knownEnd(c), now, idleMs);
        if (!outcome.live) {
          this.close(c, outcome.closure, via);
          continue;
        }
        this.arm(c, outcome.endsAt);
      }
      this.apply(c, user, via);
    }
  }

  /** The socket keeps the user as stored now; each room it watches is judged by the subscribe's rule again. */
  private apply(c: LiveClient, user: UserEntity, via: LiveCheckVia): void {
    c.user = { ...c.user, username: user.username, role: user.role, wards: user.wards };
    for (const room of [...c.rooms.keys()]) {
      try {
        assertMayJoin(c.user, room, this.model.wards);
      } catch (err) {
        const why = err instanceof DomainError ? err : null;
        this.hub.revoke(c, room);
        this.metrics.roomsRevoked.inc({ reason: why?.code ?? 'forbidden', via });
        this.hub.sendError(c.socket, { code: 'access_revoked', message: `no longer allowed to watch '${room}': ${why?.message ?? 'forbidden'}`, room });
        c.socket.emit('unsubscribed', { room });
      }
    }
  }

  /** Closes the socket: out of the hub first (no delta follows), then `error`, then the disconnect. Returns null for the callers' convenience. */
  private close(c: LiveClient, closure: LiveClosure, via: LiveCheckVia, reason?: string): null {
    if (this.hub.client(c.socket.id) !== c) return null;
    this.untrack(c.socket.id);
    this.hub.removeClient(c.socket.id);
    this.metrics.closed.inc({ reason: closure, via });
    // an event says why the session ended: the message passes it on
    const message =
      reason && closure === 'session_revoked' ? `the session has ended (${reason.replaceAll('_', ' ')}): sign in again` : CLOSURE_MESSAGES[closure];
    this.hub.sendError(c.socket, { code: closure, message });
    c.socket.disconnect(true);
    return null;
  }

  /** The timer at the session's end; when it fires the session is read again (a refresh may have moved its idle end). */
  private arm(c: LiveClient, at: number): void {
    this.untrack(c.socket.id);
    const t = setTimeout(() => void this.atDeadline(c), Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())));
    t.unref();
    this.deadlines.set(c.socket.id, t);
  }

  private async atDeadline(c: LiveClient): Promise<void> {
    this.deadlines.delete(c.socket.id);
    if (this.hub.client(c.socket.id) !== c) return;
    // the absolute end is final: no read can extend it
    if (this.knownEnd(c) <= Date.now()) {
      this.close(c, 'session_expired', 'timer');
      return;
    }
    let session: Awaited<ReturnType<LiveAccessWatch['liveSession']>>;
    try {
      session = await this.liveSession(c);
    } catch (err) {
      this.failed(err, c.user.id, 'timer');
      if (this.hub.client(c.socket.id) === c) this.arm(c, Date.now() + DEADLINE_RETRY_MS);
      return;
    }
    if (this.hub.client(c.socket.id) !== c) return;
    const outcome = sessionOutcome(session, this.knownEnd(c), Date.now(), this.config.sessions.idleSeconds * 1000);
    if (outcome.live) this.arm(c, outcome.endsAt);
    else this.close(c, outcome.closure, 'timer');
  }

  /** The socket's session unless it was revoked or its credentials changed (its times are judged by sessionOutcome); a failed read throws. */
  private async liveSession(c: LiveClient): Promise<{ expiresAt: Date; refreshedAt: Date } | null> {
    if (!c.user.sessionId) return null;
    return this.sessions.unrevoked(c.user.sessionId, c.user.id);
  }

  /** The session's absolute end as last read (ms). */
  private knownEnd(c: LiveClient): number {
    return c.user.sessionExpiresAt ? Date.parse(c.user.sessionExpiresAt) : 0;
  }
}
