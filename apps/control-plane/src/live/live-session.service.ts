/**
 * What a live client may do, one use case per method: authenticate its handshake, subscribe
 * to a room, unsubscribe. Every message is parsed by its schema first; any refusal answers
 * with a socket `error` event (code, message, field) and is counted, never thrown at socket.io.
 * The handshake's token is checked once; after that the socket lives as long as its session and
 * watches what its user may watch now (LiveAccessWatch).
 */
import { Injectable } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { z } from 'zod';
import { LIVE_CLIENT_SCHEMAS, liveHandshakeSchema, type LiveError } from '#contracts';
import { DomainError } from '#domain';
import { AuthService } from '../auth/auth.service.js';
import type { AuthUser } from '../common/auth.decorators.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { assertMayJoin } from './live-access.js';
import { LiveAccessWatch } from './live-access-watch.service.js';
import { LiveHub } from './live-hub.service.js';
import { LiveReadModel } from './live-read-model.service.js';
import { LiveMetrics } from './live.metrics.js';

type ClientEvent = keyof typeof LIVE_CLIENT_SCHEMAS;

export class LiveHandshakeError extends Error {
  constructor(
    message: string,
    readonly data: { code: string; field?: string },
  ) {
    super(message);
  }
}

@Injectable()
export class LiveSessions {
  constructor(
    // the one app-wide instance (AuthModule): it holds the process's signing key
    private readonly auth: AuthService,
    private readonly hub: LiveHub,
    private readonly model: LiveReadModel,
    private readonly metrics: MetricsService,
    private readonly liveMetrics: LiveMetrics,
    private readonly watch: LiveAccessWatch,
  ) {}

  /** The handshake: `auth: { token }` must name an active user, or the connection is refused. */
  async authenticate(socket: Socket): Promise<void> {
    const parsed = liveHandshakeSchema.safeParse(socket.handshake.auth ?? {});
    if (!parsed.success) {
      const { field, message } = firstIssue(parsed.error, 'auth');
      this.metrics.rejectedInput('ws', 'handshake', 'schema');
      this.liveMetrics.refusedConnections.inc({ reason: 'no_token' });
      throw new LiveHandshakeError(message, { code: 'invalid_handshake', field });
    }
    // a change committed while the token is checked may miss this socket: connected() re-checks then
    socket.data['accessEpoch'] = this.watch.epoch;
    try {
      socket.data['user'] = await this.auth.verify(parsed.data.token);
    } catch (err) {
      this.liveMetrics.refusedConnections.inc({ reason: 'invalid_token' });
      const code = err instanceof DomainError ? err.code : 'unauthorized';
      throw new LiveHandshakeError(err instanceof DomainError ? err.message : 'authentication failed', { code });
    }
  }

  connected(socket: Socket): void {
    const user = socket.data['user'] as AuthUser | undefined;
    // a socket is closed when its session ends: one without a session could not be
    if (!user?.sessionId) {
      socket.disconnect(true);
      return;
    }
    this.watch.track(this.hub.addClient(socket, user), socket.data['accessEpoch'] as number);
    // socket.io drops events nobody handles without a word; a client sending one is told why
    socket.onAny((event: string) => {
      if (!(event in LIVE_CLIENT_SCHEMAS))
        this.reject(socket, 'unknown', 'unknown_event', { code: 'unknown_event', message: `unknown event '${event}'`, event });
    });
  }

  disconnected(socket: Socket): void {
    this.watch.untrack(socket.id);
    this.hub.removeClient(socket.id);
  }

  async subscribe(socket: Socket, body: unknown): Promise<void> {
    const msg = this.parse(socket, 'subscribe', body);
    if (!msg) return;
    const client = this.hub.client(socket.id);
    if (!client) return;
    const seen = this.watch.epoch;
    try {
      // the user and the session as stored now, not the handshake's token: it expires after
      // JWT_TTL_SECONDS while the session lives on with the browser's refreshes
      const user = await this.watch.current(client);
      if (!user) return;
      assertMayJoin(user, msg.room, this.model.wards);
      if (this.hub.client(socket.id) !== client || !socket.connected) return;
      this.hub.join(client, msg.room, msg.resume);
    } catch (err) {
      this.refuse(socket, 'subscribe', err, msg.room);
    } finally {
      // a change committed during the read may have been re-checked before this join (and
      // before the socket kept the user it read): judged again now
      if (this.watch.epoch !== seen) this.watch.recheck(client);
    }
  }

  unsubscribe(socket: Socket, body: unknown): void {
    const msg = this.parse(socket, 'unsubscribe', body);
    if (!msg) return;
    const client = this.hub.client(socket.id);
    if (client && this.hub.leave(client, msg.room)) socket.emit('unsubscribed', { room: msg.room });
  }

  private parse<E extends ClientEvent>(socket: Socket, event: E, body: unknown): z.output<(typeof LIVE_CLIENT_SCHEMAS)[E]> | null {
    const parsed = LIVE_CLIENT_SCHEMAS[event].safeParse(body);
    if (parsed.success) return parsed.data as z.output<(typeof LIVE_CLIENT_SCHEMAS)[E]>;
    const { field, message } = firstIssue(parsed.error);
    this.reject(socket, event, 'schema', { code: 'invalid_message', message, event, ...(field ? { field } : {}) });
    return null;
  }

  private refuse(socket: Socket, event: ClientEvent, err: unknown, room: string): void {
    if (err instanceof DomainError) {
      this.hub.sendError(socket, { code: err.code, message: err.message, event, room });
      return;
    }
    this.hub.sendError(socket, { code: 'internal_error', message: 'the server could not complete this request', event, room });
  }

  private reject(socket: Socket, family: string, reason: string, error: LiveError): void {
    this.metrics.rejectedInput('ws', family, reason);
    this.hub.sendError(socket, error);
  }
}

function firstIssue(error: z.ZodError, prefix?: string): { field: string; message: string } {
  const issue = error.issues[0];
  // an unexpected key is named by the key itself, not by the object that holds it
  const extra = issue?.code === 'unrecognized_keys' ? [String(issue.keys[0])] : [];
  const path = [...(prefix ? [prefix] : []), ...(issue?.path ?? []).map(String), ...extra].join('.');
  const field = path || (prefix ?? '');
  const text = issue?.message ?? 'invalid message';
  return { field, message: field ? `${field}: ${text}` : text };
}
