/**
 * Where every part of a dispensed unit went: what was given to the patient and what was
 * wasted must add up to what the unit held, so no part of a controlled drug leaves custody
 * unrecorded. The unit's content is the medication's strength when that is a plain quantity
 * (`10 mg`, `5000 units`), else it is unknown and the ordered dose stands in for it (the
 * pharmacy dispenses one unit per ordered dose): then given + wasted may not exceed it.
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

/** Throws RuleViolationError `waste_unaccounted` or `waste_not_recorded`. */
export function accountForUnit({ given, wasted, strength, ordered, tolerance, controlled }: DoseAccountingInput): DoseAccounting {
  const labelled = parseQuantity(strength);
  const fromStrength = labelled !== null && quantityRatio(given, labelled) !== null;
  const unitContent = fromStrength ? labelled : ordered;
  const contentFrom = fromStrength ? 'strength' : 'order';
  const held = fromStrength
    ? `the unit holds ${formatQuantity(unitContent)}`
    : `the ordered dose is ${formatQuantity(unitContent)} (the unit's content is not known)`;
  if (!wasted) {
    const ratio = quantityRatio(given, unitContent);
    if (controlled && fromStrength && ratio !== null && ratio < 1 - tolerance - 1e-9) {
      throw new RuleViolationError(
        `given ${formatQuantity(given)} of a controlled drug whose unit holds ${formatQuantity(unitContent)}: record the rest as wasted, with a witness`,
        'waste_not_recorded',
        { field: 'wasted', given, unitContent },
      );
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
  // held); with an unknown one only the excess is certain
  const over = ratio > 1 + tolerance + 1e-9;
  const under = fromStrength && ratio < 1 - tolerance - 1e-9;
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
