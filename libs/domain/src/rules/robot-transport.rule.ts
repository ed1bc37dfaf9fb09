/**
 * Per-drug policy on what may ride in a robot compartment. Hospitals commonly keep some
 * controlled substances under hand-to-hand custody; a barred dose has to go by manual courier.
 * Controlled drugs are barred unless the site's policy lets them ride at all
 * (POLICY_CONTROLLED_ROBOT_TRANSPORT); where it does, each drug's own setting decides.
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

/** The site's side of the rule; without one, the safe default: no controlled drug rides. */
export interface SiteTransportPolicy {
  readonly controlledRobotTransport: boolean;
}

export const SAFE_SITE_TRANSPORT_POLICY: SiteTransportPolicy = { controlledRobotTransport: false };

export function isRobotTransportAllowed(medication: RobotTransportPolicy, site: SiteTransportPolicy = SAFE_SITE_TRANSPORT_POLICY): boolean {
  if (medication.controlled && !site.controlledRobotTransport) return false;
  return medication.robotTransportAllowed;
}

/**
 * Throws RuleViolationError `controlled_substance_barred_from_robot` for a barred controlled
 * drug, and `robot_transport_not_allowed` for any other barred drug (cytotoxics, fragile glass).
 */
export function assertRobotTransportAllowed(medication: PolicedMedication, site: SiteTransportPolicy = SAFE_SITE_TRANSPORT_POLICY): void {
  if (isRobotTransportAllowed(medication, site)) return;
  const label = medication.name ? `${medication.name} (${medication.id})` : medication.id;
  const bySite = medication.controlled && !site.controlledRobotTransport;
  const details = { medicationId: medication.id, controlled: medication.controlled, ...(bySite ? { sitePolicy: 'POLICY_CONTROLLED_ROBOT_TRANSPORT' } : {}) };
  if (medication.controlled) {
    throw new RuleViolationError(
      bySite
        ? `${label} is a controlled substance and this site's policy keeps controlled drugs off robots; send it by manual courier`
        : `${label} is a controlled substance barred from robot transport; send it by manual courier`,
      'controlled_substance_barred_from_robot',
      details,
    );
  }
  throw new RuleViolationError(`${label} may not be transported by robot; send it by manual courier`, 'robot_transport_not_allowed', details);
}
