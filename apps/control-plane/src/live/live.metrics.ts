/**
 * Metrics of the live gateway, registered on the app's registry (served at /metrics) beside
 * the core ones. Label values come from fixed sets.
 */
import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service.js';

@Injectable()
export class LiveMetrics {
  readonly connections: Gauge;
  readonly refusedConnections: Counter<'reason'>;
  readonly events: Counter<'kind'>;
  /** deltas held back from a client whose queue is full, and samples dropped or coalesced */
  readonly dropped: Counter<'kind' | 'reason'>;
  readonly catchUps: Counter<'mode'>;
  /**
   * Sockets the server closed because their access ended (`session_revoked`, `session_expired`,
   * `account_disabled`), and rooms taken from a socket that stays (`reason`: the refusal's code,
   * `ward_forbidden` or `room_forbidden`); `via` says what found it: `event` (the change was
   * heard), `timer` (the session's end), `subscribe`, `recheck` (a change raced a handshake or a
   * subscribe) or `sweep` (the periodic re-check: a change no event told this process about).
   */
  readonly closed: Counter<'reason' | 'via'>;
  readonly roomsRevoked: Counter<'reason' | 'via'>;
  /** access re-checks that could not read the store (the socket is left as it was, re-checked later) */
  readonly checkFailures: Counter<'via'>;

  constructor(readonly core: MetricsService) {
    const registers = [core.registry];
    this.connections = new Gauge({ name: 'medloop_ws_connections', help: 'Authenticated live (socket.io) clients connected now', registers });
    this.refusedConnections = new Counter({
      name: 'medloop_ws_refused_connections_total',
      help: 'Live socket handshakes refused, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.events = new Counter({ name: 'medloop_ws_messages_out_total', help: 'Live messages sent to clients, by kind', labelNames: ['kind'], registers });
    this.dropped = new Counter({
      name: 'medloop_ws_dropped_total',
      help: 'Live messages not sent to a client: coalesced or dropped samples, deltas held back from a lagging client',
      labelNames: ['kind', 'reason'],
      registers,
    });
    this.catchUps = new Counter({
      name: 'medloop_ws_catch_ups_total',
      help: 'Clients brought back up to date, by replay from the room buffer or by a fresh snapshot',
      labelNames: ['mode'],
      registers,
    });
    this.closed = new Counter({
      name: 'medloop_ws_closed_total',
      help: 'Live sockets closed by the server because their access ended, by reason and by what found it',
      labelNames: ['reason', 'via'],
      registers,
    });
    this.roomsRevoked = new Counter({
      name: 'medloop_ws_rooms_revoked_total',
      help: 'Rooms taken from a live socket whose user may no longer watch them, by reason and by what found it',
      labelNames: ['reason', 'via'],
      registers,
    });
    this.checkFailures = new Counter({
      name: 'medloop_ws_access_check_failures_total',
      help: 'Live access re-checks that could not read the user or the session (retried later)',
      labelNames: ['via'],
      registers,
    });
  }
}
