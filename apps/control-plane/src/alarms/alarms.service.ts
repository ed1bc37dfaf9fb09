/**
 * The one alarm service: robot, cabinet, sensor and custody alarms all go through it, with one
 * lifecycle (raised → acknowledged → cleared; see libs/domain alarmMachine), persisted, and
 * every change announced on the event bus for nurse stations. A condition is identified by a
 * key: raising it again while its alarm is open counts an occurrence, never a duplicate.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  type AlarmClearance,
  type AlarmParams,
  type AlarmSeverity,
  type AlarmState,
  type AlarmType,
  type AlarmWordingContext,
  ConflictError,
  acknowledgeRoles,
  assertInWardScope,
  ForbiddenError,
  NotFoundError,
  RuleViolationError,
  alarmKey,
  alarmMachine,
  alarmSpec,
  alarmSubject,
  alarmTitle,
  assertTransition,
  describeAlarm,
  wardsInScope,
} from '#domain';
import { AlarmEntity, AlarmsRepository, IdempotencyKeyEntity, runTransaction } from '#persistence';
import type { AlarmChange, AlarmView as ContractAlarmView } from '#contracts';
import type { AuthUser } from '../common/auth.decorators.js';
import { EventBus } from '../common/events.js';
import { idempotencyRow, pendingIdempotencyScope } from '../common/idempotency.js';
import { KeyedQueue } from '../common/keyed-queue.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';

/**
 * One raise: the caller names the catalogued type, the subject (key = `{type}:{subject}`) and
 * the type's parameters; severity, title and message come from the catalogue
 * (libs/domain/alarms/alarm-catalogue). The parameters are stored as the alarm's details,
 * with `details` (facts for machines, not wording) beside them.
 */
export type RaiseAlarm = {
  [T in AlarmType]: {
    type: T;
    /** what the alarm is about, e.g. the robot id: key = `{type}:{subject}` */
    subject: string;
    params: AlarmParams<T>;
    ward?: string | null | undefined;
    sourceKind: string;
    sourceId: string;
    details?: Record<string, unknown> | undefined;
  };
}[AlarmType];

/** A raise without its ward and source, for a feature that adds those once for all its alarms. */
export type RaiseAlarmAbout = RaiseAlarm extends infer R ? (R extends RaiseAlarm ? Omit<R, 'ward' | 'sourceKind' | 'sourceId'> : never) : never;

/** Who closed a `resolution` alarm, when and why (stored in the alarm's details). */
export type AlarmResolution = NonNullable<ContractAlarmView['resolution']>;

/** The contract's alarm view (libs/contracts/src/alarms), with the domain's severity and state. */
export interface AlarmView extends ContractAlarmView {
  severity: AlarmSeverity;
  state: AlarmState;
  clears: AlarmClearance | null;
}

export function toAlarmView(a: AlarmEntity): AlarmView {
  return {
    id: a.id,
    key: a.key,
    type: a.type,
    severity: a.severity,
    state: a.state,
    ward: a.ward,
    source: { kind: a.sourceKind, id: a.sourceId },
    title: alarmTitle(a.type, a.details),
    message: a.message,
    details: a.details,
    occurrences: a.occurrences,
    raisedAt: a.raisedAt.toISOString(),
    lastRaisedAt: a.lastRaisedAt.toISOString(),
    acknowledged: a.acknowledgedAt ? { at: a.acknowledgedAt.toISOString(), by: a.acknowledgedBy ?? 'unknown' } : null,
    cleared: a.clearedAt ? { at: a.clearedAt.toISOString(), reason: a.clearedReason } : null,
    clears: alarmSpec(a.type)?.clears ?? null,
    acknowledgeRoles: acknowledgeRoles(a.type),
    resolution: (a.details['resolution'] as AlarmResolution | undefined) ?? null,
    escalationLevel: a.escalationLevel,
  };
}

/** The catalogue key of a stored alarm (rows of older releases were keyed otherwise, e.g. `robot.fatal:…`). */
function canonicalKey(a: AlarmEntity): string {
  return alarmSpec(a.type) && !a.key.startsWith(`${a.type}:`) ? alarmKey(a.type as AlarmType, alarmSubject(a.key)) : a.key;
}

/**
 * The open alarms by key, and by type: the condition listeners look up the few open alarms of
 * one type on every robot state (1,000 robots at 1 Hz), not every open alarm.
 */
