/**
 * The one alarm service: robot, cabinet, sensor and custody alarms all go through it, with one
 * lifecycle (raised → acknowledged → cleared; see libs/domain alarmMachine), persisted, and
 * every change announced on the event bus for nurse stations. A condition is identified by a
 * key: raising it again while its alarm is open counts an occurrence, never a duplicate.
 */
import { randomUUID } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { type AlarmSeverity, type AlarmState, ForbiddenError, NotFoundError, alarmMachine, assertTransition } from '#domain';
import { type AlarmEntity, AlarmsRepository } from '#persistence';
import type { AuthUser } from '../common/auth.decorators.js';
import { EventBus } from '../common/events.js';
import { KeyedQueue } from '../common/keyed-queue.js';

export interface RaiseAlarm {
  /** identifies the condition, e.g. `robot.stale:rbt-1` */
  key: string;
  type: string;
  severity: AlarmSeverity;
  ward?: string | null | undefined;
  sourceKind: string;
  sourceId: string;
  message: string;
  details?: Record<string, unknown> | undefined;
}

export interface AlarmView {
  id: string;
  key: string;
  type: string;
  severity: AlarmSeverity;
  state: AlarmState;
  ward: string | null;
  source: { kind: string; id: string };
  message: string;
  details: Record<string, unknown>;
  occurrences: number;
  raisedAt: string;
  lastRaisedAt: string;
  acknowledged: { at: string; by: string } | null;
  cleared: { at: string; reason: string | null } | null;
  escalationLevel: number;
}

export type AlarmChange = 'raised' | 'repeated' | 'acknowledged' | 'cleared' | 'escalated';

export function toAlarmView(a: AlarmEntity): AlarmView {
  return {
    id: a.id,
    key: a.key,
    type: a.type,
    severity: a.severity,
    state: a.state,
    ward: a.ward,
    source: { kind: a.sourceKind, id: a.sourceId },
    message: a.message,
    details: a.details,
    occurrences: a.occurrences,
    raisedAt: a.raisedAt.toISOString(),
    lastRaisedAt: a.lastRaisedAt.toISOString(),
    acknowledged: a.acknowledgedAt ? { at: a.acknowledgedAt.toISOString(), by: a.acknowledgedBy ?? 'unknown' } : null,
    cleared: a.clearedAt ? { at: a.clearedAt.toISOString(), reason: a.clearedReason } : null,
    escalationLevel: a.escalationLevel,
  };
}

/** Roles that oversee every ward; nurses see and acknowledge only their own wards' alarms. */
const ALL_WARD_ROLES = new Set(['admin', 'pharmacist', 'ward_pharmacist']);

