/**
 * Small readers of robot state shared by the control plane and simulators. QoS 0 orders can
 * be lost, so "sent" never means "accepted": only a state that echoes the ids does.
 */
import type { State } from './vda5050.types.js';

/** True when the robot's state echoes both ids, i.e. the robot has accepted that order update. */
export function orderAcknowledged(state: Pick<State, 'orderId' | 'orderUpdateId'>, orderId: string, orderUpdateId: number): boolean {
  return state.orderId === orderId && state.orderUpdateId === orderUpdateId;
}

/** Current ISO 8601 UTC timestamp in the form the standard shows (`…T11:40:03.12Z`). */
export function vdaTimestamp(date: Date = new Date()): string {
  return date.toISOString();
}
