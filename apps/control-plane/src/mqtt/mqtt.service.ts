/**
 * Owns the embedded broker's lifecycle inside the Nest app: it listens during bootstrap
 * (after the database is up), and on shutdown stops accepting, disconnects clients and
 * closes before the database goes away. It feeds presence, metrics and logs from broker
 * events, drops a device's sessions the moment it is revoked, and gives the broker each
 * device's rejection budget (its throttling is reported by DeviceThrottleReporter).
 */
import { Inject, Injectable, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import { type AuthResult, type BrokerObserver, type BrokerSession, EmbeddedBroker, type ListenerSpec } from '#broker';
import { DomainError } from '#domain';
import { LoginAttempts } from '../auth/login-attempts.service.js';
import { EventBus } from '../common/events.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { DevicePresenceService } from '../devices/device-presence.service.js';
import { DevicesService } from '../devices/devices.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { DeviceThrottleReporter } from './device-throttle.reporter.js';
import { IngressRouter } from './ingress.router.js';

@Injectable()
export class MqttService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly broker: EmbeddedBroker;
  private sub: Subscription | undefined;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly devices: DevicesService,
    private readonly presence: DevicePresenceService,
    private readonly metrics: MetricsService,
    private readonly bus: EventBus,
    private readonly router: IngressRouter,
    private readonly attempts: LoginAttempts,
    private readonly throttle: DeviceThrottleReporter,
  ) {
    const m = config.mqtt;
    const listeners: ListenerSpec[] = [{ kind: 'tcp', host: m.host, port: m.port, variable: 'MQTT_PORT' }];
    if (m.wsPort !== null) listeners.push({ kind: 'ws', host: m.host, port: m.wsPort, variable: 'MQTT_WS_PORT' });
    if (m.tls) listeners.push({ kind: 'tls', host: m.host, port: m.tls.port, variable: 'MQTT_TLS_PORT', tls: m.tls });
    this.broker = new EmbeddedBroker({
      listeners,
      maxPacketBytes: m.maxPacketBytes,
      rejectionBudget: m.rejectionBudget,
      trustedProxies: config.trustedProxies,
      hooks: {
        authenticate: (username, password, info) => this.authenticate(username, password, info.remoteAddress),
        ingest: (msg) => {
          if (msg.session.deviceId) this.presence.seen(msg.session.deviceId);
          try {
            return this.router.ingest(msg);
          } catch (err) {
            if (err instanceof DomainError)
              return { ok: false, reason: err.code, errors: [{ path: String(err.details?.['field'] ?? ''), message: err.message }] };
            throw err;
          }
        },
      },
      observer: this.observer(),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.sub = this.bus.on('device.sessions_invalidated').subscribe(({ deviceId, reason, generation }) => {
      const n = this.broker.disconnectDevice(deviceId, generation);
      if (n > 0) this.logger.info({ deviceId, reason, generation, sessions: n }, 'dropped device sessions');
    });
    await this.broker.start();
    this.logger.info({ ports: this.broker.ports }, 'embedded MQTT broker listening');
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.sub?.unsubscribe();
    await this.broker.stop();
  }

  /**
   * A device's CONNECT credentials, rate-limited per source address (its own key space, apart
   * from HTTP sign-in) and never locked by device id: a 256-bit secret cannot be guessed, and a
   * lock on a listed id would let anyone keep the device off the network.
   */
  private async authenticate(username: string, password: Buffer, address: string | undefined): Promise<AuthResult> {
    const r = await this.attempts.attempt(
      'mqtt',
      username,
      address,
      () => this.devices.authenticate(username, password),
      (x) => x.ok || x.reason !== 'bad_credentials',
    );
    return 'locked' in r ? { ok: false, reason: 'locked' } : r.result;
  }

  private observer(): BrokerObserver {
    const kindOf = (s: BrokerSession) => (s.principal.type === 'robot' ? 'robot' : s.principal.type === 'device' ? s.principal.kind : s.principal.type);
    return {
      connected: (s) => {
        this.metrics.mqttConnects.inc();
        this.metrics.mqttConnections.inc();
        if (s.deviceId) this.bus.emit('device.online', { deviceId: s.deviceId, kind: kindOf(s), clientId: s.clientId, at: new Date().toISOString() });
      },
      disconnected: (s, graceful, remaining) => {
        this.metrics.mqttConnections.dec();
        if (s.deviceId) this.bus.emit('device.offline', { deviceId: s.deviceId, kind: kindOf(s), graceful, sessions: remaining, at: new Date().toISOString() });
      },
      authFailed: (reason, username) => {
        this.metrics.mqttAuthFailures.inc({ reason });
        this.logger.warn({ reason, username }, 'MQTT connect refused');
      },
      denied: (s, action, topic, reason) => {
        this.metrics.mqttDenied.inc({ action });
        this.metrics.rejectedInput('mqtt', action, 'acl_denied');
        this.logger.warn({ deviceId: s.deviceId, clientId: s.clientId, action, topic, reason }, 'MQTT access denied');
      },
      messageIn: (family, bytes) => {
        this.metrics.mqttIn.inc({ family });
        this.metrics.mqttInBytes.inc(bytes);
      },
      messageOut: (family) => this.metrics.mqttOut.inc({ family }),
      rejected: (s, family, reason) => {
        this.metrics.rejectedInput('mqtt', family, reason);
        this.logger.debug({ deviceId: s.deviceId, family, reason }, 'MQTT message rejected');
      },
      ...this.throttle.observer(),
      droppedSlowConsumer: (family) => this.metrics.mqttDropped.inc({ family }),
      backpressure: () => this.metrics.mqttBackpressure.inc(),
      clientError: (s, err) => {
        const reason = err.name === 'PacketTooLargeError' ? 'too_large' : 'protocol';
        this.metrics.mqttClientErrors.inc({ reason });
        if (reason === 'too_large') this.metrics.rejectedInput('mqtt', 'any', 'too_large');
        this.logger.debug({ deviceId: s?.deviceId, err: err.message }, 'MQTT client error');
      },
    };
  }
}