@Injectable()
export class AlarmsService implements OnModuleInit {
  /** open (not cleared) alarms by condition key */
  private readonly open = new Map<string, AlarmEntity>();
  /** serialises changes per key so concurrent raises of one condition stay one alarm */
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly alarms: AlarmsRepository,
    private readonly bus: EventBus,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const a of await this.alarms.findOpen()) this.open.set(a.key, a);
  }

  isOpen(key: string): boolean {
    return this.open.has(key);
  }

  raise(input: RaiseAlarm): Promise<AlarmView> {
    return this.queue.run(input.key, async () => {
      const now = new Date();
      const existing = this.open.get(input.key);
      if (existing) {
        existing.occurrences += 1;
        existing.lastRaisedAt = now;
        existing.message = input.message;
        if (input.details) existing.details = input.details;
        await this.alarms.update(existing.id, { occurrences: existing.occurrences, lastRaisedAt: now, message: existing.message, details: existing.details });
        return this.announce(existing, 'repeated');
      }
      const alarm: AlarmEntity = {
        id: randomUUID(),
        key: input.key,
        type: input.type,
        severity: input.severity,
        state: 'raised',
        ward: input.ward ?? null,
        sourceKind: input.sourceKind,
        sourceId: input.sourceId,
        message: input.message,
        details: input.details ?? {},
        occurrences: 1,
        raisedAt: now,
        lastRaisedAt: now,
        acknowledgedAt: null,
        acknowledgedBy: null,
        clearedAt: null,
        clearedReason: null,
        escalationLevel: 0,
        escalatedAt: null,
      };
      await this.alarms.insert(alarm);
      this.open.set(alarm.key, alarm);
      return this.announce(alarm, 'raised');
    });
  }

  /** The condition is gone. No-op (null) when no alarm with that key is open. */
  clear(key: string, reason: string): Promise<AlarmView | null> {
    return this.queue.run(key, async () => {
      const a = this.open.get(key);
      if (!a) return null;
      assertTransition(alarmMachine, a.state, 'cleared');
      const now = new Date();
      a.state = 'cleared';
      a.clearedAt = now;
      a.clearedReason = reason.slice(0, 200);
      await this.alarms.update(a.id, { state: a.state, clearedAt: now, clearedReason: a.clearedReason });
      this.open.delete(key);
      return this.announce(a, 'cleared');
    });
  }

  async acknowledge(id: string, user: AuthUser): Promise<AlarmView> {
    const found = await this.alarms.findById(id);
    if (!found) throw new NotFoundError('Alarm', id);
    this.assertCanSee(found, user);
    return this.queue.run(found.key, async () => {
      // the in-memory copy is authoritative for open alarms
      const a = this.open.get(found.key)?.id === id ? this.open.get(found.key)! : ((await this.alarms.findById(id)) ?? found);
      if (a.state === 'cleared' && !a.acknowledgedAt) {
        // cleared before anyone saw it: acknowledging records who saw it, state stays cleared
        a.acknowledgedAt = new Date();
        a.acknowledgedBy = user.username;
        await this.alarms.update(a.id, { acknowledgedAt: a.acknowledgedAt, acknowledgedBy: a.acknowledgedBy });
        return this.announce(a, 'acknowledged');
      }
      assertTransition(alarmMachine, a.state, 'acknowledged');
      a.state = 'acknowledged';
      a.acknowledgedAt = new Date();
      a.acknowledgedBy = user.username;
      await this.alarms.update(a.id, { state: a.state, acknowledgedAt: a.acknowledgedAt, acknowledgedBy: a.acknowledgedBy });
      return this.announce(a, 'acknowledged');
    });
  }

  /** Raises an unacknowledged alarm's escalation level (the escalation policy decides when). */
  escalate(key: string, level: number, details: Record<string, unknown> = {}): Promise<AlarmView | null> {
    return this.queue.run(key, async () => {
      const a = this.open.get(key);
      if (!a || a.state !== 'raised' || a.escalationLevel >= level) return null;
      a.escalationLevel = level;
      a.escalatedAt = new Date();
      a.details = { ...a.details, escalation: details };
      await this.alarms.update(a.id, { escalationLevel: level, escalatedAt: a.escalatedAt, details: a.details });
      return this.announce(a, 'escalated');
    });
  }

  openAlarms(): readonly AlarmEntity[] {
    return [...this.open.values()];
  }

  async list(
    filter: {
      ward?: string | undefined;
      state?: AlarmState | 'open' | undefined;
      severity?: AlarmSeverity | undefined;
      type?: string | undefined;
      limit?: number | undefined;
    },
    user: AuthUser,
  ): Promise<AlarmView[]> {
    let wards: string[] | undefined = filter.ward ? [filter.ward] : undefined;
    if (!ALL_WARD_ROLES.has(user.role)) {
      if (filter.ward && !user.wards.includes(filter.ward)) throw new ForbiddenError(`not assigned to ward '${filter.ward}'`, 'ward_forbidden');
      wards = filter.ward ? [filter.ward] : user.wards;
    }
    return (await this.alarms.list({ ...filter, wards })).map(toAlarmView);
  }

  async get(id: string, user: AuthUser): Promise<AlarmView> {
    const a = await this.alarms.findById(id);
    if (!a) throw new NotFoundError('Alarm', id);
    this.assertCanSee(a, user);
    return toAlarmView(a);
  }

  private assertCanSee(a: AlarmEntity, user: AuthUser): void {
    if (ALL_WARD_ROLES.has(user.role)) return;
    // a nurse sees her wards' alarms; not-found rather than forbidden would leak less, but a
    // nurse legitimately needs to know the alarm exists and belongs elsewhere
    if (!a.ward || !user.wards.includes(a.ward)) throw new ForbiddenError('this alarm belongs to a ward you are not assigned to', 'ward_forbidden');
  }

  private announce(a: AlarmEntity, change: AlarmChange): AlarmView {
    const view = toAlarmView(a);
    this.bus.emit('alarm.changed', { change, alarm: view });
    return view;
  }
}
