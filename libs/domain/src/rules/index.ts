export { compareDoseQuantities } from './dose-quantity.js';
export type { DoseQuantity, QuantityComparison } from './dose-quantity.js';
export { checkFiveRights } from './five-rights.rule.js';
export type {
  FiveRightsInput,
  FiveRightsOrder,
  FiveRightsResult,
  Right,
  RightCheck,
  ScannedDose,
  ScannedPatient,
} from './five-rights.rule.js';
export { assertNotExpired, checkExpiry } from './expiry.rule.js';
export type { ExpiryCheck, ExpiryOptions, ExpiryStatus } from './expiry.rule.js';
export { assertOrderVerified } from './order-verified.rule.js';
export { assertWitness, isWitnessRequired } from './witness.rule.js';
export type { WitnessCheckInput, WitnessedAction, WitnessPolicy } from './witness.rule.js';
export { assertRobotTransportAllowed, isRobotTransportAllowed } from './robot-transport.rule.js';
export type { PolicedMedication, RobotTransportPolicy } from './robot-transport.rule.js';
