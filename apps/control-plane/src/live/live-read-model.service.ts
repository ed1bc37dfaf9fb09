/**
 * What live rooms show, held for snapshots and for the projection's deltas alike: the open and
 * recently ended missions, each sensor's newest reading, and the views of robots and missions
 * as a person sees them. A ward room shows the robots on the ward's floor and those whose
 * current mission serves the ward; the site room shows everything.
 *
 * LiveHub asks it for a room's snapshot (synchronously, so the snapshot's seq matches the
 * deltas that follow); LiveProjection updates it from the event bus and publishes the deltas.
 */
import { Injectable } from '@nestjs/common';
import { SITE_ROOM, wardOfRoom, wardRoom, type LiveMission, type LiveRobot, type LiveRoom, type LiveSensorReading, type LiveSnapshot } from '#contracts';
import { MISSION_STATUSES, type MissionStatus, speedOf } from '#domain';
import { type MissionEntity, MissionsRepository } from '#persistence';
import { AlarmsService, toAlarmView } from '../alarms/alarms.service.js';
import { ActiveMissions } from '../fleet/active-missions.js';
import { type LiveRobot as RobotLiveState, RobotStateService } from '../fleet/robot-state.service.js';
import { SiteService } from '../site/site.service.js';

export const TERMINAL: ReadonlySet<string> = new Set(['finished', 'failed', 'cancelled']);
/** how long an ended mission stays in snapshots (a nurse sees "arrived", a pharmacist "failed") */
const ENDED_MISSION_TTL_MS = 30 * 60_000;

/** The snapshot side of the live rooms, as LiveHub needs it (a class so it can be a DI token). */
export abstract class LiveSnapshots {
  abstract snapshot(room: LiveRoom, seq: number, epoch: string): LiveSnapshot;
}

export interface ShownMission {
  entity: MissionEntity;
  view: LiveMission;
  endedAt: number | null;
}

@Injectable()
export class LiveReadModel implements LiveSnapshots {
  readonly missions = new Map<string, ShownMission>();
  /** each sensor's newest reading since the server started */
  readonly sensors = new Map<string, LiveSensorReading>();
  private readonly wardFloors = new Map<string, string>();

  constructor(
    private readonly robots: RobotStateService,
    private readonly fleet: ActiveMissions,
    private readonly alarms: AlarmsService,
    private readonly site: SiteService,
    private readonly missionsRepo: MissionsRepository,
  ) {
    for (const w of site.site.wards) this.wardFloors.set(w.id, w.floor);
  }

  get wards(): ReadonlySet<string> {
    return new Set(this.wardFloors.keys());
  }

  /** The missions still open at start-up (later ones arrive as `mission.changed`). */
  async loadOpenMissions(): Promise<void> {
    const open = MISSION_STATUSES.filter((s) => !TERMINAL.has(s)) as MissionStatus[];
    for (const m of await this.missionsRepo.findByStatus(open)) this.missions.set(m.id, { entity: m, view: this.missionView(m), endedAt: null });
  }

  /** Records a mission's new state; answers its view and what was shown before. */
  setMission(m: MissionEntity): { view: LiveMission; prev: ShownMission | undefined } {
    const prev = this.missions.get(m.id);
    const view = this.missionView(m);
    this.missions.set(m.id, { entity: m, view, endedAt: TERMINAL.has(m.status) ? (prev?.endedAt ?? Date.now()) : null });
    this.pruneEnded(Date.now());
    return { view, prev };
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
    const sensors = [...this.sensors.values()].filter((r) => ward === null || r.ward === ward);
    return { room, epoch, seq, at: new Date().toISOString(), robots, missions, alarms, sensors };
  }

  roomsOfWard(ward: string | null): LiveRoom[] {
    return ward !== null && this.wardFloors.has(ward) ? [SITE_ROOM, wardRoom(ward)] : [SITE_ROOM];
  }

  roomsOfWards(wards: Iterable<string>): LiveRoom[] {
    const rooms: LiveRoom[] = [SITE_ROOM];
    for (const w of wards) if (this.wardFloors.has(w)) rooms.push(wardRoom(w));
    return rooms;
  }

  roomsOfRobot(r: RobotLiveState): Set<LiveRoom> {
    const rooms = new Set<LiveRoom>([SITE_ROOM]);
    const mapId = r.position?.mapId;
    if (mapId) for (const [ward, floor] of this.wardFloors) if (floor === mapId) rooms.add(wardRoom(ward));
    const m = this.fleet.activeMissionOf(r.deviceId);
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

  robotView(r: RobotLiveState): LiveRobot {
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
      missionId: this.fleet.activeMissionOf(r.deviceId)?.id ?? null,
    };
  }

  missionView(m: MissionEntity): LiveMission {
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
      waitingReason: m.status === 'queued' ? this.fleet.waitingReason(m.id) : null,
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
    const speed = speedOf(r);
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
