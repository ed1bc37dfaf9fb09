/**
 * Two-person rules: high-alert drugs need an independent witness at the bedside and at the
 * pharmacist's check, and wasting a controlled (or high-alert) drug needs one too. A witness
 * counts only if it is a different person who authenticated themselves on the device; a name
 * typed by the actor is not a witness.
 */
import { inWardScope } from '../access/ward-scope.js';
import { RuleViolationError } from '../errors.js';

export type WitnessedAction = 'administration' | 'dispense_check' | 'waste';

export interface WitnessPolicy {
  readonly highAlert: boolean;
  readonly controlled?: boolean;
}

export interface WitnessCheckInput {
  readonly medication: WitnessPolicy;
  readonly action: WitnessedAction;
  readonly actor: { readonly userId: string };
  /** `authenticated` must come from a credential check made for this act (badge + PIN, password). */
  readonly witness?: { readonly userId: string; readonly authenticated: boolean };
}

const ACTION_LABEL: Readonly<Record<WitnessedAction, string>> = {
  administration: 'administration',
  dispense_check: 'dispensing check',
  waste: 'waste',
};

export function isWitnessRequired(medication: WitnessPolicy, action: WitnessedAction): boolean {
  return action === 'waste' ? medication.highAlert || medication.controlled === true : medication.highAlert;
}

/**
 * Throws RuleViolationError `witness_required` or `witness_same_as_actor`. A witness that is
 * recorded although not required is held to the same standard: the audit trail must never
 * show a second check that did not happen.
 */
export function assertWitness({ medication, action, actor, witness }: WitnessCheckInput): void {
  const required = isWitnessRequired(medication, action);
  const label = ACTION_LABEL[action];
  const kind = medication.highAlert ? 'high-alert' : 'controlled';
  if (!witness) {
    if (!required) return;
    throw new RuleViolationError(`${kind} medication: the ${label} needs a second user as witness`, 'witness_required', {
      action,
      kind,
    });
  }
  if (witness.userId.trim() === actor.userId.trim()) {
    throw new RuleViolationError(`the witness of the ${label} must be a different user from the one performing it`, 'witness_same_as_actor', {
      action,
      userId: actor.userId,
    });
  }
  if (!witness.authenticated) {
    throw new RuleViolationError(`the witness of the ${label} must authenticate on the device`, 'witness_required', {
      action,
      witnessId: witness.userId,
    });
  }
}

/**
 * Who may co-sign what. The dispensing check is an independent double check by a second
 * pharmacist (administrators keep the right they had); at the bedside and for waste a nurse
 * or a pharmacist. Roles not listed (the safety officer, a role added later) never witness.
 */
export const WITNESS_ROLES: Readonly<Record<WitnessedAction, readonly string[]>> = {
  dispense_check: ['pharmacist', 'admin'],
  administration: ['nurse', 'pharmacist', 'ward_pharmacist', 'admin'],
  waste: ['nurse', 'pharmacist', 'ward_pharmacist', 'admin'],
};

export interface WitnessEligibilityInput {
  readonly action: WitnessedAction;
  /** the person who authenticated as witness for this act */
  readonly witness: { readonly role: string; readonly wards: readonly string[] };
  /** the ward the act happens on (the patient's, the cabinet's); null for the pharmacy */
  readonly ward: string | null;
}

/**
 * Throws RuleViolationError `witness_role_forbidden` (a role that may not co-sign this act)
 * or `witness_wrong_ward` (a nurse witnesses only on a ward she is assigned to, by the
 * ward-scope rule).
 */
export function assertWitnessEligible({ action, witness, ward }: WitnessEligibilityInput): void {
  const label = ACTION_LABEL[action];
  const roles = WITNESS_ROLES[action];
  if (!roles.includes(witness.role))
    throw new RuleViolationError(`a ${witness.role} may not witness the ${label} (allowed: ${roles.join(', ')})`, 'witness_role_forbidden', {
      action,
      role: witness.role,
      allowedRoles: roles,
    });
  if (!inWardScope(witness, ward))
    // names no ward: the witness's assignments are not the actor's business
    throw new RuleViolationError(`the witness of the ${label} is not assigned to the ward where it happens`, 'witness_wrong_ward', { action });
}
