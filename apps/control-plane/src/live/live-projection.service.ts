/**
 * Turns what happens in the control plane (the event bus, read through the typed routing table
 * in live.routes.ts) into room events for the live gateway. Keeps the little state publishing
 * needs: the last robot summary published (so 20 Hz robot states become events only when
 * something a person sees changes; positions travel as coalesced samples instead), which rooms
 * each robot is currently shown in, and each sensor's rate limit. What rooms show lives in
 * LiveReadModel, which also answers snapshots.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import { SITE_ROOM, wardRoom, type LiveEvent, type LiveEventMap, type LiveRoom, type LiveSensorReading } from '#contracts';
import { DevicesRepository, MissionsRepository } from '#persistence';
import { EventBus, type DomainEvent, type DomainEventMap } from '../common/events.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { RobotStateService } from '../fleet/robot-state.service.js';
import { LiveHub } from './live-hub.service.js';
import { LiveReadModel } from './live-read-model.service.js';
import { LIVE_ROUTES, LIVE_SENSOR_REPEAT_MS, type ForwardedEvent, type ProjectedEvent } from './live.routes.js';

/** an ETA that moved less than this is not worth a mission event */
const ETA_NEWS_MS = 5_000;

@Injectable()
export class LiveProjection implements OnApplicationBootstrap, OnModuleDestroy {
  private sub: Subscription | undefined;
  private presence: Omit<LiveEventMap['device'], 'ward'>[] = [];
  /** async projections (lookups) run one after another so their events keep bus order */
  private chain: Promise<void> = Promise.resolve();
  private readonly robotKeys = new Map<string, string>();
  private readonly robotRooms = new Map<string, Set<LiveRoom>>();
  /** per sensor: what a station was last sent of it, and when */
  private readonly sensorsSent = new Map<string, { key: string; at: number }>();
  /** per sensor: its newest reading not yet sent */
  private readonly sensorsHeld = new Map<string, LiveSensorReading>();
  private sensorTimer: NodeJS.Timeout | undefined;

