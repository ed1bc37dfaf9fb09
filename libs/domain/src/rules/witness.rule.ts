/**
 * Two-person rules: high-alert drugs need an independent witness at the bedside and at the
 * pharmacist's check, and wasting a controlled (or high-alert) drug needs one too. A witness
 * counts only if it is a different person who authenticated themselves on the device; a name
 * typed by the actor is not a witness.
 */
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
