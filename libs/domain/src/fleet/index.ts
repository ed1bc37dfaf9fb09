// Fleet: VDA 5050 orders for transport missions, their reliable delivery and their progress.
export { buildDivertUpdate, buildOrder, buildOrderUpdate, lastBaseIndex, nodeThetas } from './order-builder.js';
export type { BuiltOrder, MissionOrderPlan, MissionStop, OrderBody, OrderRoutePlan, OrderUpdateChange, PlacedStop } from './order-builder.js';
export { stopActionToVda, vdaActionType } from './stop-actions.js';
export type { StopActionKind, StopActionSpec } from './stop-actions.js';
export { findOrderRejection, ORDER_REJECTION_ERROR_TYPES, OrderTracker } from './order-tracker.js';
export type { OrderTrackerDecision, OrderTrackerEvent, OrderTrackerOptions, OrderTrackerStatus, TrackedOrder } from './order-tracker.js';
export { deriveProgress } from './mission-progress.js';
export { mapMismatch } from './map-consistency.js';
export type { MapMismatch, MapReport } from './map-consistency.js';
export type { MissionPhase, MissionProgress, ProgressStop } from './mission-progress.js';
export {
  isMessageRefusal,
  MAX_MESSAGE_REFUSALS_PER_STATE,
  MESSAGE_REFUSAL_ERROR_TYPES,
  MESSAGE_REFUSAL_TEXT_MAX,
  messageRefusals,
} from './message-refusals.js';
export type { MessageRefusal } from './message-refusals.js';
