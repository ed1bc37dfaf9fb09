/**
 * Live state of every robot, built from its VDA 5050 `connection`, `state`, `visualization`
 * and `factsheet` messages (already schema-validated at the broker edge). Messages are
 * ordered by (timestamp, headerId) per topic: a replayed or late message never moves a robot
 * backwards. A robot silent past the staleness limit is marked stale and raises an alarm.
 * Factsheets are also kept in the database (RobotFactsheets) and read back at boot, so what a
 * robot declares it can do survives a restart.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import type { AgvPosition, Connection, Factsheet, State, Visualization } from '#contracts';
import { alarmSubject, messageRefusals } from '#domain';
import { AlarmsService } from '../alarms/alarms.service.js';
import { EventBus } from '../common/events.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { RobotFactsheets, type StoredFactsheet } from './robot-factsheets.js';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // a failed load fails the boot (onApplicationBootstrap throws); no waiter need be there
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

export type ConnectionState = Connection['connectionState'];

export interface LiveRobot {
  deviceId: string;
  interfaceName: string;
  manufacturer: string;
  serialNumber: string;
  /** VDA 5050 version the robot speaks (from its last message) */
  version: string;
  connection: ConnectionState | null;
  connectionAt: string | null;
  state: State | null;
  stateAt: string | null;
  /** latest position from state or visualization, whichever is newer */
  position: AgvPosition | null;
  /** its last factsheet, from the robot or (until it sends one) from the database */
  factsheet: Factsheet | null;
  /** when that factsheet was received */
  factsheetAt: string | null;
  lastMessageAt: number;
  stale: boolean;
  /** messages refused for this robot: schema, identity mismatch, out of order */
  rejected: Record<string, number>;
}

type Ordered = { headerId: number; timestamp: string };

export interface RobotIdentity {
  deviceId: string;
  interfaceName: string;
  manufacturer: string;
  serialNumber: string;
}

