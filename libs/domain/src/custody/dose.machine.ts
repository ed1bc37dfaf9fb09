/**
 * Custody lifecycle of one dispensed unit dose, from the pharmacy queue to the bedside, with
 * the exception paths a closed loop needs: every dose that physically exists must end
 * administered, returned, wasted or declared lost. Owns the transition table, its guards and
 * the mappings to FHIR MedicationDispense.status and GS1 EPCIS bizStep/disposition.
 */
import { defineMachine, type StateOf } from '../state-machine/machine.js';
import type { EpcisStep, MedicationDispenseStatus } from './standards.js';

/** States a dose can be put on hold from; all are still inside the pharmacy. */
export type HoldableDoseState = 'queued' | 'picked' | 'checked';

/**
 * The table cannot remember where a hold started, so the caller passes it back in: a dose
 * held after picking must resume as picked, not skip its pharmacist check.
 */
export type DoseTransitionContext = { readonly heldFrom?: HoldableDoseState } | undefined;

const resumesWhereHeld =
  (to: HoldableDoseState) =>
  (ctx: DoseTransitionContext): string | null => {
    if (!ctx?.heldFrom) return 'the state the dose was held from is required to resume it';
    return ctx.heldFrom === to ? null : `a dose held from '${ctx.heldFrom}' must resume to '${ctx.heldFrom}'`;
  };

export const doseMachine = defineMachine({
  name: 'dose',
  initial: 'queued',
  states: {
    queued: { to: ['picked', 'on_hold', 'cancelled', 'entered_in_error'] },
    // From here on the dose physically exists, so it can no longer be `cancelled`: it has to be
    // returned, wasted or quarantined. Quarantine is reachable from every physical state
    // because a cold-chain excursion quarantines a dose wherever it is.
    picked: { to: ['checked', 'on_hold', 'returned', 'wasted', 'quarantined', 'entered_in_error'] },
    checked: { to: ['loaded', 'escalated_manual', 'on_hold', 'returned', 'wasted', 'quarantined', 'entered_in_error'] },
    // `loaded` means loaded into a robot compartment and sealed; it stays so through dispatch
    // until the robot actually departs. Unloading before departure (the robot refused its order)
    // is a return; an order stopped after dispatch but before departure sends the doses back
    // with the robot's recall like any other dose aboard.
    loaded: { to: ['in_transit', 'escalated_manual', 'returned', 'recalled_returning', 'quarantined', 'entered_in_error'] },
    in_transit: {
      to: ['arrived', 'escalated_manual', 'recalled_returning', 'quarantined', 'lost', 'entered_in_error'],
    },
    arrived: {
      to: ['received', 'receipt_discrepancy', 'recalled_returning', 'escalated_manual', 'quarantined', 'entered_in_error'],
    },
    received: { to: ['administered', 'held', 'refused', 'returned', 'wasted', 'quarantined', 'entered_in_error'] },
    // A held or refused dose is still on the ward: the loop only closes once it is given,
    // returned to pharmacy or wasted (witnessed, for controlled drugs).
    held: { to: ['administered', 'refused', 'returned', 'wasted', 'quarantined', 'entered_in_error'] },
    refused: { to: ['returned', 'wasted', 'quarantined', 'entered_in_error'] },
    administered: { to: ['entered_in_error'], terminal: true },

    on_hold: { to: ['queued', 'picked', 'checked', 'returned', 'cancelled', 'quarantined', 'entered_in_error'] },
    // A human courier has taken explicit custody after a robot failure (or instead of one).
    escalated_manual: {
      to: ['received', 'receipt_discrepancy', 'returned', 'quarantined', 'lost', 'entered_in_error'],
    },
    // Wrong count or wrong ward at receipt: resolved by finding it, declaring it lost, or sending it back.
    receipt_discrepancy: {
      to: ['received', 'lost', 'recalled_returning', 'returned', 'quarantined', 'entered_in_error'],
    },
    // The order was stopped while the dose was out; a robot failure on the way back hands it to a courier.
    recalled_returning: { to: ['returned', 'escalated_manual', 'quarantined', 'lost', 'entered_in_error'] },
    // Only a pharmacist review leaves quarantine: destroy, take back into pharmacy, or release
    // on the ward (e.g. a sensor fault rather than a real excursion).
    quarantined: { to: ['wasted', 'returned', 'received', 'entered_in_error'] },
    // A lost dose that turns up has had no custody; it is never trusted without review.
    lost: { to: ['quarantined', 'entered_in_error'], terminal: true },
    returned: { to: ['entered_in_error'], terminal: true },
    wasted: { to: ['entered_in_error'], terminal: true },
    cancelled: { to: ['entered_in_error'], terminal: true },
    entered_in_error: { to: [], terminal: true },
  },
  guards: [
    { from: 'on_hold', to: 'queued', check: resumesWhereHeld('queued') },
    { from: 'on_hold', to: 'picked', check: resumesWhereHeld('picked') },
    { from: 'on_hold', to: 'checked', check: resumesWhereHeld('checked') },
    {
      from: 'on_hold',
      to: 'cancelled',
      check: (ctx: DoseTransitionContext) => (ctx?.heldFrom === 'queued' ? null : 'only a dose held before picking can be cancelled; return a picked dose'),
    },
    {
      from: 'on_hold',
      to: 'returned',
      check: (ctx: DoseTransitionContext) =>
        ctx?.heldFrom === 'picked' || ctx?.heldFrom === 'checked' ? null : 'only a picked dose can be returned; cancel a dose held before picking',
    },
  ],
});

