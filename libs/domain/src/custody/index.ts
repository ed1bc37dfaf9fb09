export {
  EPCIS_BIZ_STEPS,
  EPCIS_DISPOSITIONS,
  MEDICATION_ADMINISTRATION_STATUSES,
  MEDICATION_DISPENSE_STATUSES,
  MEDICATION_REQUEST_STATUSES,
  TASK_STATUSES,
} from './standards.js';
export type {
  EpcisBizStep,
  EpcisDisposition,
  EpcisStep,
  MedicationAdministrationStatus,
  MedicationDispenseStatus,
  MedicationRequestStatus,
  TaskStatus,
} from './standards.js';
export { ORDER_FHIR_STATUS, ORDER_HALTED_STATES, ORDER_SUPPLY_STATES, orderMachine } from './order.machine.js';
export type { OrderState } from './order.machine.js';
export { DOSE_EPCIS_STEP, DOSE_FHIR_DISPENSE_STATUS, doseMachine } from './dose.machine.js';
export type { DoseState, DoseTransitionContext, HoldableDoseState } from './dose.machine.js';
export { DELIVERY_FHIR_TASK_STATUS, deliveryMachine } from './delivery.machine.js';
export type { DeliveryState } from './delivery.machine.js';
export { ADMINISTRATION_FHIR_STATUS, administrationMachine, OPEN_ADMINISTRATION_STATES } from './administration.machine.js';
export type { AdministrationState } from './administration.machine.js';
export { assertCompartmentsLoadable, assertRobotCanTakeDelivery, DELIVERY_REQUIRED_ACTIONS } from './loading-checks.js';
export type { CompartmentRequest, CompartmentReservation, LoadingRobot } from './loading-checks.js';
export {
  DEFAULT_TIME_OUT_OF_REFRIGERATION_MINUTES,
  doseMinutesOutOfRefrigeration,
  locatedAt,
  locationHistory,
  locationKey,
  minutesOutOfRefrigeration,
  overlaps,
  parseLocation,
  placeOrPharmacy,
  wasAt,
} from './dose-location.js';
export type { DoseLocation, LocatedEvent, LocationInterval, LocationKind } from './dose-location.js';
export { aggregateOf, DerivedStates, STATE_TABLES, stateMismatches } from './state-replay.js';
export type { ReplayEvent, StateMismatch, StateRow, StateTable } from './state-replay.js';
