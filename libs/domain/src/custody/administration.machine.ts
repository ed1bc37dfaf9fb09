/**
 * One scheduled administration slot on the medication administration record (MAR). Owns the
 * transition table and the mapping to FHIR MedicationAdministration.status. Nothing is ever
 * deleted: a wrong entry is moved to `entered_in_error` and a new record is written.
 */
import { defineMachine, type StateOf } from '../state-machine/machine.js';
import type { MedicationAdministrationStatus } from './standards.js';

export const administrationMachine = defineMachine({
  name: 'administration slot',
  initial: 'scheduled',
  states: {
    scheduled: { to: ['due', 'voided', 'entered_in_error'] },
    // `missed` is set by the system when the window closes; `voided` when the order is stopped.
    due: { to: ['verifying', 'held', 'refused', 'missed', 'voided', 'entered_in_error'] },
    // Scanning wristband and dose, five rights, allergy and expiry checks. Abandoning the
    // scan returns the slot to `due` rather than recording an outcome nobody chose.
    verifying: { to: ['given', 'infusing', 'held', 'refused', 'due', 'entered_in_error'] },
    given: { to: ['entered_in_error'], terminal: true },
    infusing: { to: ['completed', 'stopped', 'entered_in_error'] },
    completed: { to: ['entered_in_error'], terminal: true },
    stopped: { to: ['entered_in_error'], terminal: true },
    // Held and refused are documented outcomes, yet the reason can lapse within the window
    // (the meal arrives, the patient changes their mind), so the nurse may scan again.
    held: { to: ['verifying', 'entered_in_error'], terminal: true },
    refused: { to: ['verifying', 'entered_in_error'], terminal: true },
    missed: { to: ['entered_in_error'], terminal: true },
    voided: { to: [], terminal: true },
    entered_in_error: { to: [], terminal: true },
  },
});

export type AdministrationState = StateOf<typeof administrationMachine>;

/**
 * `null` where no MedicationAdministration resource exists: it records what happened to the
 * patient, and nothing has happened while a slot is merely scheduled, due, being scanned, or
 * voided before it came due. Held, refused and missed are `not-done`, with the reason in
 * statusReason.
 */
export const ADMINISTRATION_FHIR_STATUS: Readonly<Record<AdministrationState, MedicationAdministrationStatus | null>> = {
  scheduled: null,
  due: null,
  verifying: null,
  given: 'completed',
  infusing: 'in-progress',
  completed: 'completed',
  stopped: 'stopped',
  held: 'not-done',
  refused: 'not-done',
  missed: 'not-done',
  voided: null,
  entered_in_error: 'entered-in-error',
};

/** Slots an order stop or cancel must void. */
export const OPEN_ADMINISTRATION_STATES: readonly AdministrationState[] = ['scheduled', 'due'];
