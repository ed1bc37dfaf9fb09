/**
 * Turns what happens in the control plane (event bus + live robot state) into room events for
 * the live gateway, and builds each room's snapshot. Keeps the little state that needs:
 * the last robot summary published (so 20 Hz robot states become events only when something a
 * person sees changes; positions travel as coalesced samples instead), which rooms each robot
 * is currently shown in, and the open and recently ended missions.
 *
 * A ward room shows the robots on the ward's floor and those whose current mission serves the
 * ward; the site room shows everything.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import {
  SITE_ROOM,
  wardOfRoom,
  wardRoom,
  type LiveAlarm,
  type LiveEvent,
  type LiveEventMap,
  type LiveMission,
  type LiveRobot,
  type LiveRoom,
  type LiveSnapshot,
} from '#contracts';
import { MISSION_STATUSES, type MissionStatus } from '#domain';
import { DevicesRepository, type MissionEntity, MissionsRepository } from '#persistence';
import { type AlarmView, AlarmsService, toAlarmView } from '../alarms/alarms.service.js';
import { EventBus, type DomainEvent, type DomainEventMap } from '../common/events.js';
import { LOGGER } from '../common/logger.js';
import { FleetDispatcher } from '../fleet/fleet-dispatcher.service.js';
import { type LiveRobot as RobotLiveState, RobotStateService } from '../fleet/robot-state.service.js';
import { SiteService } from '../site/site.service.js';
import { LiveHub } from './live-hub.service.js';
import { LIVE_ROUTES, LIVE_SENSOR_INTERVAL_MS, type ForwardedEvent, type ProjectedEvent } from './live.routes.js';

const TERMINAL: ReadonlySet<string> = new Set(['finished', 'failed', 'cancelled']);
/** how long an ended mission stays in snapshots (a nurse sees "arrived", a pharmacist "failed") */
const ENDED_MISSION_TTL_MS = 30 * 60_000;
/** an ETA that moved less than this is not worth a mission event */
const ETA_NEWS_MS = 5_000;
const DEFAULT_SPEED = 1.0;

// compile-time check that the REST alarm view is what the live contract promises
const _alarmViewIsLiveAlarm = (a: AlarmView): LiveAlarm => a;

@Injectable()
export class LiveProjection implements OnApplicationBootstrap, OnModuleDestroy {
  private sub: Subscription | undefined;
  private presence: Omit<LiveEventMap['device'], 'ward'>[] = [];
  /** async projections (lookups) run one after another so their events keep bus order */
  private chain: Promise<void> = Promise.resolve();
  private readonly robotKeys = new Map<string, string>();
  private readonly robotRooms = new Map<string, Set<LiveRoom>>();
  private readonly missions = new Map<string, { entity: MissionEntity; view: LiveMission; endedAt: number | null }>();
  private readonly wardFloors = new Map<string, string>();
  /** per sensor: when its last reading went out, and the newest one held back since */
  private readonly sensors = new Map<string, { sentAt: number; pending: DomainEventMap['sensor.reading'] | null; timer: NodeJS.Timeout | null }>();

