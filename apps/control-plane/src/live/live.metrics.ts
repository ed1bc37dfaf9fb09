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
  }
}
