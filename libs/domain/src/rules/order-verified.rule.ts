/**
 * The pharmacist verification gate of the closed loop: no dose is dispensed, picked or loaded
 * for an order that a pharmacist has not verified. Owns the guard and its explanation.
 */
import { RuleViolationError } from '../errors.js';
import { ORDER_SUPPLY_STATES, type OrderState } from '../custody/order.machine.js';

const WHY_NOT: Readonly<Partial<Record<OrderState, string>>> = {
  draft: 'is still a draft',
  active: 'is awaiting pharmacist verification',
  on_hold: 'is on hold for clarification',
  rejected: 'was rejected by the pharmacist',
};

/** Throws RuleViolationError `order_not_verified` unless the order is in a supply state. */
export function assertOrderVerified(orderStatus: OrderState, orderId?: string): void {
  if (ORDER_SUPPLY_STATES.includes(orderStatus)) return;
  const subject = orderId === undefined ? 'the order' : `order ${orderId}`;
  const why = WHY_NOT[orderStatus] ?? `is ${orderStatus.replaceAll('_', ' ')}`;
  throw new RuleViolationError(`${subject} ${why}; doses can only be dispensed or loaded for a pharmacist-verified order`, 'order_not_verified', {
    status: orderStatus,
    ...(orderId === undefined ? {} : { orderId }),
  });
}