export type DoseState = StateOf<typeof doseMachine>;

/**
 * FHIR describes the dispense, not the custody trip, so several custody states share a code;
 * MedicationDispense.statusReason carries the detail. Once the ward has received the dose the
 * dispense is `completed`, whatever happens at the bedside (that is MedicationAdministration).
 * A dose that never reached its purpose after leaving the queue is `stopped`.
 */
export const DOSE_FHIR_DISPENSE_STATUS: Readonly<Record<DoseState, MedicationDispenseStatus>> = {
  queued: 'preparation',
  picked: 'preparation',
  checked: 'preparation',
  loaded: 'in-progress',
  in_transit: 'in-progress',
  arrived: 'in-progress',
  escalated_manual: 'in-progress',
  received: 'completed',
  administered: 'completed',
  held: 'completed',
  refused: 'completed',
  on_hold: 'on-hold',
  quarantined: 'on-hold',
  receipt_discrepancy: 'on-hold',
  recalled_returning: 'stopped',
  lost: 'stopped',
  returned: 'stopped',
  wasted: 'stopped',
  cancelled: 'cancelled',
  entered_in_error: 'entered-in-error',
};

/**
 * The EPCIS event recorded on entering each state. `null` where nothing physical happens:
 * a queued or cancelled dose has not been touched, and an entered-in-error correction is an
 * EPCIS error declaration on the original events rather than a new observation.
 */
export const DOSE_EPCIS_STEP: Readonly<Record<DoseState, EpcisStep | null>> = {
  queued: null,
  picked: { bizStep: 'picking', disposition: 'in_progress' },
  checked: { bizStep: 'inspecting', disposition: 'conformant' },
  loaded: { bizStep: 'loading', disposition: 'container_closed' },
  in_transit: { bizStep: 'departing', disposition: 'in_transit' },
  arrived: { bizStep: 'arriving', disposition: 'in_transit' },
  received: { bizStep: 'receiving', disposition: 'in_progress' },
  administered: { bizStep: 'dispensing', disposition: 'dispensed' },
  held: { bizStep: 'holding', disposition: 'in_progress' },
  refused: { bizStep: 'holding', disposition: 'non_sellable_other' },
  on_hold: { bizStep: 'holding', disposition: 'in_progress' },
  escalated_manual: { bizStep: 'transporting', disposition: 'in_transit' },
  quarantined: { bizStep: 'holding', disposition: 'non_sellable_other' },
  receipt_discrepancy: { bizStep: 'inspecting', disposition: 'non_conformant' },
  lost: { bizStep: 'inspecting', disposition: 'unknown' },
  // CBV `recalled` means a product recall for safety; an order stop is not one, so a trip back is `returned`.
  recalled_returning: { bizStep: 'transporting', disposition: 'returned' },
  returned: { bizStep: 'receiving', disposition: 'returned' },
  wasted: { bizStep: 'destroying', disposition: 'destroyed' },
  cancelled: null,
  entered_in_error: null,
};
