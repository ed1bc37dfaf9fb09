/**
 * Per-drug policy on what may ride in a robot compartment. Hospitals commonly keep some
 * controlled substances under hand-to-hand custody; a barred dose has to go by manual courier.
 */
import { RuleViolationError } from '../errors.js';

export interface RobotTransportPolicy {
  readonly controlled: boolean;
  readonly robotTransportAllowed: boolean;
}

export interface PolicedMedication extends RobotTransportPolicy {
  readonly id: string;
  readonly name?: string;
}

export function isRobotTransportAllowed(medication: RobotTransportPolicy): boolean {
  return medication.robotTransportAllowed;
}

/**
 * Throws RuleViolationError `controlled_substance_barred_from_robot` for a barred controlled
 * drug, and `robot_transport_not_allowed` for any other barred drug (cytotoxics, fragile glass).
 */
export function assertRobotTransportAllowed(medication: PolicedMedication): void {
  if (isRobotTransportAllowed(medication)) return;
  const label = medication.name ? `${medication.name} (${medication.id})` : medication.id;
  const details = { medicationId: medication.id, controlled: medication.controlled };
  if (medication.controlled) {
    throw new RuleViolationError(
      `${label} is a controlled substance barred from robot transport; send it by manual courier`,
      'controlled_substance_barred_from_robot',
      details,
    );
  }
  throw new RuleViolationError(`${label} may not be transported by robot; send it by manual courier`, 'robot_transport_not_allowed', details);
}
