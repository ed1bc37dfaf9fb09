/**
 * One device's MQTT session in the v1 protocol, shared by the sensor and cabinet simulators:
 * credentials (username = device id), the retained `status` with an `offline` last will, the
 * v1 header with a per-device uint32 sequence number, command parsing and acks. It knows
 * nothing about what the device does; the simulator passes commands to `onCommand`.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import {
  DEVICE_CHANNEL_RULES,
  deviceTopic,
  parseDeviceMessage,
  SequenceTracker,
  UINT32_MAX,
  type AckResult,
  type DeviceChannel,
  type DeviceMessage,
  type ProtocolDeviceKind,
} from '#contracts';

export const SIMULATOR_FIRMWARE = 'medloop-sim-1.0.0';

export interface DeviceLinkOptions<K extends ProtocolDeviceKind> {
  kind: K;
  deviceId: string;
  brokerUrl: string;
  password?: string;
  reconnectPeriodMs: number;
  /** Device clock in epoch ms (simulated time when the simulation runs faster than real time). */
  clock: () => number;
  onCommand: (command: DeviceMessage<K, 'command'>) => { result: AckResult; detail?: string } | undefined;
  log?: (line: string) => void;
}

export interface LinkStats {
  published: number;
  commands: number;
  acks: number;
  invalidCommands: number;
  connects: number;
}

type Body = Record<string, unknown>;

export class DeviceLink<K extends ProtocolDeviceKind> {
  readonly stats: LinkStats = { published: 0, commands: 0, acks: 0, invalidCommands: 0, connects: 0 };
  private client: MqttClient | undefined;
  private online = false;
  private seq = 0;
  /** The server's seq on commands: a redelivered command must not unlock a pocket twice. */
  private readonly commandSeq = new SequenceTracker();
  private readonly answered = new Map<string, { result: AckResult; detail?: string }>();

  constructor(private readonly options: DeviceLinkOptions<K>) {}

  get deviceId(): string {
    return this.options.deviceId;
  }

  get connected(): boolean {
    return this.online;
  }

  get nextSeq(): number {
    return this.seq;
  }

  /** A device reboot: the sequence starts again at 0 (the server detects it by the newer ts). */
  resetSequence(): void {
    this.seq = 0;
  }

  topic(channel: DeviceChannel): string {
    return deviceTopic(this.options.kind, this.options.deviceId, channel);
  }

  async start(): Promise<void> {
    const { deviceId, brokerUrl, password, reconnectPeriodMs } = this.options;
    const will = this.message({ state: 'offline', reason: 'connection_lost' });
    const opts: IClientOptions = {
      clientId: `sim-${deviceId}`,
      username: deviceId,
      clean: true,
      reconnectPeriod: reconnectPeriodMs,
      connectTimeout: 10_000,
      // Telemetry queued while offline would be stale; events are QoS 1 and do queue.
      queueQoSZero: false,
      will: { topic: this.topic('status'), payload: Buffer.from(JSON.stringify(will)), qos: 1, retain: true },
    };
    if (password !== undefined) opts.password = password;
    const client = connect(brokerUrl, opts);
    this.client = client;
    client.on('connect', () => this.onConnect(client));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('error', (err) => this.log(`mqtt: ${err.message}`));
    client.on('close', () => {
      if (this.client === client) this.online = false;
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        client.removeListener('connect', onConnect);
        void client.endAsync(true);
        reject(err);
      };
      const onConnect = () => {
        client.removeListener('error', onError);
        resolve();
      };
      client.once('connect', onConnect);
      client.once('error', onError);
    });
  }

  /** Clean shutdown: retained `offline`/`shutdown`, then DISCONNECT (so the will is not sent). */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (this.online) {
      await client
        .publishAsync(this.topic('status'), JSON.stringify(this.message({ state: 'offline', reason: 'shutdown' })), { qos: 1, retain: true })
        .catch(() => undefined);
    }
    this.online = false;
    await client.endAsync();
  }

  /** Drop the TCP connection without DISCONNECT: the broker publishes the last will. */
  async drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.online = false;
    if (client) {
      client.stream.destroy();
      await client.endAsync(true);
    }
  }

  /** Publish on a device channel with its QoS/retain rule; the header is added here. */
  publish(channel: Exclude<DeviceChannel, 'command'>, body: Body): boolean {
    if (!this.online || !this.client) return false;
    const rule = DEVICE_CHANNEL_RULES[channel];
    this.stats.published++;
    this.client.publish(this.topic(channel), JSON.stringify(this.message(body)), { qos: rule.qos, retain: rule.retain });
    return true;
  }

  private message(body: Body): Body {
    const seq = this.seq;
    this.seq = seq === UINT32_MAX ? 0 : seq + 1;
    return { v: 1, deviceId: this.options.deviceId, seq, ts: new Date(this.options.clock()).toISOString(), ...body };
  }

  private onConnect(client: MqttClient): void {
    this.stats.connects++;
    client.subscribe(this.topic('command'), { qos: 1 }, (err) => {
      if (err || this.client !== client) return;
      this.online = true;
      this.publish('status', { state: 'online', firmware: SIMULATOR_FIRMWARE });
    });
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic !== this.topic('command')) return;
    const parsed = parseDeviceMessage(this.options.kind, 'command', payload, { deviceId: this.options.deviceId });
    if (!parsed.ok) {
      this.stats.invalidCommands++;
      const commandId = peekCommandId(payload);
      const detail = `invalid command: ${parsed.errors.map((e) => `${e.path || '(message)'}: ${e.message}`).join('; ')}`.slice(0, 500);
      this.log(detail);
      if (commandId) this.ack(commandId, { result: 'refused', detail });
      return;
    }
    const command = parsed.message;
    const previous = this.answered.get(command.commandId);
    // A redelivery (same seq, or a command id already answered) gets the same ack, not a second action.
    if (this.commandSeq.observe(command).kind === 'duplicate' || previous) {
      if (previous) this.ack(command.commandId, previous);
      return;
    }
    this.stats.commands++;
    let answer: { result: AckResult; detail?: string } | undefined;
    if (command.expiresAt !== undefined && Date.parse(command.expiresAt) < this.options.clock()) {
      answer = { result: 'refused', detail: `command expired at ${command.expiresAt}` };
    } else {
      answer = this.options.onCommand(command);
    }
    if (!answer) return; // fault injection: the device swallows the command
    this.answered.set(command.commandId, answer);
    if (this.answered.size > 500) this.answered.delete(this.answered.keys().next().value!);
    this.ack(command.commandId, answer);
  }

  private ack(commandId: string, answer: { result: AckResult; detail?: string }): void {
    if (this.publish('ack', { commandId, result: answer.result, ...(answer.detail !== undefined ? { detail: answer.detail } : {}) })) this.stats.acks++;
  }

  private log(text: string): void {
    this.options.log?.(`${this.options.deviceId} ${text}`);
  }
}

function peekCommandId(payload: Buffer): string | undefined {
  try {
    const value = (JSON.parse(payload.toString('utf8')) as Record<string, unknown>)['commandId'];
    return typeof value === 'string' && value.length > 0 && value.length <= 64 ? value : undefined;
  } catch {
    return undefined;
  }
}
