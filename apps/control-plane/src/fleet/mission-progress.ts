/**
 * Robot → mission. A robot's states move its mission along (accepted, running, at a stop,
 * finished, or failed when the order fails); a robot that drops offline, reports a FATAL
 * error or an emergency stop pauses or fails its mission visibly, with an alarm, and the
 * cargo is named for the custody logic. Also where people act on a running mission: cancel
 * (or cancel one still queued) and pause/resume. Every status change goes through the
 * MissionLifecycle; the robot commands through the OrderChannel.
 */
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import type { State } from '#contracts';
import { canTransition, ConflictError, deriveProgress, missionMachine, type MissionStatus } from '#domain';
import type { MissionEntity } from '#persistence';
import { AlarmsService } from '../alarms/alarms.service.js';
import { EventBus } from '../common/events.js';
import { KeyedQueue } from '../common/keyed-queue.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { SiteService } from '../site/site.service.js';
import { type ActiveMission, ActiveMissions } from './active-missions.js';
import { MissionLifecycle } from './mission-lifecycle.js';
import { OrderChannel } from './order-channel.js';
import { RobotStateService } from './robot-state.service.js';

@Injectable()
export class MissionProgress implements OnModuleDestroy {
  private subs: Subscription[] = [];
  private readonly perRobot = new KeyedQueue();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly lifecycle: MissionLifecycle,
    private readonly active: ActiveMissions,
    private readonly orders: OrderChannel,
    private readonly site: SiteService,
    private readonly alarms: AlarmsService,
    private readonly bus: EventBus,
    private readonly robots: RobotStateService,
  ) {}

  /** Resumes the missions active before a restart, then follows the robots (called by the dispatch round at boot). */
  async start(): Promise<void> {
    await this.orders.recover();
    this.subs.push(
      this.bus.on('robot.state').subscribe(
        ({ deviceId, state }) =>
          // one robot's events are handled in order: a state must not overtake the previous
          // one while that is still saving progress or sending an order update
          void this.perRobot
            .run(deviceId, () => this.onRobotState(deviceId, state))
            .catch((err: unknown) => this.logger.error({ err, deviceId }, 'mission progress failed')),
      ),
      this.bus
        .on('robot.connection')
        .subscribe(
          ({ deviceId, connection }) =>
            void this.perRobot
              .run(deviceId, () => this.onRobotConnection(deviceId, connection))
              .catch((err: unknown) => this.logger.error({ err, deviceId }, 'connection handling failed')),
        ),
    );
  }

  onModuleDestroy(): void {
    for (const s of this.subs) s.unsubscribe();
  }

  /** Cancels a mission: a running one through its robot (cancelOrder), a queued one directly. */
  async cancel(missionId: string, by: string): Promise<MissionEntity> {
    const a = this.active.ofMission(missionId);
    if (a) {
      await this.orders.cancelOrder(a);
      await this.finish(a, 'cancelled', 'cancelled', { by });
      return a.mission;
    }
    const m = await this.lifecycle.cancelQueued(missionId, by);
    this.active.clearWaiting(m.id);
    return m;
  }

  async setPaused(missionId: string, paused: boolean, by: string): Promise<MissionEntity> {
    const a = this.active.ofMission(missionId);
    if (!a) throw new ConflictError('the mission is not running', 'mission_not_running');
    await this.orders.pauseOrder(a, paused);
    if (paused) a.pauses.add('user');
    else a.pauses.delete('user');
    await this.updatePaused(a, paused ? 'paused' : 'resumed', { by });
    return a.mission;
  }

  /** The dispatch round's clock: unacknowledged orders are resent or given up, long-offline robots fail their missions. */
  async onClock(now: number): Promise<void> {
    for (const a of await this.orders.followUp(now)) await this.giveUp(a);
    await this.failLongOffline(now);
  }

  private async giveUp(a: ActiveMission): Promise<void> {
    const t = a.tracker.tracked;
    const refused = t?.status === 'rejected';
    await this.alarms.raise({
      type: 'mission.order_unacknowledged',
      subject: a.mission.id,
      sourceKind: 'robot',
      sourceId: a.robot.deviceId,
      ward: this.wardOfMission(a.mission),
      params: {
        robot: a.robot.serialNumber,
        robotId: a.robot.deviceId,
        missionId: a.mission.id,
        orderId: t?.orderId ?? a.built.order.orderId,
        orderUpdateId: t?.orderUpdateId ?? a.built.order.orderUpdateId,
        attempts: t?.attempts ?? null,
        refusal: refused ? (t?.rejection?.errorDescription ?? t?.rejection?.errorType ?? 'refused') : null,
        rejection: t?.rejection ?? null,
      },
    });
    // An order whose echo never came may still have reached the robot (its states lost, or
    // refused by MedLoop's edge as the stock vda-5050-lib AGV's were before #18): it would sit
    // on it, half-driven, after the mission is given up. cancelOrder costs a robot that never
    // got it one noOrderToCancel warning. Not sent when the robot reports another order
    // (cancelOrder drops whatever order it holds, perhaps one MedLoop did not send), nor for a
    // refused order, which it holds none of. Not awaited: the instant action may wait for the
    // robot's subscription, and this runs inside the dispatch round.
    const held = this.robots.get(a.robot.deviceId)?.state?.orderId ?? '';
    if (!refused && !a.pauses.has('offline') && (held === '' || held === a.built.order.orderId)) {
      void this.orders.cancelOrder(a).catch((err: unknown) => this.logger.warn({ err, missionId: a.mission.id }, 'could not cancel the unacknowledged order'));
    }
    await this.finish(a, 'failed', refused ? 'order_refused' : 'order_unacknowledged', { attempts: t?.attempts });
  }

  private async onRobotState(robotId: string, state: State): Promise<void> {
    const a = this.active.ofRobot(robotId);
    if (!a) return;
    await this.orders.onState(a, state);
    const fatal = (state.errors ?? []).find((e) => e.errorLevel === 'FATAL');
    if (fatal) {
      await this.alarms.raise({
        type: 'robot.fatal_error',
        subject: robotId,
        sourceKind: 'robot',
        sourceId: robotId,
        ward: this.wardOfMission(a.mission),
        params: {
          robot: a.robot.serialNumber,
          errorType: fatal.errorType,
          errorDescription: fatal.errorDescription ?? null,
          missionId: a.mission.id,
          error: fatal,
        },
      });
      await this.finish(a, 'failed', `robot FATAL error: ${fatal.errorType}`, { error: fatal });
      return;
    }
    const eStop = state.safetyState?.eStop && state.safetyState.eStop !== 'NONE';
    if (eStop && !a.pauses.has('estop')) {
      a.pauses.add('estop');
      await this.alarms.raise({
        type: 'robot.estop',
        subject: robotId,
        sourceKind: 'robot',
        sourceId: robotId,
        ward: this.wardOfMission(a.mission),
        params: { robot: a.robot.serialNumber, eStop: state.safetyState.eStop, missionId: a.mission.id },
      });
      await this.updatePaused(a, 'paused', { reason: 'estop' });
    } else if (!eStop && a.pauses.has('estop')) {
      a.pauses.delete('estop');
      await this.alarms.clear(`robot.estop:${robotId}`, 'emergency stop released');
      await this.updatePaused(a, 'resumed', { reason: 'estop released' });
    }
    if (!this.orders.acknowledged(a)) return;
    await this.orders.releaseHorizon(a, state);
    const p = deriveProgress(a.built.order, a.built.stops, state);
    if (p.phase === 'failed') {
      await this.finish(a, 'failed', p.failure ?? 'failed', { actionFailures: p.actionFailures, rejection: p.rejection ?? null });
      return;
    }
    const next: MissionStatus = p.phase === 'finished' ? 'finished' : p.phase === 'at_stop' ? 'at_stop' : p.phase === 'running' ? 'running' : 'accepted';
    const stop = p.stopIndex ?? a.mission.currentStop;
    if (next === 'finished') {
      await this.finish(a, 'finished', null, {});
      return;
    }
    if (next !== a.mission.status || stop !== a.mission.currentStop) {
      if (next === a.mission.status && next !== 'at_stop') {
        await this.lifecycle.note(a.mission, 'progress', { stop }, { currentStop: stop ?? null });
      } else if (canTransition(missionMachine, a.mission.status, next)) {
        await this.lifecycle.transition(
          a.mission,
          next,
          next === 'at_stop' ? 'arrived_at_stop' : next,
          { stop, nodeId: stop !== undefined && stop !== null ? a.mission.stops[stop]?.nodeId : undefined },
          { currentStop: stop ?? null },
        );
      }
    }
  }

  private async onRobotConnection(robotId: string, connection: string): Promise<void> {
    // a robot with no mission that comes back online is news for the dispatch round, which hears it itself
    const a = this.active.ofRobot(robotId);
    if (!a) return;
    if (connection === 'ONLINE') {
      if (a.pauses.delete('offline')) {
        a.offlineSince = null;
        await this.alarms.clear(`robot.offline_mid_mission:${robotId}`, 'robot back online');
        await this.updatePaused(a, 'resumed', { reason: 'robot back online' });
        // the robot may have lost the order with its link: resend it, same ids
        if (!this.orders.acknowledged(a)) await this.orders.send(a, 'resent');
      }
      return;
    }
    if (a.pauses.has('offline')) return;
    a.pauses.add('offline');
    a.offlineSince = Date.now();
    await this.alarms.raise({
      type: 'robot.offline_mid_mission',
      subject: robotId,
      sourceKind: 'robot',
      sourceId: robotId,
      ward: this.wardOfMission(a.mission),
      params: { robot: a.robot.serialNumber, connection, missionId: a.mission.id, cargo: a.mission.cargo },
    });
    await this.updatePaused(a, 'paused', { reason: `robot ${connection}` });
  }

  /** A robot offline longer than the grace period fails its mission. */
  private async failLongOffline(now: number): Promise<void> {
    for (const a of this.active.all()) {
      if (a.offlineSince !== null && now - a.offlineSince > this.config.fleet.offlineGraceMs) {
        await this.finish(a, 'failed', 'robot offline', { offlineForMs: now - a.offlineSince });
      }
    }
  }

  private async updatePaused(a: ActiveMission, event: 'paused' | 'resumed', details: Record<string, unknown>): Promise<void> {
    await this.lifecycle.setPaused(a.mission, a.pauses.size > 0, event, { ...details, pausedBy: [...a.pauses] });
  }

  /** Ends the mission; the robot is free again (the dispatch round hears the end and runs). */
  private async finish(a: ActiveMission, to: 'finished' | 'failed' | 'cancelled', reason: string | null, details: Record<string, unknown>): Promise<void> {
    this.active.remove(a.robot.deviceId);
    await this.lifecycle.transition(a.mission, to, to, details, { failureReason: reason, paused: false });
    await this.alarms.clear(`robot.offline_mid_mission:${a.robot.deviceId}`, `mission ${to}`);
    await this.alarms.clear(`robot.estop:${a.robot.deviceId}`, `mission ${to}`);
  }

  private wardOfMission(m: MissionEntity): string | null {
    for (let i = m.stops.length - 1; i >= 0; i--) {
      const w = this.site.wardOf(m.stops[i]!.nodeId);
      if (w) return w;
    }
    return null;
  }
}
