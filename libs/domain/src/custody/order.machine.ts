/**
 * Medication order lifecycle (FHIR MedicationRequest) with the pharmacist verification gate.
 * Owns the transition table, the FHIR status mapping and the sets of states that other
 * rules ask about ("may doses be supplied?", "must in-flight doses be recalled?").
 *
 * `active` means "prescribed, awaiting pharmacist verification"; only `verified` releases
 * supply. FHIR has no separate verified code, so both map to FHIR `active`.
 */
import { defineMachine, type StateOf } from '../state-machine/machine.js';
import type { MedicationRequestStatus } from './standards.js';

export const orderMachine = defineMachine({
  name: 'medication order',
  initial: 'draft',
  states: {
    draft: { to: ['active', 'cancelled', 'entered_in_error'] },
    active: { to: ['verified', 'rejected', 'on_hold', 'cancelled', 'entered_in_error'] },
    // A clarification hold can end with the pharmacist verifying, or with the prescriber
    // amending the order, which sends it back to the verification queue (`active`). A hold
    // placed on a verified order can be stopped outright.
    on_hold: { to: ['active', 'verified', 'rejected', 'stopped', 'cancelled', 'entered_in_error'] },
    verified: { to: ['on_hold', 'stopped', 'completed', 'cancelled', 'entered_in_error'] },
    rejected: { to: ['entered_in_error'], terminal: true },
    stopped: { to: ['entered_in_error'], terminal: true },
    completed: { to: ['entered_in_error'], terminal: true },
    cancelled: { to: ['entered_in_error'], terminal: true },
    entered_in_error: { to: [], terminal: true },
  },
});

export type OrderState = StateOf<typeof orderMachine>;

/** Rejection is a withdrawal before anything was given, which FHIR R4 calls `cancelled`. */
export const ORDER_FHIR_STATUS: Readonly<Record<OrderState, MedicationRequestStatus>> = {
  draft: 'draft',
  active: 'active',
  on_hold: 'on-hold',
  verified: 'active',
  rejected: 'cancelled',
  stopped: 'stopped',
  completed: 'completed',
  cancelled: 'cancelled',
  entered_in_error: 'entered-in-error',
};

/** The only state from which doses may be dispensed or loaded. */
export const ORDER_SUPPLY_STATES: readonly OrderState[] = ['verified'];

/**
 * States that end supply for good: on entering them, doses in transit are recalled and open
 * administration slots are voided. `on_hold` pauses supply but does not recall.
 */
export const ORDER_HALTED_STATES: readonly OrderState[] = ['stopped', 'cancelled', 'rejected', 'entered_in_error'];
