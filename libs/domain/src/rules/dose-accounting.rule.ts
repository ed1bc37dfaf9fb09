/**
 * Where every part of a dispensed unit went: what was given to the patient and what was
 * wasted must add up to what the unit held, so no part of a controlled drug leaves custody
 * unrecorded. The unit's content is the medication's strength when that is a plain quantity
 * (`10 mg`, `5000 units`), else it is unknown and the ordered dose stands in for it (the
 * pharmacy dispenses one unit per ordered dose): then given + wasted may not exceed it.
 *
 * A controlled drug is held to custody accounting, not to the dose right:
 * - its known content is accounted for exactly: given + wasted must equal it, with only a
 *   floating-point/rounding allowance (CUSTODY_EPSILON, relative), never the clinical dose
 *   tolerance — ±5 % of a 100 mcg fentanyl unit is 5 mcg nobody would have to account for;
 * - when its content is unknown (a concentration such as `10 mg/mL`, typical of controlled
 *   ampoules, or a strength in another dimension than what was given) nothing can say that the
 *   unit was used up, so the nurse must declare the waste: `wasted` is required
 *   (`waste_not_declared`), `{amount: 0}` when nothing was left, a positive amount with the
 *   witness. The ordered dose is no ceiling then either: a 10 mg/mL ampoule dispensed for a
 *   5 mg order really holds more than 5 mg, and refusing its true waste would push the nurse
 *   to declare 0 — the witness of the waste attests its amount.
 * A drug that is not controlled keeps the dose right's tolerance and the ordered-dose ceiling.
 * Pure; the tolerance is the dose right's (DOSE_TOLERANCE_PCT).
 */
import { RuleViolationError } from '../errors.js';
import { formatQuantity, inUnitOf, parseQuantity, quantityRatio, type DoseQuantity } from './dose-quantity.js';

export interface DoseAccountingInput {
  readonly given: DoseQuantity;
  readonly wasted?: DoseQuantity | undefined;
  /** the medication's strength as recorded in the formulary (free text) */
  readonly strength: string;
  readonly ordered: DoseQuantity;
  /** relative tolerance, as for the dose right (0.05 = ±5 %) */
  readonly tolerance: number;
  /** a controlled drug's remainder must be recorded as wasted (with a witness) */
  readonly controlled: boolean;
}

export interface DoseAccounting {
  /** what the unit held, and where that figure comes from */
  readonly unitContent: DoseQuantity;
  readonly contentFrom: 'strength' | 'order';
  /** given + wasted, in the unit of `given` (absent when nothing was wasted) */
  readonly accounted?: DoseQuantity;
}

/**
 * The rounding allowance of custody accounting (relative): 0.0075 g + 2.5 mg is 10 mg, though
 * binary floating point says 10.000000000000002. Nothing clinical hides in it.
 */
export const CUSTODY_EPSILON = 1e-6;

/** Throws RuleViolationError `waste_not_declared`, `waste_unaccounted` or `waste_not_recorded`. */
export function accountForUnit({ given, wasted, strength, ordered, tolerance, controlled }: DoseAccountingInput): DoseAccounting {
  const labelled = parseQuantity(strength);
  const fromStrength = labelled !== null && quantityRatio(given, labelled) !== null;
  const unitContent = fromStrength ? labelled : ordered;
  const contentFrom = fromStrength ? 'strength' : 'order';
  // custody accounting of a controlled drug allows rounding only; anything else the dose right's tolerance
  const allowance = controlled ? CUSTODY_EPSILON : tolerance + 1e-9;
  const held = fromStrength
    ? `the unit holds ${formatQuantity(unitContent)}`
    : `the ordered dose is ${formatQuantity(unitContent)} (the unit's content is not known)`;
  if (!wasted) {
    if (controlled && !fromStrength) {
      throw new RuleViolationError(
        `given ${formatQuantity(given)} of a controlled drug whose unit's content is not known (strength ${strength}): declare what was wasted in wasted: {amount, unit} (amount 0 if nothing was left; more than 0 with a witness)`,
        'waste_not_declared',
        { field: 'wasted', given, strength },
      );
    }
    const ratio = quantityRatio(given, unitContent);
    if (controlled && ratio !== null && ratio < 1 - allowance) {
      throw new RuleViolationError(
        `given ${formatQuantity(given)} of a controlled drug whose unit holds ${formatQuantity(unitContent)}: record the rest as wasted, with a witness`,
        'waste_not_recorded',
        { field: 'wasted', given, unitContent },
      );
    }
    if (controlled && ratio !== null && ratio > 1 + allowance) {
      throw new RuleViolationError(`given ${formatQuantity(given)} of a controlled drug, but ${held}: more than it held`, 'waste_unaccounted', {
        field: 'given',
        given,
        unitContent,
        contentFrom,
      });
    }
    return { unitContent, contentFrom };
  }
  const wastedAsGiven = inUnitOf(wasted, given);
  if (!wastedAsGiven) {
    throw new RuleViolationError(
      `wasted ${formatQuantity(wasted)} cannot be added to given ${formatQuantity(given)}: record both in one unit`,
      'waste_unaccounted',
      {
        field: 'wasted.unit',
      },
    );
  }
  const accounted = { amount: given.amount + wastedAsGiven.amount, unit: given.unit };
  // a controlled unit of unknown content: the declared waste (witnessed, 0 included) is its account
  if (controlled && !fromStrength) return { unitContent, contentFrom, accounted };
  const ratio = quantityRatio(accounted, unitContent);
  const sum = `given ${formatQuantity(given)} + wasted ${formatQuantity(wasted)} = ${formatQuantity(accounted)}`;
  if (ratio === null) {
    throw new RuleViolationError(`${sum} cannot be compared with ${formatQuantity(unitContent)}`, 'waste_unaccounted', {
      field: 'wasted',
      accounted,
      unitContent,
    });
  }
  // with a known content both ways count (a remainder gone unrecorded, or more than the unit
  // held); with an unknown one only the excess over the ordered dose
  const over = ratio > 1 + allowance;
  const under = fromStrength && ratio < 1 - allowance;
  if (over || under) {
    throw new RuleViolationError(`${sum}, but ${held}: ${over ? 'more than it held' : 'part of it is not accounted for'}`, 'waste_unaccounted', {
      field: 'wasted',
      accounted,
      unitContent,
      contentFrom,
    });
  }
  return { unitContent, contentFrom, accounted };
}