class OpenAlarms extends Map<string, AlarmEntity> {
  private readonly byType = new Map<string, Map<string, AlarmEntity>>();

  override set(key: string, a: AlarmEntity): this {
    const prev = this.get(key);
    if (prev) this.byType.get(prev.type)?.delete(key);
    let of = this.byType.get(a.type);
    if (!of) this.byType.set(a.type, (of = new Map()));
    of.set(key, a);
    return super.set(key, a);
  }

  override delete(key: string): boolean {
    const prev = this.get(key);
    if (prev) this.byType.get(prev.type)?.delete(key);
    return super.delete(key);
  }

  ofType(type: string): AlarmEntity[] {
    const of = this.byType.get(type);
    return of ? [...of.values()] : [];
  }
}

@Injectable()
export class AlarmsService implements OnModuleInit {
  /** open (not cleared) alarms by condition key */
  private readonly open = new OpenAlarms();
  /** serialises changes per key so concurrent raises of one condition stay one alarm */
  private readonly queue = new KeyedQueue();
  /** how messages are worded: times in the site's local time */
  readonly wording: AlarmWordingContext;

  constructor(
    private readonly alarms: AlarmsRepository,
    private readonly bus: EventBus,
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.wording = { timeZone: config.alarmEngine.siteTimeZone };
  }

  async onModuleInit(): Promise<void> {
    for (const a of await this.alarms.findOpen()) {
      // rows of older releases keyed otherwise (`robot.fatal:…`, `alarm-rule:…`) are found
      // by their catalogue key: type and key agree from now on
      a.key = canonicalKey(a);
      this.open.set(a.key, a);
    }
  }

  isOpen(key: string): boolean {
    return this.open.has(key);
  }

  /**
   * New facts about a condition that is still open (not a new occurrence): the message and
   * details are rewritten from the catalogue and announced; nothing happens once it cleared.
   */
  update(input: RaiseAlarm): Promise<AlarmView | null> {
    const key = alarmKey(input.type, input.subject);
    const { message } = describeAlarm(input, this.wording);
    const details: Record<string, unknown> = { ...(input.details ?? {}), ...(input.params as object) };
    return this.queue.run(key, async () => {
      const a = this.open.get(key);
      if (!a) return null;
      a.message = message.slice(0, 500);
      a.details = { ...a.details, ...details };
      await this.alarms.update(a.id, { message: a.message, details: a.details });
      return this.announce(a, 'repeated');
    });
  }

