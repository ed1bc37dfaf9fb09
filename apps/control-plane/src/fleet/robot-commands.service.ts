/**
 * Sends VDA 5050 orders and instant actions to robots through the embedded broker, adding
 * the header (headerId per robot and topic, timestamp, the robot's own protocol version,
 * manufacturer, serial number). Publishing is in-process: the server is the one principal
 * allowed onto robots' command topics.
 */
import { Injectable } from '@nestjs/common';
import { type Action, instantActionsBody, type InstantActions, type Order, type State, vdaDialectFor, vdaTimestamp, vdaTopic } from '#contracts';
import { MetricsService } from '../metrics/metrics.service.js';
import { MqttService } from '../mqtt/mqtt.service.js';
import { type ConfirmationOutcome, RobotConfirmations, type SentInstantActions } from './robot-confirmations.js';
import { RobotStateService } from './robot-state.service.js';

export type OrderBody = Omit<Order, 'headerId' | 'timestamp' | 'version' | 'manufacturer' | 'serialNumber'>;

export interface RobotAddress {
  deviceId: string;
  interfaceName: string;
  manufacturer: string;
  serialNumber: string;
}

/** How long an instant action waits for a connected robot's subscription, and how often it looks. */
const SUBSCRIBE_WAIT_MS = 3_000;
const SUBSCRIBE_POLL_MS = 25;

@Injectable()
export class RobotCommandsService {
  private readonly headerIds = new Map<string, number>();

  constructor(
    private readonly mqtt: MqttService,
    private readonly robots: RobotStateService,
    private readonly confirmations: RobotConfirmations,
    private readonly metrics: MetricsService,
  ) {}

  /** Builds the full message (exposed for tests that validate what the server sends). */
  orderMessage(robot: RobotAddress, body: OrderBody): Order {
    return { ...this.header(robot, 'order'), ...body } as Order;
  }

  async sendOrder(robot: RobotAddress, body: OrderBody): Promise<Order> {
    const msg = this.orderMessage(robot, body);
    await this.mqtt.broker.publish(vdaTopic(robot.interfaceName, robot.manufacturer, robot.serialNumber, 'order'), JSON.stringify(msg), { qos: 0 });
    return msg;
  }

  async sendInstantActions(robot: RobotAddress, actions: Action[]): Promise<InstantActions> {
    return (await this.publishInstantActions(robot, actions)).msg;
  }

  /**
   * Sends instant actions and waits for the robot's answer in its state: `confirmed` holds, the
   * robot refuses them (FAILED, an error naming them), or nothing within `timeoutMs`.
   */
  async sendInstantActionsAndAwait(
    robot: RobotAddress,
    actions: Action[],
    opts: { confirmed: (s: State) => boolean; timeoutMs: number },
  ): Promise<ConfirmationOutcome> {
    return this.confirmations.sendAndAwait(robot.deviceId, async () => (await this.publishInstantActions(robot, actions)).sent, {
      ...opts,
      latest: () => this.robots.get(robot.deviceId)?.state ?? null,
    });
  }

  private async publishInstantActions(robot: RobotAddress, actions: Action[]): Promise<{ msg: InstantActions; sent: SentInstantActions }> {
    const topic = vdaTopic(robot.interfaceName, robot.manufacturer, robot.serialNumber, 'instantActions');
    await this.untilSubscribed(robot.deviceId, topic);
    // the header after the wait: its timestamp is the sending time, headerIds go out in order
    const header = this.header(robot, 'instantActions');
    // the robot's declared version picks the dialect (2.0: both array names, 2.1: `actions`)
    const dialect = vdaDialectFor(header.version);
    const msg: InstantActions = { ...header, ...instantActionsBody(dialect, actions) };
    this.metrics.vdaDialectMessages.inc({ topic: 'instantActions', dialect });
    // noted before it goes out, so the robot's answer always finds it
    const sent = this.confirmations.noteSent(robot.deviceId, msg, this.robots.get(robot.deviceId)?.state ?? null);
    await this.mqtt.broker.publish(topic, JSON.stringify(msg), { qos: 0 });
    return { msg, sent };
  }

  /**
   * Instant actions travel at QoS 0 and are not resent: one published while the robot is
   * connected but not yet subscribed (it reported ONLINE, or a state, before its SUBSCRIBE, as
   * after a reconnect) is lost, and the nurse's unlock ends in a 504. So it waits, bounded,
   * for the subscription; past the bound it is sent anyway and the caller's confirmation
   * timeout decides, as for a robot that is simply gone.
   */
  private async untilSubscribed(deviceId: string, topic: string): Promise<void> {
    const broker = this.mqtt.broker;
    if (!broker.isDeviceConnected(deviceId)) return;
    for (let waited = 0; waited < SUBSCRIBE_WAIT_MS && !broker.isDeviceSubscribed(deviceId, topic); waited += SUBSCRIBE_POLL_MS) {
      await new Promise((r) => setTimeout(r, SUBSCRIBE_POLL_MS));
    }
    if (!broker.isDeviceSubscribed(deviceId, topic)) this.metrics.instantActionsUnsubscribed.inc();
  }

  private header(robot: RobotAddress, topic: string) {
    const key = `${robot.deviceId}/${topic}`;
    const headerId = (this.headerIds.get(key) ?? -1) + 1;
    this.headerIds.set(key, headerId >>> 0);
    return { headerId, timestamp: vdaTimestamp(), version: this.versionOf(robot), manufacturer: robot.manufacturer, serialNumber: robot.serialNumber };
  }

  private versionOf(robot: RobotAddress): string {
    return this.robots.get(robot.deviceId)?.version ?? '2.0.0';
  }
}
