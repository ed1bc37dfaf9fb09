/**
 * VDA 5050 orders on their way to the robots. Orders travel at QoS 0, so an order counts as
 * accepted only when the robot's state echoes its orderId/orderUpdateId; until then it is
 * resent with the same ids, and after the last attempt it is handed back for the mission to
 * fail. Also releases the horizon: once the robot reached the end of its released base, the
 * order update that releases the rest, stitched at that node; sends the instant actions that
 * act on an order (cancelOrder, startPause/stopPause); and after a restart resumes the active
 * missions' orders from the database, to be resent with the same ids.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { State } from '#contracts';
import { ACTIVE_MISSION_STATUSES, type BuiltOrder, buildOrderUpdate, lastBaseIndex, OrderTracker } from '#domain';
import { DevicesRepository, MissionsRepository } from '#persistence';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { type ActiveMission, ActiveMissions } from './active-missions.js';
import { MissionLifecycle } from './mission-lifecycle.js';
import { type OrderBody, type RobotAddress, RobotCommandsService } from './robot-commands.service.js';
import { RobotStateService } from './robot-state.service.js';

@Injectable()
export class OrderChannel {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly commands: RobotCommandsService,
    private readonly lifecycle: MissionLifecycle,
    private readonly active: ActiveMissions,
    private readonly missions: MissionsRepository,
    private readonly devices: DevicesRepository,
    private readonly robots: RobotStateService,
  ) {}

  /** After a restart: active missions resume; their orders are resent with the same ids. */
  async recover(): Promise<void> {
    for (const m of await this.missions.findByStatus(ACTIVE_MISSION_STATUSES)) {
      if (!m.robotId || !m.orderBody) continue;
      const robot = await this.robotAddress(m.robotId);
      if (!robot) continue;
      const built = m.orderBody as unknown as BuiltOrder;
      const a: ActiveMission = { mission: m, robot, built, tracker: this.newTracker(), pauses: new Set(), offlineSince: null };
      // until the robot echoes it again, the order counts as unacknowledged and is resent
      a.tracker.onSent(built.order.orderId, built.order.orderUpdateId, 0);
      this.active.add(a);
      this.logger.info({ missionId: m.id, robotId: m.robotId }, 'resumed active mission after restart');
    }
  }

  newTracker(): OrderTracker {
    return new OrderTracker({ ackTimeoutMs: this.config.fleet.orderAckTimeoutMs, maxAttempts: this.config.fleet.orderMaxAttempts });
  }

  /** Sends the mission's order (first time: the mission moves assigned → sent) or resends it, same ids. */
  async send(a: ActiveMission, event: 'sent' | 'resent'): Promise<void> {
    const order = a.built.order as OrderBody;
    await this.commands.sendOrder(a.robot, order);
    a.tracker.onSent(order.orderId, order.orderUpdateId, Date.now());
    if (event === 'sent') {
      if (a.mission.status === 'assigned')
        await this.lifecycle.transition(a.mission, 'sent', 'sent', { orderId: order.orderId, orderUpdateId: order.orderUpdateId });
    } else {
      await this.lifecycle.note(a.mission, 'order_resent', { attempt: a.tracker.tracked?.attempts });
    }
  }

  /** The robot's state may echo the order: VDA 5050 has no order acknowledgement, that echo is the receipt. */
  async onState(a: ActiveMission, state: State): Promise<void> {
    if (a.tracker.onState(state, Date.now()) === 'acknowledged') {
      await this.lifecycle.note(a.mission, 'order_acknowledged', { orderId: state.orderId, orderUpdateId: state.orderUpdateId });
    }
  }

  /** Tells the robot to drop its order (VDA 5050 cancelOrder). */
  async cancelOrder(a: ActiveMission): Promise<void> {
    await this.commands.sendInstantActions(a.robot, [{ actionType: 'cancelOrder', actionId: `cancel-${randomUUID()}`, blockingType: 'HARD' }]);
  }

  /** Pauses or resumes the robot on its order (VDA 5050 startPause / stopPause). */
  async pauseOrder(a: ActiveMission, paused: boolean): Promise<void> {
    await this.commands.sendInstantActions(a.robot, [
      { actionType: paused ? 'startPause' : 'stopPause', actionId: `${paused ? 'pause' : 'resume'}-${randomUUID()}`, blockingType: 'HARD' },
    ]);
  }

  acknowledged(a: ActiveMission): boolean {
    return a.tracker.tracked?.status === 'acknowledged';
  }

  /**
   * The robot reached the end of its released base: send the order update that releases the
   * rest of the mission, stitched at that node (same orderId, orderUpdateId + 1).
   */
  async releaseHorizon(a: ActiveMission, state: State): Promise<void> {
    const order = a.built.order;
    if (order.nodes.every((n) => n.released) || a.pauses.size > 0) return;
    const baseEnd = order.nodes[lastBaseIndex(order)]!;
    if (state.orderId !== order.orderId || state.orderUpdateId !== order.orderUpdateId || state.lastNodeSequenceId < baseEnd.sequenceId) return;
    const lastStop = a.built.stops[a.built.stops.length - 1]!;
    a.built = buildOrderUpdate(a.built, { releaseThroughStop: lastStop.stopIndex });
    await this.lifecycle.note(
      a.mission,
      'order_updated',
      { orderUpdateId: a.built.order.orderUpdateId, stitchedAt: baseEnd.nodeId },
      { orderUpdateId: a.built.order.orderUpdateId, orderBody: a.built as unknown as Record<string, unknown> },
    );
    const sent = a.built.order as OrderBody;
    await this.commands.sendOrder(a.robot, sent);
    a.tracker.onSent(sent.orderId, sent.orderUpdateId, Date.now());
  }

  /**
   * QoS 0 orders can be lost: resends the unacknowledged ones that are due, with the same ids
   * (not to a robot that is offline), and returns those out of attempts (or refused), whose
   * missions must fail.
   */
  async followUp(now: number): Promise<ActiveMission[]> {
    const givenUp: ActiveMission[] = [];
    for (const a of this.active.all()) {
      if (a.pauses.has('offline')) continue;
      const due = a.tracker.due(now);
      if (due === 'resend') await this.send(a, 'resent');
      else if (due === 'give_up') givenUp.push(a);
    }
    return givenUp;
  }

  private async robotAddress(deviceId: string): Promise<RobotAddress | null> {
    const live = this.robots.get(deviceId);
    if (live) return { deviceId, interfaceName: live.interfaceName, manufacturer: live.manufacturer, serialNumber: live.serialNumber };
    const d = await this.devices.findById(deviceId);
    if (!d || d.kind !== 'robot') return null;
    return { deviceId, interfaceName: d.interfaceName!, manufacturer: d.manufacturer!, serialNumber: d.serialNumber! };
  }
}
