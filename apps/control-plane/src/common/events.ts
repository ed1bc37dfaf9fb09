/**
 * The in-process event bus: features announce what happened here and other features react,
 * without importing each other (no module cycles). Later the websocket gateway forwards
 * these to nurse stations.
 */
import { Injectable } from '@nestjs/common';
import { filter, map, Subject, type Observable } from 'rxjs';
import { outsideIdempotencyScope } from './idempotency.js';

import type { AlarmChange, AlarmView } from '../alarms/alarms.service.js';

import type { State } from '#contracts';

export interface DomainEventMap {
  /** one custody event appended to the hash-chained ledger */
  'custody.event': {
    seq: number;
    action: string;
    doseId: string | null;
    deliveryId: string | null;
    toState: string | null;
    location: string | null;
    at: string;
  };
  'custody.order_changed': { orderId: string; status: string; ward: string };
  'custody.delivery_changed': { deliveryId: string; ward: string; state: string; robotId: string | null };
  'custody.dose_changed': { doseId: string; ward: string | null; state: string; patientId: string; deliveryId: string | null };
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
  /** one session ended; `sessions` says how many of the device's sessions are still live */
  'device.offline': { deviceId: string; kind: string; graceful: boolean; sessions: number; at: string };
  'device.registered': { deviceId: string; kind: string };
  /** a device's live sessions must end now (revoked, or its credentials rotated) */
  'device.sessions_invalidated': { deviceId: string; reason: 'revoked' | 'credentials_rotated' };
  /** a cabinet/sensor message was refused at the edge (schema, device mismatch, unknown command) */
  'device.rejected': { deviceId: string; family: string; reason: string; at: string };
  /** a command to a cabinet or sensor changed status: pending → done | refused | failed | timed_out */
  'device.command': { commandId: string; deviceId: string; type: string; status: string; detail: string | null };
  /** the latest values of a ward sensor changed (not per raw reading: the UI polls readings) */
  'sensor.updated': { deviceId: string; ward: string | null; at: string };
  /** a unit left a cabinet pocket (remove or override-remove): custody links it to the dose's pick step */
  'cabinet.removed': {
    cabinetId: string;
    pocketId: string;
    entryId: string;
    gtin: string;
    lot: string;
    expiry: string;
    serial?: string;
    userId: string;
    orderId?: string;
    overrideReason?: string;
    quantity: number;
    at: string;
  };
  /** any entry appended to a pocket's inventory ledger */
  'cabinet.ledger': { cabinetId: string; pocketId: string; entryId: string; type: string; actor: string; at: string };
  'cabinet.discrepancy': { cabinetId: string; pocketId: string; discrepancyId: string; status: string; expected: number; counted: number; at: string };
  'cabinet.recall': { recallId: string; gtin: string; lot: string; reason: string; by: string; at: string };
  /**
   * A storage unit (fridge, refrigerated cabinet drawer, robot compartment) went out of range
   * long enough to be an excursion (status `excursion`), was quarantined, or recovered
   * (`closed`, window.end set). Every dose inside it during the window is affected.
   */
  'coldchain.excursion': {
    excursionId: string;
    storageId: string;
    storageKind: 'fridge' | 'cabinet_drawer' | 'robot_compartment';
    ward: string | null;
    status: 'excursion' | 'quarantine' | 'closed' | 'released' | 'destroyed';
    window: { start: string; end: string | null };
    minC: number;
    maxC: number;
    at: string;
  };
}

export type DomainEvent = { [K in keyof DomainEventMap]: { type: K; payload: DomainEventMap[K] } }[keyof DomainEventMap];

@Injectable()
export class EventBus {
  private readonly subject = new Subject<DomainEvent>();

  emit<K extends keyof DomainEventMap>(type: K, payload: DomainEventMap[K]): void {
    // a reaction is not part of the request that set it off: it must not take its Idempotency-Key
    outsideIdempotencyScope(() => this.subject.next({ type, payload } as DomainEvent));
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
