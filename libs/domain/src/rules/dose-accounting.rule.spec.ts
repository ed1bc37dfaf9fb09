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
    // a drug that is not controlled: within the dose right's tolerance
    expect(codeOf({ ...base, controlled: false, wasted: { amount: 7.2, unit: 'mg' } })).toBeNull();
  });

  it("accounts for a controlled drug's unit exactly: the clinical tolerance is no custody allowance, rounding is", () => {
    // 7.2 mg wasted of the 7.5 mg left: within ±5 % of the unit, but 0.3 mg of morphine unaccounted for
    expect(codeOf({ ...base, wasted: { amount: 7.2, unit: 'mg' } })).toBe('waste_unaccounted');
    expect(codeOf({ ...base, wasted: { amount: 7.8, unit: 'mg' } })).toBe('waste_unaccounted');
    // 95 mcg given of a 100 mcg unit, nothing wasted: the 5 mcg must be recorded
    const fentanyl = { ...base, strength: '100 mcg', given: { amount: 95, unit: 'mcg' }, ordered: { amount: 100, unit: 'mcg' } };
    expect(codeOf(fentanyl)).toBe('waste_not_recorded');
    expect(codeOf({ ...fentanyl, controlled: false })).toBeNull();
    expect(codeOf({ ...fentanyl, wasted: { amount: 4.9, unit: 'mcg' } })).toBe('waste_unaccounted');
    expect(codeOf({ ...fentanyl, wasted: { amount: 0.005, unit: 'mg' } })).toBeNull();
    // more than the unit held, nothing wasted
    expect(codeOf({ ...fentanyl, given: { amount: 103, unit: 'mcg' } })).toBe('waste_unaccounted');
    expect(codeOf({ ...fentanyl, given: { amount: 103, unit: 'mcg' }, controlled: false })).toBeNull();
    // binary floating point is not a discrepancy: 0.1 + 0.2 mg of a 0.3 mg unit
    expect(codeOf({ ...base, strength: '0.3 mg', given: { amount: 0.1, unit: 'mg' }, wasted: { amount: 0.2, unit: 'mg' } })).toBeNull();
    expect(codeOf({ ...base, strength: '0.3 mg', given: { amount: 0.3, unit: 'mg' } })).toBeNull();
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

  it('falls back to the ordered dose when the strength is not a plain quantity: only an excess is refused (not controlled)', () => {
    const concentration = {
      ...base,
      controlled: false,
      strength: '10 mg/mL',
      ordered: { amount: 4, unit: 'mg' },
      given: { amount: 2, unit: 'mg' },
    };
    expect(accountForUnit({ ...concentration, wasted: { amount: 2, unit: 'mg' } })).toMatchObject({
      contentFrom: 'order',
      unitContent: { amount: 4, unit: 'mg' },
    });
    expect(codeOf({ ...concentration, wasted: { amount: 1, unit: 'mg' } })).toBeNull();
    expect(codeOf({ ...concentration, wasted: { amount: 3, unit: 'mg' } })).toBe('waste_unaccounted');
    expect(codeOf(concentration)).toBeNull();
  });

  it("requires a controlled drug's waste to be declared when its unit's content is not known (0 when nothing was left)", () => {
    // a 10 mg/mL morphine ampoule for a 5 mg order: 5 mg given says nothing of what was left
    const ampoule = { ...base, strength: '10 mg/mL', ordered: { amount: 5, unit: 'mg' }, given: { amount: 5, unit: 'mg' } };
    expect(codeOf(ampoule)).toBe('waste_not_declared');
    expect(() => accountForUnit(ampoule)).toThrow(expect.objectContaining({ details: expect.objectContaining({ field: 'wasted' }) }));
    expect(codeOf({ ...ampoule, wasted: { amount: 0, unit: 'mg' } })).toBeNull();
    // the order is no ceiling: the ampoule really held more than the 5 mg ordered
    expect(accountForUnit({ ...ampoule, wasted: { amount: 5, unit: 'mg' } })).toMatchObject({ accounted: { amount: 10, unit: 'mg' } });
    // a waste that cannot be added to the given amount is still refused
    expect(codeOf({ ...ampoule, wasted: { amount: 0.5, unit: 'mL' } })).toBe('waste_unaccounted');
    // a strength in another dimension than the given amount: unknown content too
    expect(codeOf({ ...ampoule, strength: '1 mL' })).toBe('waste_not_declared');
  });

  it('falls back to the ordered dose when the strength is in another dimension than the given amount', () => {
    expect(accountForUnit({ ...base, strength: '5 mL', wasted: { amount: 0, unit: 'mg' } }).contentFrom).toBe('order');
  });
});