@Injectable()
export class RobotStateService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly robots = new Map<string, LiveRobot>();
  /** last accepted (timestamp, headerId) per robot and topic */
  private readonly last = new Map<string, Ordered>();
  /**
   * alarm subjects of the message refusals open per robot (robot.message_refused), seeded at a
   * robot's first state from the open alarms (raised before a restart), kept even when empty
   */
  private readonly refusals = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | undefined;
  private sub: Subscription | undefined;
  /** factsheets read from the database at boot, for robots that have not sent one since */
  private stored = new Map<string, StoredFactsheet>();
  private readonly loaded = deferred();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly alarms: AlarmsService,
    private readonly bus: EventBus,
    private readonly factsheets: RobotFactsheets,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // a robot whose link dropped without a last will is still known to be gone, unless it is
    // still connected on another session (it reconnected before the old link was noticed dead);
    // heard from the start, so a link dropping while the factsheets load is not missed
    this.sub = this.bus.on('device.offline').subscribe((e) => {
      if (e.kind === 'robot' && e.sessions === 0) this.sessionEnded(e.deviceId, e.graceful);
    });
    try {
      this.stored = await this.factsheets.load();
    } catch (err) {
      this.loaded.reject(err);
      throw err;
    }
    // a robot heard before the load finished keeps what it sent; the others get the stored one
    for (const r of this.robots.values()) this.seedFactsheet(r);
    this.loaded.resolve();
    const every = Math.max(100, Math.min(5_000, Math.floor(this.config.fleet.staleAfterMs / 3)));
    this.timer = setInterval(() => this.checkStaleness(Date.now()), every);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.sub?.unsubscribe();
  }

  /**
   * Settles once the stored factsheets are read: until then a robot that has not sent its own
   * looks like one without a factsheet, and dispatch would refuse it missions it can do.
   */
  factsheetsLoaded(): Promise<void> {
    return this.loaded.promise;
  }

  get(deviceId: string): LiveRobot | undefined {
    return this.robots.get(deviceId);
  }

  all(): LiveRobot[] {
    return [...this.robots.values()];
  }

  /**
   * Accepts a message only if it is newer than the last one on that topic. VDA 5050 headerIds
   * restart when a robot reboots, so the timestamp orders first and the headerId breaks ties.
   */
  isNewer(deviceId: string, topic: string, msg: Ordered): boolean {
    const key = `${deviceId}\u0000${topic}`;
    const prev = this.last.get(key);
    if (prev) {
      if (msg.timestamp < prev.timestamp) return false;
      if (msg.timestamp === prev.timestamp && msg.headerId <= prev.headerId) return false;
    }
    this.last.set(key, { headerId: msg.headerId, timestamp: msg.timestamp });
    return true;
  }

  countRejected(deviceId: string, identity: RobotIdentity | undefined, reason: string): void {
    const r = identity ? this.entry(identity) : this.robots.get(deviceId);
    if (r) r.rejected[reason] = (r.rejected[reason] ?? 0) + 1;
  }

  applyConnection(id: RobotIdentity, msg: Connection): void {
    const r = this.touch(id, msg.version);
    const previous = r.connection;
    r.connection = msg.connectionState;
    r.connectionAt = msg.timestamp;
    if (msg.connectionState !== 'ONLINE') r.stale = false;
    this.bus.emit('robot.connection', { deviceId: id.deviceId, connection: msg.connectionState, previous });
    this.changed(r);
  }

  applyState(id: RobotIdentity, msg: State): void {
    const r = this.touch(id, msg.version);
    r.state = msg;
    r.stateAt = msg.timestamp;
    if (msg.agvPosition) r.position = msg.agvPosition;
    // a robot that talks is online even if its ONLINE message was lost (QoS 1 retained, but
    // some robots only send it once)
    if (r.connection === null) r.connection = 'ONLINE';
    this.noteRefusals(r, msg);
    this.bus.emit('robot.state', { deviceId: id.deviceId, state: msg });
    this.changed(r);
  }

  applyVisualization(id: RobotIdentity, msg: Visualization): void {
    const r = this.touch(id, msg.version);
    if (msg.agvPosition) r.position = msg.agvPosition;
    this.changed(r);
  }

  applyFactsheet(id: RobotIdentity, msg: Factsheet): void {
    const r = this.touch(id, (msg as { version?: string }).version);
    r.factsheet = msg;
    r.factsheetAt = new Date().toISOString();
    this.stored.delete(id.deviceId);
    void this.factsheets.remember(id.deviceId, msg, new Date(r.factsheetAt));
    this.changed(r);
  }

  /** Called when the robot's MQTT session ends: a dropped link without a will still counts. */
  sessionEnded(deviceId: string, graceful: boolean): void {
    const r = this.robots.get(deviceId);
    if (!r || r.connection !== 'ONLINE') return;
    const previous = r.connection;
    r.connection = graceful ? 'OFFLINE' : 'CONNECTIONBROKEN';
    r.connectionAt = new Date().toISOString();
    this.bus.emit('robot.connection', { deviceId, connection: r.connection, previous });
    this.changed(r);
  }

  checkStaleness(now: number): void {
    const limit = this.config.fleet.staleAfterMs;
    for (const r of this.robots.values()) {
      if (r.connection !== 'ONLINE' || r.stale || now - r.lastMessageAt <= limit) continue;
      r.stale = true;
      void this.alarms
        .raise({
          type: 'robot.stale',
          subject: r.deviceId,
          sourceKind: 'robot',
          sourceId: r.deviceId,
          params: { robot: `${r.manufacturer}/${r.serialNumber}`, silentForS: limit / 1000, lastMessageAt: new Date(r.lastMessageAt).toISOString() },
        })
        .catch((err: unknown) => this.logger.error({ err }, 'could not raise stale alarm'));
      this.changed(r);
    }
  }

  /**
   * A robot refuses MedLoop's messages only in its state.errors (a validationError naming the
   * topic and headerId, an orderError…): each distinct one raises an alarm once, naming the
   * message and the robot's own text, and clears when the robot drops the error. The subject
   * is the robot and a digest of the error, so its key fits `alarms.key` whatever the robot
   * sent. An alarm raised before a restart is known from the open alarms and clears the same
   * way; a raise or clear that failed is retried at the next state.
   */
  private noteRefusals(r: LiveRobot, msg: State): void {
    const deviceId = r.deviceId;
    const open = this.refusals.get(deviceId) ?? this.openRefusalsOf(deviceId);
    const now = new Set<string>();
    for (const f of messageRefusals(msg.errors)) {
      const subject = `${deviceId}:${f.key}`;
      now.add(subject);
      if (open.has(subject)) continue;
      const { key: _key, ...params } = f;
      void this.alarms
        .raise({
          type: 'robot.message_refused',
          subject,
          sourceKind: 'robot',
          sourceId: deviceId,
          params: { robot: `${r.manufacturer}/${r.serialNumber}`, ...params },
        })
        .catch((err: unknown) => {
          this.refusals.get(deviceId)?.delete(subject);
          this.logger.error({ err }, 'could not raise message refused alarm');
        });
    }
    for (const subject of open) {
      if (!now.has(subject))
        void this.alarms
          .clear(`robot.message_refused:${subject}`, 'the robot no longer reports the error')
          .catch(() => this.refusals.get(deviceId)?.add(subject));
    }
    this.refusals.set(deviceId, now);
  }

  private openRefusalsOf(deviceId: string): Set<string> {
    return new Set(
      this.alarms
        .openOfType('robot.message_refused')
        .filter((a) => a.sourceId === deviceId)
        .map((a) => alarmSubject(a.key)),
    );
  }

  private touch(id: RobotIdentity, version: string | undefined): LiveRobot {
    const r = this.entry(id);
    r.lastMessageAt = Date.now();
    if (version) r.version = version;
    if (r.stale) {
      r.stale = false;
      void this.alarms.clear(`robot.stale:${r.deviceId}`, 'robot reported again').catch(() => undefined);
    }
    return r;
  }

  private entry(id: RobotIdentity): LiveRobot {
    let r = this.robots.get(id.deviceId);
    if (!r) {
      r = {
        ...id,
        version: '2.0.0',
        connection: null,
        connectionAt: null,
        state: null,
        stateAt: null,
        position: null,
        factsheet: null,
        factsheetAt: null,
        lastMessageAt: Date.now(),
        stale: false,
        rejected: {},
      };
      this.seedFactsheet(r);
      this.robots.set(id.deviceId, r);
    }
    return r;
  }

  /** The robot's factsheet: live when it sent one, else the stored one; null when none is known. */
  factsheetOf(deviceId: string): { factsheet: Factsheet; receivedAt: string | null } | null {
    const r = this.robots.get(deviceId);
    if (r?.factsheet) return { factsheet: r.factsheet, receivedAt: r.factsheetAt };
    return this.stored.get(deviceId) ?? null;
  }

  private seedFactsheet(r: LiveRobot): void {
    const s = this.stored.get(r.deviceId);
    if (r.factsheet || !s) return;
    r.factsheet = s.factsheet;
    r.factsheetAt = s.receivedAt;
  }

  private changed(r: LiveRobot): void {
    this.bus.emit('robot.updated', { deviceId: r.deviceId });
  }
}
