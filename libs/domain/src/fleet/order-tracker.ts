/**
 * Reliable delivery of orders over MQTT QoS 0, as pure bookkeeping for one robot.
 *
 * An order counts as delivered only when the robot's state echoes its orderId and
 * orderUpdateId (or a later update of the same order, which implies this one arrived). Until
 * then the same message is resent after `ackTimeoutMs`, and after `maxAttempts` sends the
 * caller is told to give up and raise an alarm. Resending is safe: a robot treats an order
 * whose ids it already runs as a resend and only re-echoes them.
 *
 * The caller owns clocks and timers: every method takes `now` (ms, any epoch).
 */
import { orderAcknowledged, type State, type VdaError } from '#contracts';
import { ValidationError } from '../errors.js';

export interface OrderTrackerOptions {
  /** How long to wait for a state echoing the ids before resending. */
  ackTimeoutMs: number;
  /** Sends in total, the first one included, before giving up. */
  maxAttempts: number;
}

export type OrderTrackerStatus = 'pending' | 'acknowledged' | 'rejected';

export interface TrackedOrder {
  orderId: string;
  orderUpdateId: number;
  status: OrderTrackerStatus;
  firstSentAt: number;
  /** Time of the latest send (first or resend). */
  sentAt: number;
  attempts: number;
  acknowledgedAt?: number;
  /** The robot's error when it refused the order (status 'rejected'). */
  rejection?: VdaError;
}

/** What a state message changed: 'none' when nothing (also for repeated echoes). */
export type OrderTrackerEvent = 'acknowledged' | 'rejected' | 'none';
export type OrderTrackerDecision = 'resend' | 'give_up' | 'wait';

/**
 * Error types a robot reports when it refuses an order or update (VDA 5050 2.x and
 * EXTENSIONS.md). noRouteError is the standard's "cannot plan/drive the given route".
 */
export const ORDER_REJECTION_ERROR_TYPES: readonly string[] = ['orderError', 'orderUpdateError', 'validationError', 'noRouteError'];

function reference(error: VdaError, key: string): string | undefined {
  return error.errorReferences?.find((r) => r.referenceKey === key)?.referenceValue;
}

/**
 * The robot's error refusing exactly this order update, if any. Both the orderId and the
 * orderUpdateId reference must match: a robot keeps an old rejection in its errors until it
 * accepts something, and reading that as the refusal of a newer update would stop resends
 * of an update that is merely lost. A rejection without references is therefore not
 * recognised; the order then ends in 'give_up', which raises the same alarm later.
 */
export function findOrderRejection(state: Pick<State, 'errors'>, orderId: string, orderUpdateId: number): VdaError | undefined {
  return state.errors.find(
    (e) => ORDER_REJECTION_ERROR_TYPES.includes(e.errorType) && reference(e, 'orderId') === orderId && reference(e, 'orderUpdateId') === String(orderUpdateId),
  );
}

export class OrderTracker {
  private current: TrackedOrder | undefined;

  constructor(
    private readonly options: OrderTrackerOptions,
    /** A snapshot from `tracked`, to continue after a control-plane restart. */
    restored?: TrackedOrder,
  ) {
    if (!(options.ackTimeoutMs > 0)) throw new ValidationError(`ackTimeoutMs must be positive, got ${options.ackTimeoutMs}`, 'ackTimeoutMs');
    if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1) {
      throw new ValidationError(`maxAttempts must be an integer >= 1, got ${options.maxAttempts}`, 'maxAttempts');
    }
    this.current = restored && { ...restored };
  }

  /** The order being tracked (a copy, e.g. to persist), or undefined before the first send. */
  get tracked(): TrackedOrder | undefined {
    return this.current && { ...this.current };
  }

  /** Sends of the tracked order so far, the first one included. */
  get attempts(): number {
    return this.current?.attempts ?? 0;
  }

  get acknowledged(): boolean {
    return this.current?.status === 'acknowledged';
  }

  /**
   * Record that an order message was published. The same ids again count as a resend; other
   * ids replace the tracked order (only the latest order or update matters to the robot).
   */
  onSent(orderId: string, orderUpdateId: number, now: number): void {
    const c = this.current;
    if (c && c.orderId === orderId && c.orderUpdateId === orderUpdateId) {
      c.attempts += 1;
      c.sentAt = now;
      return;
    }
    this.current = { orderId, orderUpdateId, status: 'pending', firstSentAt: now, sentAt: now, attempts: 1 };
  }

  /**
   * Read a state message of this robot. An acknowledgement is accepted at any time, also
   * after a resend or after giving up (a late echo clears the alarm).
   */
  onState(state: Pick<State, 'orderId' | 'orderUpdateId' | 'errors'>, now: number): OrderTrackerEvent {
    const c = this.current;
    if (!c || c.status === 'acknowledged') return 'none';
    const echoed = orderAcknowledged(state, c.orderId, c.orderUpdateId) || (state.orderId === c.orderId && state.orderUpdateId > c.orderUpdateId);
    if (echoed) {
      c.status = 'acknowledged';
      c.acknowledgedAt = now;
      delete c.rejection;
      return 'acknowledged';
    }
    if (c.status === 'rejected') return 'none';
    const rejection = findOrderRejection(state, c.orderId, c.orderUpdateId);
    if (!rejection) return 'none';
    c.status = 'rejected';
    c.rejection = rejection;
    return 'rejected';
  }

  /**
   * What to do now. 'give_up' is repeated on every call until something new is sent or
   * `clear()` is called, so a caller that missed it (e.g. restarted) still sees it; a
   * refused order is given up at once, since resending the same message cannot help.
   */
  due(now: number): OrderTrackerDecision {
    const c = this.current;
    if (!c || c.status === 'acknowledged') return 'wait';
    if (c.status === 'rejected') return 'give_up';
    if (now - c.sentAt < this.options.ackTimeoutMs) return 'wait';
    return c.attempts >= this.options.maxAttempts ? 'give_up' : 'resend';
  }

  /** When `due` next changes its answer from 'wait'; undefined when nothing is pending. */
  nextCheckAt(): number | undefined {
    const c = this.current;
    return c && c.status === 'pending' ? c.sentAt + this.options.ackTimeoutMs : undefined;
  }

  /** Forget the tracked order (cancelled, or handed to the alarm after giving up). */
  clear(): void {
    this.current = undefined;
  }
}