  /** one handler per projected event: the type makes a route marked `projected` without one a compile error */
  private readonly projectors: { [K in ProjectedEvent]: (p: DomainEventMap[K]) => void } = {
    'robot.updated': (p) => this.onRobot(p.deviceId),
    'alarm.changed': (p) => this.publish(this.roomsOfWard(p.alarm.ward), { type: 'alarm', data: { change: p.change, alarm: p.alarm } }),
    'mission.changed': (p) => this.later(() => this.onMission(p.missionId, p.robotId)),
    'device.online': (p) => this.onPresence(p.deviceId, p.kind, true, p.at),
    // one of two sessions ending leaves the device online: nothing a nurse should see
    'device.offline': (p) => (p.sessions > 0 ? undefined : this.onPresence(p.deviceId, p.kind, false, p.at)),
  };

  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly bus: EventBus,
    private readonly hub: LiveHub,
    private readonly robots: RobotStateService,
    private readonly dispatcher: FleetDispatcher,
    private readonly alarms: AlarmsService,
    private readonly site: SiteService,
    private readonly missionsRepo: MissionsRepository,
    private readonly devices: DevicesRepository,
  ) {
    for (const w of site.site.wards) this.wardFloors.set(w.id, w.floor);
  }

  get wards(): ReadonlySet<string> {
    return new Set(this.wardFloors.keys());
  }

  async onApplicationBootstrap(): Promise<void> {
    this.hub.ensureRoom(SITE_ROOM);
    for (const w of this.wardFloors.keys()) this.hub.ensureRoom(wardRoom(w));
    this.hub.setSnapshotSource((room, seq, epoch) => this.snapshot(room, seq, epoch));
    const open = MISSION_STATUSES.filter((s) => !TERMINAL.has(s)) as MissionStatus[];
    for (const m of await this.missionsRepo.findByStatus(open)) this.missions.set(m.id, { entity: m, view: this.missionView(m), endedAt: null });
    this.sub = this.bus.all().subscribe((e) => this.onEvent(e));
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
    for (const s of this.sensors.values()) if (s.timer) clearTimeout(s.timer);
  }

  snapshot(room: LiveRoom, seq: number, epoch: string): LiveSnapshot {
    const ward = wardOfRoom(room);
    this.pruneEnded(Date.now());
    const robots: LiveRobot[] = [];
    for (const r of this.robots.all()) {
      if (ward === null || this.roomsOfRobot(r).has(room)) robots.push(this.robotView(r));
    }
    const missions = [...this.missions.values()].map((m) => m.view).filter((m) => ward === null || m.wards.includes(ward));
    const alarms = this.alarms
      .openAlarms()
      .map(toAlarmView)
      .filter((a) => ward === null || a.ward === ward);
    return { room, epoch, seq, at: new Date().toISOString(), robots, missions, alarms };
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
    if (e.type === 'sensor.reading') return this.onSensorReading(e.payload);
    const live = LIVE_ROUTES[e.type].forward;
    this.publish(this.roomsOfWard(e.payload.ward), { type: live, data: e.payload } as LiveEvent);
  }

  /** A sensor's newest values, at most once per LIVE_SENSOR_INTERVAL_MS; a reading held back goes out when the interval ends. */
  private onSensorReading(p: DomainEventMap['sensor.reading']): void {
    const now = Date.now();
    const s = this.sensors.get(p.deviceId) ?? { sentAt: 0, pending: null, timer: null };
    this.sensors.set(p.deviceId, s);
    if (s.timer) {
      s.pending = p;
      return;
    }
    const wait = s.sentAt + LIVE_SENSOR_INTERVAL_MS - now;
    if (wait <= 0) {
      s.sentAt = now;
      this.publish(this.roomsOfWard(p.ward), { type: 'sensor.reading', data: p });
      return;
    }
    s.pending = p;
    s.timer = setTimeout(() => {
      s.timer = null;
      const held = s.pending;
      s.pending = null;
      if (!held) return;
      s.sentAt = Date.now();
      try {
        this.publish(this.roomsOfWard(held.ward), { type: 'sensor.reading', data: held });
      } catch (err) {
        this.logger.error({ err }, 'live projection failed on a sensor reading');
      }
    }, wait);
    s.timer.unref();
  }

  private onPresence(deviceId: string, kind: string, online: boolean, at: string): void {
    this.presence.push({ deviceId, kind, online, at });
    if (this.presence.length === 1) this.later(() => this.publishPresence());
  }

  private onRobot(robotId: string): void {
    const r = this.robots.get(robotId);
    if (!r) return;
    const view = this.robotView(r);
    const { position: _p, ...rest } = view;
    const key = JSON.stringify(rest);
    const changed = this.robotKeys.get(robotId) !== key;
    const lastNodeChanged = changed && JSON.parse(this.robotKeys.get(robotId) ?? '{}').lastNodeId !== view.lastNodeId;
    this.robotKeys.set(robotId, key);
    const before = this.robotRooms.get(robotId) ?? new Set<LiveRoom>();
    const now = this.roomsOfRobot(r);
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
    const prev = this.missions.get(m.id);
    const view = this.missionView(m);
    this.missions.set(m.id, { entity: m, view, endedAt: TERMINAL.has(m.status) ? (prev?.endedAt ?? Date.now()) : null });
    // a ward that stopped being served still hears the mission's last word
    const wards = new Set([...view.wards, ...(prev?.view.wards ?? [])]);
    this.publish(this.roomsOfWards(wards), { type: 'mission', data: view });
    // the robot's rooms follow its mission (it heads for a ward, or is done with it)
    if (robotId) this.onRobot(robotId);
    this.pruneEnded(Date.now());
  }

  private refreshEta(missionId: string): void {
    const m = this.missions.get(missionId);
    if (!m || m.endedAt !== null) return;
    const view = this.missionView(m.entity);
    const before = m.view.eta ? Date.parse(m.view.eta) : null;
    const after = view.eta ? Date.parse(view.eta) : null;
    if (before !== null && after !== null && Math.abs(after - before) < ETA_NEWS_MS) return;
    if (before === after) return;
    m.view = view;
    this.publish(this.roomsOfWards(view.wards), { type: 'mission', data: view });
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
      this.publish(this.roomsOfWard(ward), { type: 'device', data: { ...p, ward } });
    }
  }

  private later(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((err: unknown) => this.logger.error({ err }, 'live projection lookup failed'));
  }

  private roomsOfWard(ward: string | null): LiveRoom[] {
    return ward !== null && this.wardFloors.has(ward) ? [SITE_ROOM, wardRoom(ward)] : [SITE_ROOM];
  }

  private roomsOfWards(wards: Iterable<string>): LiveRoom[] {
    const rooms: LiveRoom[] = [SITE_ROOM];
    for (const w of wards) if (this.wardFloors.has(w)) rooms.push(wardRoom(w));
    return rooms;
  }

  private roomsOfRobot(r: RobotLiveState): Set<LiveRoom> {
    const rooms = new Set<LiveRoom>([SITE_ROOM]);
    const mapId = r.position?.mapId;
    if (mapId) for (const [ward, floor] of this.wardFloors) if (floor === mapId) rooms.add(wardRoom(ward));
    const m = this.dispatcher.activeMissionOf(r.deviceId);
    if (m) for (const w of this.wardsOf(m)) rooms.add(wardRoom(w));
    return rooms;
  }

  private wardsOf(m: MissionEntity): string[] {
    const wards = new Set<string>();
    for (const s of m.stops) {
      const w = this.site.wardOf(s.nodeId);
      if (w && this.wardFloors.has(w)) wards.add(w);
    }
    return [...wards];
  }

  private robotView(r: RobotLiveState): LiveRobot {
    const s = r.state;
    const pct = s?.batteryState?.batteryCharge;
    return {
      id: r.deviceId,
      manufacturer: r.manufacturer,
      serialNumber: r.serialNumber,
      connection: r.connection,
      stale: r.stale,
      position: r.position ? { x: r.position.x, y: r.position.y, theta: r.position.theta, mapId: r.position.mapId } : null,
      batteryPct: typeof pct === 'number' ? Math.round(pct) : null,
      charging: s?.batteryState?.charging ?? false,
      driving: s?.driving ?? false,
      paused: s?.paused ?? false,
      operatingMode: s?.operatingMode ?? null,
      eStop: s?.safetyState?.eStop ?? null,
      errors: (s?.errors ?? []).map((e) => ({ type: e.errorType, level: e.errorLevel })),
      lastNodeId: s?.lastNodeId || null,
      missionId: this.dispatcher.activeMissionOf(r.deviceId)?.id ?? null,
    };
  }

  private missionView(m: MissionEntity): LiveMission {
    return {
      id: m.id,
      kind: m.kind,
      priority: m.priority,
      status: m.status,
      paused: m.paused,
      robotId: m.robotId,
      stops: m.stops.map((s) => ({ nodeId: s.nodeId, ward: this.site.wardOf(s.nodeId) })),
      currentStop: m.currentStop,
      wards: this.wardsOf(m),
      failureReason: m.failureReason,
      waitingReason: m.status === 'queued' ? this.dispatcher.waitingReason(m.id) : null,
      cargo: m.cargo,
      eta: this.eta(m),
      createdAt: m.createdAt.toISOString(),
      updatedAt: m.updatedAt.toISOString(),
    };
  }

  /** Arrival at the last stop: the planned route from the robot's last node through the remaining stops. */
  private eta(m: MissionEntity): string | null {
    if (TERMINAL.has(m.status) || !m.robotId) return null;
    const r = this.robots.get(m.robotId);
    let from = r?.state?.lastNodeId;
    if (!r || !from || !this.site.graph.hasNode(from)) return null;
    const max = (r.factsheet as { physicalParameters?: { speedMax?: number } } | null)?.physicalParameters?.speedMax;
    const speed = typeof max === 'number' && max > 0 ? max : DEFAULT_SPEED;
    let seconds = 0;
    try {
      for (let i = Math.max(0, m.currentStop ?? 0); i < m.stops.length; i++) {
        const to = m.stops[i]!.nodeId;
        if (to !== from) seconds += this.site.graph.planRoute(from, to, { speed }).durationS;
        from = to;
      }
    } catch {
      return null;
    }
    return new Date(Date.now() + seconds * 1000).toISOString();
  }

  private pruneEnded(now: number): void {
    for (const [id, m] of this.missions) if (m.endedAt !== null && now - m.endedAt > ENDED_MISSION_TTL_MS) this.missions.delete(id);
  }
}
