/**
 * One simulated VDA 5050 robot on MQTT: connects with its device credentials, keeps its last
 * will at CONNECTIONBROKEN, publishes connection/factsheet/state/visualization, and feeds
 * orders and instant actions (validated against the official schema) into its RobotModel.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import {
  MEDLOOP_ACTION_TYPES,
  validateVda,
  vdaTimestamp,
  vdaTopic,
  VDA_TOPICS,
  type ConnectionState,
  type VdaError,
  type VdaTopicName,
  type VdaValidationIssue,
} from '#contracts';
import { presentBadge, triggerWaits } from './action-progress.js';
import { buildFactsheet } from './factsheet.js';
import { applyInstantActions } from './instant-actions.js';
import { RobotFaults } from './faults.js';
import { RobotModel, type RobotEventKind } from './robot-model.js';
import type { RobotConfig, SimulationSettings } from './config.js';

export interface RobotSimulatorOptions {
  robot: RobotConfig;
  settings: SimulationSettings;
  /** One line per notable event; omit for silence. */
  log?: (line: string) => void;
  /** Injected for deterministic drop decisions in tests. */
  random?: () => number;
}

export interface RobotStats {
  ordersReceived: number;
  ordersAccepted: number;
  ordersRejected: number;
  messagesDropped: number;
  invalidMessages: number;
  statesPublished: number;
  connects: number;
}

/** Longest simulated step fed to the model at once, so high time scales stay accurate. */
const MAX_STEP_S = 0.25;

export class RobotSimulator {
  readonly model: RobotModel;
  readonly faults: RobotFaults;
  readonly stats: RobotStats = {
    ordersReceived: 0,
    ordersAccepted: 0,
    ordersRejected: 0,
    messagesDropped: 0,
    invalidMessages: 0,
    statesPublished: 0,
    connects: 0,
  };
  /** Fraction (0..1) of incoming QoS 0 messages per topic that are "lost". */
  readonly dropRates: Record<'order' | 'instantActions', number> = { order: 0, instantActions: 0 };
  /** Unlock faults (see RobotFaults): answer an unlock as an invalid message, or not at all. */
  readonly unlockFaults = { invalid: false, ignore: false };
  private client: MqttClient | undefined;
  /** Our own flag: mqtt.js sets client.connected only after the 'connect' handlers ran. */
  private online = false;
  private timer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly headerIds: Partial<Record<VdaTopicName, number>> = {};
  private lastTickMs = 0;
  private sinceStateS = 0;
  private sinceVisualizationS = 0;
  private readonly random: () => number;

  constructor(private readonly options: RobotSimulatorOptions) {
    this.random = options.random ?? Math.random;
    this.model = new RobotModel({
      version: options.settings.version,
      initialNode: options.robot.initialNode,
      speed: options.robot.speed,
      battery: options.robot.battery,
      compartments: options.robot.compartments,
      chargerNodeIds: options.settings.chargerNodeIds,
      liftTimeS: options.settings.liftTimeS,
      onEvent: (kind, text) => this.log(kind, text),
    });
    this.faults = new RobotFaults(this);
  }

  get serialNumber(): string {
    return this.options.robot.serialNumber;
  }

  get connected(): boolean {
    return this.online;
  }

  topic(name: VdaTopicName): string {
    const { robot, settings } = this.options;
    return vdaTopic(settings.interfaceName, robot.manufacturer, robot.serialNumber, name);
  }

  /** Connect (resolves on the first CONNACK) and start the simulation clock. */
  async start(): Promise<void> {
    this.lastTickMs = performance.now();
    this.timer ??= setInterval(() => this.tick(), this.options.settings.tickMs);
    await this.connectClient();
  }