  raise(input: RaiseAlarm): Promise<AlarmView> {
    const key = alarmKey(input.type, input.subject);
    const { severity, message } = describeAlarm(input, this.wording);
    const details: Record<string, unknown> = { ...(input.details ?? {}), ...(input.params as object) };
    return this.queue.run(key, async () => {
      const now = new Date();
      const existing = this.open.get(key);
      if (existing) {
        existing.occurrences += 1;
        existing.lastRaisedAt = now;
        existing.message = message.slice(0, 500);
        existing.details = { ...existing.details, ...details };
        await this.alarms.update(existing.id, { occurrences: existing.occurrences, lastRaisedAt: now, message: existing.message, details: existing.details });
        return this.announce(existing, 'repeated');
      }
      const alarm: AlarmEntity = {
        id: randomUUID(),
        key,
        type: input.type,
        severity,
        state: 'raised',
        ward: input.ward ?? null,
        sourceKind: input.sourceKind,
        sourceId: input.sourceId,
        message: message.slice(0, 500),
        details,
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

  /**
   * Someone is on it: stops the escalation. 403 `alarm_acknowledge_role_required` (naming the
   * roles) for an alarm that waits for a decision of other roles (catalogue `acknowledge`).
   */
  async acknowledge(id: string, user: AuthUser): Promise<AlarmView> {
    const found = await this.alarms.findById(id);
    if (!found) throw new NotFoundError('Alarm', id);
    this.assertCanSee(found, user);
    const roles = acknowledgeRoles(found.type);
    if (roles && !(roles as readonly string[]).includes(user.role))
      throw new ForbiddenError(
        `a ${found.type} alarm waits for a decision of a ${roles.join(' or ')}: only they may acknowledge it`,
        'alarm_acknowledge_role_required',
        { type: found.type, requiredRoles: roles, role: user.role },
      );
    const key = canonicalKey(found);
    return this.queue.run(key, async () => {
      // the in-memory copy is authoritative for open alarms
      const a = this.open.get(key)?.id === id ? this.open.get(key)! : ((await this.alarms.findById(id)) ?? found);
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

  /**
   * A person closes an alarm whose type clears by resolution (catalogue), with a reason: only
   * the roles the catalogue lists, a nurse only on her wards. The resolution (who, role, when,
   * why) is stored on the alarm, with the Idempotency-Key, in one transaction, and shown in its
   * view. Announced as `cleared`: custody hears a custody alarm's resolution and records it on
   * the delivery's custody ledger.
   */
  async resolve(id: string, reason: string, user: AuthUser): Promise<AlarmView> {
    const found = await this.alarms.findById(id);
    if (!found) throw new NotFoundError('Alarm', id);
    this.assertCanSee(found, user);
    const spec = alarmSpec(found.type);
    if (!spec)
      throw new RuleViolationError(`alarm type '${found.type}' is not in the alarm catalogue: it cannot be resolved by hand`, 'alarm_not_resolvable', {
        type: found.type,
      });
    if (spec.clears.by !== 'resolution')
      throw new RuleViolationError(
        `a ${found.type} alarm clears by itself when ${spec.clears.condition}; it cannot be resolved by hand`,
        'alarm_clears_by_condition',
        { type: found.type, condition: spec.clears.condition },
      );
    const clears = spec.clears;
    if (!(clears.roles as readonly string[]).includes(user.role))
      throw new ForbiddenError(`only ${clears.roles.join(' or ')} may resolve a ${found.type} alarm`, 'role_forbidden', { roles: clears.roles });
    const key = canonicalKey(found);
    return this.queue.run(key, async () => {
      const a = this.open.get(key)?.id === id ? this.open.get(key)! : ((await this.alarms.findById(id)) ?? found);
      if (a.state === 'cleared')
        throw new ConflictError(
          `this alarm was already cleared at ${a.clearedAt?.toISOString() ?? '?'} (${a.clearedReason ?? 'no reason'})`,
          'alarm_already_cleared',
          {
            clearedAt: a.clearedAt?.toISOString() ?? null,
          },
        );
      assertTransition(alarmMachine, a.state, 'cleared');
      const now = new Date();
      const resolution: AlarmResolution = { by: user.username, role: user.role, reason, at: now.toISOString() };
      const patch: Pick<AlarmEntity, 'state' | 'clearedAt' | 'clearedReason' | 'details'> = {
        state: 'cleared',
        clearedAt: now,
        clearedReason: `resolved by ${user.username}: ${reason}`.slice(0, 200),
        details: { ...a.details, resolution },
      };
      const idem = pendingIdempotencyScope();
      await runTransaction(this.ds, async (em) => {
        await em.update(AlarmEntity, { id: a.id }, patch);
        if (idem && !idem.stored && !idem.closed)
          await em.insert(IdempotencyKeyEntity, idempotencyRow(idem, [{ action: 'alarm_resolved', alarmId: a.id, type: a.type }]));
      });
      if (idem) idem.stored = true;
      Object.assign(a, patch);
      if (this.open.get(key)?.id === a.id) this.open.delete(key);
      return this.announce(a, 'cleared');
    });
  }

  /** Open alarms of one catalogued type (the condition listeners look through these). */
  openOfType(type: AlarmType): AlarmEntity[] {
    return this.open.ofType(type);
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
    // the ward-scope rule, applied in the query: a ward-bound caller's alarms are those of its wards
    if (filter.ward) assertInWardScope(user, filter.ward);
    const scope = wardsInScope(user);
    const wards: string[] | undefined = filter.ward ? [filter.ward] : scope ? [...scope] : undefined;
    return (await this.alarms.list({ ...filter, wards })).map(toAlarmView);
  }

  async get(id: string, user: AuthUser): Promise<AlarmView> {
    const a = await this.alarms.findById(id);
    if (!a) throw new NotFoundError('Alarm', id);
    this.assertCanSee(a, user);
    return toAlarmView(a);
  }

  private assertCanSee(a: AlarmEntity, user: AuthUser): void {
    // the routes refuse another ward's alarm before this (WardScopeGuard); kept for other callers
    assertInWardScope(user, a.ward);
  }

  private announce(a: AlarmEntity, change: AlarmChange): AlarmView {
    const view = toAlarmView(a);
    this.bus.emit('alarm.changed', { change, alarm: view });
    return view;
  }
}
