/**
 * Condition clears driven by the alarm catalogue: for the `condition` types whose condition
 * ends somewhere the raising feature does not look (a robot's later state or connection, a
 * mission's or delivery's later change, a lock's expiry), this table says which bus event
 * ends it, and the service clears every open alarm of that type it ends. The raising features
 * (fleet, custody, auth) stay untouched: they announce facts, this feature draws the
 * conclusion. Other condition types are cleared where they are raised (see the catalogue spec).
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import { type AlarmParams, type AlarmType, alarmSubject } from '#domain';
import { type DomainEventMap, type DomainEventType, EventBus } from '../common/events.js';
import { LOGGER } from '../common/logger.js';
import { AlarmsService } from './alarms.service.js';

/** For one event: the reason the alarm's condition ended, or null when it still holds. */
type EndsWhen<T extends AlarmType> = { [E in DomainEventType]?: (event: DomainEventMap[E], params: AlarmParams<T>, subject: string) => string | null };

/** Delivery states in which a delivery no longer waits for its robot or its receipt. */
const DELIVERY_ENDED = ['completed', 'returned', 'cancelled'];

/** Dose states a bedside outcome (given, held, refused) leaves a dose in. */
const DOSE_RECORDED = ['administered', 'held', 'refused'];

export const CONDITION_WATCHES: { readonly [T in AlarmType]?: EndsWhen<T> } = {
  'robot.fatal_error': {
    'robot.state': (e, _p, robotId) =>
      e.deviceId === robotId && !(e.state.errors ?? []).some((x) => x.errorLevel === 'FATAL') ? 'the robot reports no FATAL error any more' : null,
  },
  'mission.order_unacknowledged': {
    // the very order update that went unanswered (an order keeps its id across horizon updates), and not one it refused
    'robot.state': (e, p) =>
      e.deviceId === p.robotId &&
      p.refusal === null &&
      e.state.orderId === p.orderId &&
      p.orderUpdateId !== undefined &&
      e.state.orderUpdateId >= p.orderUpdateId
        ? `the robot acknowledged order ${p.orderId} (update ${p.orderUpdateId}) after all`
        : null,
    'mission.changed': (e, p, missionId) => {
      if (e.missionId === missionId) return e.status === 'finished' || e.status === 'cancelled' ? `mission ${e.status}` : null;
      // a mission runs only once its robot acknowledged the order: the robot takes orders again
      return e.robotId === p.robotId && ['running', 'at_stop', 'finished'].includes(e.status) ? `the robot took the order of mission ${e.missionId}` : null;
    },
  },
  // the delivery failed with its doses aboard: the robot coming back does not bring them to the
  // ward, a person's decision (a courier, a return) or the delivery's end does
  'custody.robot_lost': {
    'custody.delivery_changed': (e, _p, deliveryId) =>
      e.deliveryId === deliveryId && (e.state === 'escalated_manual' || DELIVERY_ENDED.includes(e.state))
        ? e.state === 'escalated_manual'
          ? 'handed to a courier'
          : `delivery ${e.state}`
        : null,
  },
  // the bedside outcome moves the slot's dose: the dose is no longer awaited (the custody tick clears the other ends)
  'custody.dose_late': {
    'custody.dose_changed': (e, p) => (p.doseId !== null && e.doseId === p.doseId && DOSE_RECORDED.includes(e.state) ? `dose ${e.state}` : null),
  },
  'custody.receipt_overdue': {
    'custody.delivery_changed': (e, _p, deliveryId) => (e.deliveryId === deliveryId && DELIVERY_ENDED.includes(e.state) ? `delivery ${e.state}` : null),
  },
};

/** Types whose condition is a deadline in their parameters: cleared when it passes. */
export const CONDITION_DEADLINES: { readonly [T in AlarmType]?: (params: AlarmParams<T>) => string | null } = {
  'security.sign_in_locked': (p) => p.lockedUntil,
  'security.badge_locked': (p) => p.lockedUntil,
};

const DEADLINE_CHECK_MS = 5_000;

@Injectable()
export class AlarmConditionsService implements OnApplicationBootstrap, OnModuleDestroy {
  private subs: Subscription[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly alarms: AlarmsService,
    private readonly bus: EventBus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const events = new Set(Object.values(CONDITION_WATCHES).flatMap((w) => Object.keys(w ?? {}) as DomainEventType[]));
    for (const type of events) this.subs.push(this.bus.on(type).subscribe((e) => this.onEvent(type, e)));
    this.timer = setInterval(() => this.checkDeadlines(Date.now()), DEADLINE_CHECK_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    for (const s of this.subs) s.unsubscribe();
  }

  private onEvent(event: DomainEventType, payload: unknown): void {
    for (const [type, watch] of Object.entries(CONDITION_WATCHES) as [AlarmType, Record<string, EndsWhen<AlarmType>[DomainEventType]>][]) {
      const ends = watch[event] as ((e: unknown, p: unknown, subject: string) => string | null) | undefined;
      if (!ends) continue;
      for (const a of this.alarms.openOfType(type)) {
        // rows of older releases kept the robot only as the alarm's source
        const params = a.sourceKind === 'robot' && a.details['robotId'] === undefined ? { ...a.details, robotId: a.sourceId } : a.details;
        const reason = ends(payload, params, alarmSubject(a.key));
        if (reason) this.clear(a.key, reason);
      }
    }
  }

  /** Clears the alarms whose deadline passed (also called by tests with a clock of their own). */
  checkDeadlines(now: number): void {
    for (const [type, deadline] of Object.entries(CONDITION_DEADLINES) as [AlarmType, (p: unknown) => string | null][]) {
      for (const a of this.alarms.openOfType(type)) {
        const until = deadline(a.details);
        if (until && Date.parse(until) <= now) this.clear(a.key, `expired at ${until}`);
      }
    }
  }

  private clear(key: string, reason: string): void {
    this.alarms.clear(key, reason).catch((err: unknown) => this.logger.error({ err, key }, 'could not clear an alarm whose condition ended'));
  }
}