  /** Graceful shutdown: OFFLINE (retained), disconnect, stop the clock. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.reconnectTimer);
    this.timer = undefined;
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (this.online) {
      await client.publishAsync(this.topic('connection'), JSON.stringify(this.connectionMessage('OFFLINE')), { qos: 1, retain: true }).catch(() => undefined);
    }
    this.online = false;
    await client.endAsync();
  }

  /**
   * Drop the TCP connection without an MQTT DISCONNECT, as a robot leaving Wi-Fi coverage
   * would: the broker then publishes the last will. Reconnects after `reconnectAfterS`
   * real seconds when given.
   */
  async loseConnection(reconnectAfterS?: number): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.online = false;
    if (client) {
      client.stream.destroy();
      await client.endAsync(true);
    }
    this.log('fault', `connection lost${reconnectAfterS !== undefined ? `, reconnecting in ${reconnectAfterS} s` : ''}`);
    if (reconnectAfterS !== undefined) {
      this.reconnectTimer = setTimeout(
        () => void this.connectClient().catch((err: Error) => this.log('error', `reconnect failed: ${err.message}`)),
        reconnectAfterS * 1000,
      );
    }
  }

  /** A person identifies at the robot's badge reader (completes medloop.waitForRecipient). */
  presentBadge(recipientId: string): number {
    const hits = presentBadge(this.model.active, recipientId);
    this.model.markDirty();
    return hits;
  }

  /** The robot's own confirm button (completes waitForTrigger / waits). */
  pressTrigger(actionId?: string): number {
    const hits = triggerWaits(this.model.active, actionId);
    this.model.markDirty();
    return hits;
  }

  /** Publish state now (also used for stateRequest and order re-echo). */
  publishState(): void {
    this.sinceStateS = 0;
    if (!this.online) return;
    this.stats.statesPublished++;
    this.publish('state', { ...this.header('state'), ...this.model.snapshot() });
  }

  publishFactsheet(): void {
    if (!this.online || !this.options.settings.factsheet) return;
    const { robot, settings } = this.options;
    this.publish('factsheet', buildFactsheet(this.header('factsheet'), robot, settings));
  }

  private async connectClient(): Promise<void> {
    const { robot, settings } = this.options;
    const opts: IClientOptions = {
      clientId: `sim-${robot.serialNumber}`,
      clean: true,
      reconnectPeriod: settings.reconnectPeriodMs,
      connectTimeout: 10_000,
      // A state queued while offline is stale by the time it would be sent.
      queueQoSZero: false,
      will: { topic: this.topic('connection'), payload: Buffer.from(JSON.stringify(this.connectionMessage('CONNECTIONBROKEN'))), qos: 1, retain: true },
    };
    if (robot.username !== undefined) opts.username = robot.username;
    if (robot.password !== undefined) opts.password = robot.password;
    const client = connect(settings.brokerUrl, opts);
    this.client = client;
    client.on('connect', () => this.onConnect(client));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('error', (err) => this.log('error', `mqtt: ${err.message}`));
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

  private onConnect(client: MqttClient): void {
    this.stats.connects++;
    this.log('order', `connected to ${this.options.settings.brokerUrl}`);
    // ONLINE only once subscribed, so a controller reacting to ONLINE cannot lose its first
    // order; the factsheet follows once the broker acknowledged ONLINE.
    client.subscribe([this.topic('order'), this.topic('instantActions')], { qos: 0 }, (err) => {
      if (err || this.client !== client) return;
      this.online = true;
      this.publishState();
      this.publish('connection', this.connectionMessage('ONLINE'), () => {
        this.publishFactsheet();
      });
    });
  }

  private onMessage(topic: string, payload: Buffer): void {
    const name = topic === this.topic('order') ? 'order' : topic === this.topic('instantActions') ? 'instantActions' : undefined;
    if (!name) return;
    if (this.random() < this.dropRates[name]) {
      this.stats.messagesDropped++;
      this.log('fault', `dropped incoming ${name} (simulated QoS 0 loss)`);
      return;
    }
    if (name === 'order') this.stats.ordersReceived++;
    const result = validateVda(name, payload);
    if (!result.ok) return this.rejectInvalid(name, payload, result.errors);
    const { manufacturer, serialNumber } = result.message;
    if (manufacturer !== this.options.robot.manufacturer || serialNumber !== this.options.robot.serialNumber) {
      return this.rejectInvalid(name, payload, [{ path: 'serialNumber', message: `addressed to ${manufacturer}/${serialNumber}, not this robot` }]);
    }
    if (result.message.version !== this.options.settings.version) {
      this.log('order', `note: ${name} declares version ${result.message.version}, robot speaks ${this.options.settings.version}`);
    }
    let factsheetRequested = false;
    if (!('orderId' in result.message) && result.message.actions.some((a) => a.actionType === MEDLOOP_ACTION_TYPES.unlockCompartment)) {
      if (this.unlockFaults.invalid) {
        const at = result.message.actions.findIndex((a) => a.actionType === MEDLOOP_ACTION_TYPES.unlockCompartment);
        return this.rejectInvalid(name, payload, [{ path: `actions[${at}].actionParameters`, message: 'unlockToken is required by this firmware' }]);
      }
      if (this.unlockFaults.ignore) {
        const rest = result.message.actions.filter((a) => a.actionType !== MEDLOOP_ACTION_TYPES.unlockCompartment);
        this.log('fault', `ignored ${result.message.actions.length - rest.length} unlock action(s)`);
        if (rest.length === 0) return;
        result.message.actions = rest;
      }
    }
    if ('orderId' in result.message) {
      const decision = this.model.receiveOrder(result.message);
      if (decision.kind === 'reject') this.stats.ordersRejected++;
      if (decision.kind === 'new' || decision.kind === 'update') this.stats.ordersAccepted++;
    } else {
      factsheetRequested = applyInstantActions(this.model, result.message.actions).factsheetRequested;
    }
    // Every order or instant action is answered with a state, including resends (re-echo).
    this.model.takeDirty();
    this.publishState();
    if (factsheetRequested) this.publishFactsheet();
  }

  private rejectInvalid(name: 'order' | 'instantActions', payload: Buffer, issues: VdaValidationIssue[]): void {
    this.stats.invalidMessages++;
    if (name === 'order') this.stats.ordersRejected++;
    const detail = issues.map((i) => `${i.path || '(message)'}: ${i.message}`).join('; ');
    const error: VdaError = {
      errorType: 'validationError',
      errorLevel: 'WARNING',
      errorDescription: `invalid ${name} rejected: ${detail}`.slice(0, 500),
      errorReferences: [{ referenceKey: 'topic', referenceValue: name }],
    };
    const orderId = peekString(payload, 'orderId');
    if (orderId) error.errorReferences!.push({ referenceKey: 'orderId', referenceValue: orderId });
    // which message it was: a controller can tell this refusal from an older one
    const headerId = peekField(payload, 'headerId');
    if (typeof headerId === 'number') error.errorReferences!.push({ referenceKey: 'headerId', referenceValue: String(headerId) });
    this.model.addError(error);
    this.model.takeDirty();
    this.publishState();
  }

  private tick(): void {
    const now = performance.now();
    let remaining = ((now - this.lastTickMs) / 1000) * this.options.settings.timeScale;
    this.lastTickMs = now;
    const elapsed = remaining;
    while (remaining > 1e-9) {
      const step = Math.min(remaining, MAX_STEP_S);
      this.model.tick(step);
      remaining -= step;
    }
    this.sinceStateS += elapsed;
    if (this.model.takeDirty() || this.sinceStateS >= this.options.settings.stateIntervalS) this.publishState();
    const visEvery = this.options.settings.visualizationIntervalS;
    if (visEvery > 0 && (this.sinceVisualizationS += elapsed) >= visEvery) {
      this.sinceVisualizationS = 0;
      if (this.online) {
        const s = this.model.snapshot();
        this.publish('visualization', { ...this.header('visualization'), agvPosition: s.agvPosition, velocity: s.velocity });
      }
    }
  }

  private header(topic: VdaTopicName) {
    const headerId = (this.headerIds[topic] = (this.headerIds[topic] ?? -1) + 1);
    const { robot, settings } = this.options;
    return { headerId, timestamp: vdaTimestamp(), version: settings.version, manufacturer: robot.manufacturer, serialNumber: robot.serialNumber };
  }

  private connectionMessage(connectionState: ConnectionState) {
    return { ...this.header('connection'), connectionState };
  }

  private publish(topic: VdaTopicName, message: object, onSent?: () => void): void {
    const rule = VDA_TOPICS[topic];
    this.client?.publish(this.topic(topic), JSON.stringify(message), { qos: rule.qos, retain: rule.retain }, (err) => {
      if (!err) onSent?.();
    });
  }

  private log(kind: RobotEventKind | 'error', text: string): void {
    this.options.log?.(`${this.options.robot.serialNumber} ${kind.padEnd(6)} ${text}`);
  }
}

/** Best-effort read of one field from an invalid payload, for error references. */
function peekField(payload: Buffer, key: string): unknown {
  try {
    return (JSON.parse(payload.toString('utf8')) as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function peekString(payload: Buffer, key: string): string | undefined {
  const value = peekField(payload, key);
  return typeof value === 'string' ? value : undefined;
}
