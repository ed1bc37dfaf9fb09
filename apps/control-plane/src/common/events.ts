/**
 * The in-process event bus: features announce what happened here and other features react,
 * without importing each other (no module cycles). Later the websocket gateway forwards
 * these to nurse stations.
 */
import { Injectable } from '@nestjs/common';
import { filter, map, Subject, type Observable } from 'rxjs';

import type { AlarmChange, AlarmView } from '../alarms/alarms.service.js';

import type { State } from '#contracts';

export interface DomainEventMap {
  'robot.connection': { deviceId: string; connection: 'ONLINE' | 'OFFLINE' | 'CONNECTIONBROKEN'; previous: string | null };
  'robot.state': { deviceId: string; state: State };
  'robot.stale': { deviceId: string };
  'robot.updated': { deviceId: string };
  'mission.changed': { missionId: string; status: string; robotId: string | null };
  /** a mission ended without delivering: its cargo needs the custody logic */
  'mission.failed': { missionId: string; robotId: string; reason: string; cargo: Record<string, unknown> | null };
  /** the robot carrying a mission lost its link (the mission is paused, may still fail) */
  'mission.robot_lost': { missionId: string; robotId: string; cargo: Record<string, unknown> | null };
  'alarm.changed': { change: AlarmChange; alarm: AlarmView };
  'device.online': { deviceId: string; kind: string; clientId: string; at: string };
  'device.offline': { deviceId: string; kind: string; graceful: boolean; at: string };
  'device.registered': { deviceId: string; kind: string };
  /** a device's live sessions must end now (revoked, or its credentials rotated) */
  'device.sessions_invalidated': { deviceId: string; reason: 'revoked' | 'credentials_rotated' };
}

export type DomainEvent = { [K in keyof DomainEventMap]: { type: K; payload: DomainEventMap[K] } }[keyof DomainEventMap];

@Injectable()
export class EventBus {
  private readonly subject = new Subject<DomainEvent>();

  emit<K extends keyof DomainEventMap>(type: K, payload: DomainEventMap[K]): void {
    this.subject.next({ type, payload } as DomainEvent);
  }

  on<K extends keyof DomainEventMap>(type: K): Observable<DomainEventMap[K]> {
    return this.subject.pipe(
      filter((e): e is Extract<DomainEvent, { type: K }> => e.type === type),
      map((e) => e.payload as DomainEventMap[K]),
    );
  }

  all(): Observable<DomainEvent> {
    return this.subject.asObservable();
  }
}
