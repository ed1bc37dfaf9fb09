import { describe, expect, it } from '@jest/globals';
import { RuleViolationError } from '../errors.js';
import { accountForUnit, type DoseAccountingInput } from './dose-accounting.rule.js';

const base: DoseAccountingInput = {
  given: { amount: 2.5, unit: 'mg' },
  strength: '10 mg',
  ordered: { amount: 2.5, unit: 'mg' },
  tolerance: 0.05,
  controlled: true,
};
const codeOf = (input: DoseAccountingInput): string | null => {
  try {
    accountForUnit(input);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(RuleViolationError);
    return (err as RuleViolationError).code;
  }
};

describe('accountForUnit', () => {
  it('accepts given + wasted that add up to the unit (in any unit of its dimension)', () => {
    expect(accountForUnit({ ...base, wasted: { amount: 7.5, unit: 'mg' } })).toEqual({
      unitContent: { amount: 10, unit: 'mg' },
      contentFrom: 'strength',
      accounted: { amount: 10, unit: 'mg' },
    });
    expect(codeOf({ ...base, wasted: { amount: 0.0075, unit: 'g' } })).toBeNull();
    // within the tolerance
    expect(codeOf({ ...base, wasted: { amount: 7.2, unit: 'mg' } })).toBeNull();
  });

  it('refuses a remainder that is not accounted for, and more than the unit held', () => {
    expect(codeOf({ ...base, wasted: { amount: 5, unit: 'mg' } })).toBe('waste_unaccounted');
    expect(codeOf({ ...base, wasted: { amount: 9, unit: 'mg' } })).toBe('waste_unaccounted');
    expect(() => accountForUnit({ ...base, wasted: { amount: 5, unit: 'mg' } })).toThrow(
      'given 2.5 mg + wasted 5 mg = 7.5 mg, but the unit holds 10 mg: part of it is not accounted for',
    );
  });

  it('refuses a waste in a unit that cannot be added to the given amount', () => {
    expect(codeOf({ ...base, wasted: { amount: 1, unit: 'mL' } })).toBe('waste_unaccounted');
  });

  it("requires a controlled drug's remainder to be recorded when the unit held more than was given", () => {
    expect(codeOf(base)).toBe('waste_not_recorded');
    expect(codeOf({ ...base, controlled: false })).toBeNull();
    expect(codeOf({ ...base, given: { amount: 10, unit: 'mg' } })).toBeNull();
  });

  it('falls back to the ordered dose when the strength is not a plain quantity: only an excess is refused', () => {
    const concentration = { ...base, strength: '10 mg/mL', ordered: { amount: 4, unit: 'mg' }, given: { amount: 2, unit: 'mg' } };
    expect(accountForUnit({ ...concentration, wasted: { amount: 2, unit: 'mg' } })).toMatchObject({
      contentFrom: 'order',
      unitContent: { amount: 4, unit: 'mg' },
    });
    expect(codeOf({ ...concentration, wasted: { amount: 1, unit: 'mg' } })).toBeNull();
    expect(codeOf({ ...concentration, wasted: { amount: 3, unit: 'mg' } })).toBe('waste_unaccounted');
    // and nothing is asked of a controlled drug whose content is unknown
    expect(codeOf(concentration)).toBeNull();
  });

  it('falls back to the ordered dose when the strength is in another dimension than the given amount', () => {
    expect(accountForUnit({ ...base, strength: '5 mL', wasted: { amount: 0, unit: 'mg' } }).contentFrom).toBe('order');
  });
});