  /** one handler per projected event: the type makes a route marked `projected` without one a compile error */
  private readonly projectors: { [K in ProjectedEvent]: (p: DomainEventMap[K]) => void } = {
    'robot.updated': (p) => this.onRobot(p.deviceId),
    'sensor.reading': (p) => this.onSensorReading(p),
    'alarm.changed': (p) => this.publish(this.model.roomsOfWard(p.alarm.ward), { type: 'alarm', data: { change: p.change, alarm: p.alarm } }),
    'mission.changed': (p) => this.later(() => this.onMission(p.missionId, p.robotId)),
    'device.online': (p) => this.onPresence(p.deviceId, p.kind, true, p.at),
    // one of two sessions ending leaves the device online: nothing a nurse should see
    'device.offline': (p) => (p.sessions > 0 ? undefined : this.onPresence(p.deviceId, p.kind, false, p.at)),
  };

  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly bus: EventBus,
    private readonly hub: LiveHub,
    private readonly model: LiveReadModel,
    private readonly robots: RobotStateService,
    private readonly missionsRepo: MissionsRepository,
    private readonly devices: DevicesRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.hub.ensureRoom(SITE_ROOM);
    for (const w of this.model.wards) this.hub.ensureRoom(wardRoom(w));
    await this.model.loadOpenMissions();
    this.sub = this.bus.all().subscribe((e) => this.onEvent(e));
    this.sensorTimer = setInterval(
      () => {
        try {
          this.releaseSensors(Date.now());
        } catch (err) {
          this.logger.error({ err }, 'live projection failed on sensor readings');
        }
      },
      Math.min(1_000, this.config.live.sensorIntervalMs),
    );
    this.sensorTimer.unref();
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
    clearInterval(this.sensorTimer);
  }

  private onEvent(e: DomainEvent): void {
    try {
      const route = LIVE_ROUTES[e.type];
      if (route === 'projected') (this.projectors[e.type as ProjectedEvent] as (p: unknown) => void)(e.payload);
      else if ('forward' in route) this.onForwarded(e as Extract<DomainEvent, { type: ForwardedEvent }>);
    } catch (err) {
      this.logger.error({ err, event: e.type }, 'live projection failed on an event');
    }
  }

  private onForwarded(e: Extract<DomainEvent, { type: ForwardedEvent }>): void {
    const live = LIVE_ROUTES[e.type].forward;
    this.publish(this.model.roomsOfWard(e.payload.ward), { type: live, data: e.payload } as LiveEvent);
  }

  /**
   * A sensor's newest values reach its rooms at most once per LIVE_SENSOR_INTERVAL_MS (a reading
   * held back goes out when the sensor's interval ends, the newest wins), and only when what a
   * person sees changed (values to one decimal) or LIVE_SENSOR_REPEAT_MS passed. Each sensor
   * keeps its own phase, so 10,000 sensors do not all come due in one burst.
   */
  private onSensorReading(p: LiveSensorReading): void {
    this.model.sensors.set(p.deviceId, p);
    this.sensorsHeld.set(p.deviceId, p);
  }

  /** Once a second: the held readings whose sensor's interval has ended, one `sensor.readings` delta per room. */
  private releaseSensors(now: number): void {
    const rooms = new Map<LiveRoom, LiveSensorReading[]>();
    for (const [id, p] of this.sensorsHeld) {
      const sent = this.sensorsSent.get(id);
      if (sent && now - sent.at < this.config.live.sensorIntervalMs) continue;
      this.sensorsHeld.delete(id);
      const key = shownValues(p);
      if (sent && sent.key === key && now - sent.at < LIVE_SENSOR_REPEAT_MS) continue;
      this.sensorsSent.set(id, { key, at: now });
      for (const room of this.model.roomsOfWard(p.ward)) {
        const list = rooms.get(room);
        if (list) list.push(p);
        else rooms.set(room, [p]);
      }
    }
    for (const [room, readings] of rooms) this.hub.publish(room, { type: 'sensor.readings', data: { readings } });
  }

  private onPresence(deviceId: string, kind: string, online: boolean, at: string): void {
    this.presence.push({ deviceId, kind, online, at });
    if (this.presence.length === 1) this.later(() => this.publishPresence());
  }

  private onRobot(robotId: string): void {
    const r = this.robots.get(robotId);
    if (!r) return;
    const view = this.model.robotView(r);
    const { position: _p, ...rest } = view;
    const key = JSON.stringify(rest);
    const changed = this.robotKeys.get(robotId) !== key;
    const lastNodeChanged = changed && JSON.parse(this.robotKeys.get(robotId) ?? '{}').lastNodeId !== view.lastNodeId;
    this.robotKeys.set(robotId, key);
    const before = this.robotRooms.get(robotId) ?? new Set<LiveRoom>();
    const now = this.model.roomsOfRobot(r);
    this.robotRooms.set(robotId, now);
    for (const room of before) {
      if (now.has(room)) continue;
      this.hub.forgetRobot(room, robotId);
      this.hub.publish(room, { type: 'robot.left', data: { robotId } });
    }
    for (const room of now) if (changed || !before.has(room)) this.hub.publish(room, { type: 'robot', data: view });
    // a `robot` delta to every room already carries the position; otherwise it is a sample
    if (view.position && changed) this.hub.positionCarried(now, robotId);
    else if (view.position) this.hub.publishPosition(now, { robotId, position: view.position, driving: view.driving, at: new Date().toISOString() });
    if (lastNodeChanged && view.missionId) this.refreshEta(view.missionId);
  }

  private async onMission(missionId: string, robotId: string | null): Promise<void> {
    const m = await this.missionsRepo.findById(missionId);
    if (!m) return;
    const { view, prev } = this.model.setMission(m);
    // two announcements that found the mission the same (its creation, read after the first
    // dispatch round had already given it its waiting reason, and that reason's own
    // announcement) are one piece of news
    if (!prev || JSON.stringify(prev.view) !== JSON.stringify(view)) {
      // a ward that stopped being served still hears the mission's last word
      const wards = new Set([...view.wards, ...(prev?.view.wards ?? [])]);
      this.publish(this.model.roomsOfWards(wards), { type: 'mission', data: view });
    }
    // the robot's rooms follow its mission (it heads for a ward, or is done with it)
    if (robotId) this.onRobot(robotId);
  }

  private refreshEta(missionId: string): void {
    const m = this.model.missions.get(missionId);
    if (!m || m.endedAt !== null) return;
    const view = this.model.missionView(m.entity);
    const before = m.view.eta ? Date.parse(m.view.eta) : null;
    const after = view.eta ? Date.parse(view.eta) : null;
    if (before !== null && after !== null && Math.abs(after - before) < ETA_NEWS_MS) return;
    if (before === after) return;
    m.view = view;
    this.publish(this.model.roomsOfWards(view.wards), { type: 'mission', data: view });
  }

  private publish(rooms: Iterable<LiveRoom>, event: LiveEvent): void {
    for (const room of rooms) this.hub.publish(room, event);
  }

  /**
   * Presence changes waiting for their devices' wards: looked up together, one query for
   * whatever arrived meanwhile (a reconnect storm of 20,000 devices made one query each).
   * Presence changes keep their order among themselves; one that joins a batch may go out
   * before a mission event that came just before it on the bus (they are independent).
   */
  private async publishPresence(): Promise<void> {
    const batch = this.presence;
    this.presence = [];
    const devices = await this.devices.findByIds([...new Set(batch.map((p) => p.deviceId))]);
    const wardOf = new Map(devices.map((d) => [d.id, d.ward ?? null]));
    for (const p of batch) {
      const ward = wardOf.get(p.deviceId) ?? null;
      this.publish(this.model.roomsOfWard(ward), { type: 'device', data: { ...p, ward } });
    }
  }

  private later(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((err: unknown) => this.logger.error({ err }, 'live projection lookup failed'));
  }
}

/** What a station shows of a reading: its ward and values, numbers to one decimal. */
function shownValues(p: LiveSensorReading): string {
  let key = p.ward ?? '';
  for (const [k, v] of Object.entries(p.values)) key += `|${k}=${typeof v === 'number' ? v.toFixed(1) : v}`;
  return key;
}
