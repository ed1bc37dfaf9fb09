import { describe, expect, it } from '@jest/globals';
import { compareDoseQuantities, formatQuantity, inUnitOf, parseQuantity, type DoseQuantity, type QuantityComparison } from './dose-quantity.js';

const q = (amount: number, unit: string): DoseQuantity => ({ amount, unit });

describe('compareDoseQuantities', () => {
  it.each<[DoseQuantity, DoseQuantity, QuantityComparison]>([
    [q(500, 'mg'), q(0.5, 'g'), 'equal'],
    [q(0.1, 'g'), q(100, 'mg'), 'equal'],
    [q(125, 'mcg'), q(125, 'µg'), 'equal'],
    [q(0.125, 'mg'), q(125, 'ug'), 'equal'],
    [q(1, 'L'), q(1000, 'mL'), 'equal'],
    [q(500, 'MG'), q(0.5, 'g'), 'equal'],
    [q(5, 'ML'), q(5, 'ml'), 'equal'],
    [q(2, 'tablet'), q(2, 'Tablet'), 'equal'],
    [q(500, 'mg'), q(5, 'g'), 'different'],
    [q(1, 'mg'), q(1, 'mcg'), 'different'],
    [q(2, 'tablet'), q(1, 'tablet'), 'different'],
    [q(5, 'mL'), q(5, 'mg'), 'incomparable'],
    [q(1, 'tablet'), q(500, 'mg'), 'incomparable'],
    [q(10, 'IU'), q(10, 'unit'), 'incomparable'],
    [q(10, 'units'), q(10, 'unit'), 'equal'],
    [q(2, 'tabs'), q(2, 'tablet'), 'equal'],
    [q(5, 'mmol'), q(5, 'mmol'), 'equal'],
    [q(5, 'mmol'), q(5, 'mg'), 'incomparable'],
    [q(1, 'mg'), q(1, 'constructor'), 'incomparable'],
    [q(1, 'toString'), q(1, 'tostring'), 'equal'],
    [q(1, 'constructor'), q(1, 'mg'), 'incomparable'],
  ])('%j vs %j is %s', (a, b, expected) => {
    expect(compareDoseQuantities(a, b)).toBe(expected);
    expect(compareDoseQuantities(b, a)).toBe(expected);
  });

  it('compares within a relative tolerance of the second quantity', () => {
    expect(compareDoseQuantities(q(4.2, 'mg'), q(4, 'mg'), 0.05)).toBe('equal');
    expect(compareDoseQuantities(q(0.0042, 'g'), q(4, 'mg'), 0.05)).toBe('equal');
    expect(compareDoseQuantities(q(4.3, 'mg'), q(4, 'mg'), 0.05)).toBe('different');
    expect(compareDoseQuantities(q(4.2, 'mg'), q(4, 'mL'), 0.5)).toBe('incomparable');
  });
});

describe('parseQuantity', () => {
  it.each<[string, DoseQuantity | null]>([
    ['10 mg', q(10, 'mg')],
    ['0.5g', q(0.5, 'g')],
    ['5000 units', q(5000, 'units')],
    ['300 µg', q(300, 'µg')],
    ['100 units/mL', null],
    ['10 mg/2 mL', null],
    ['1-2 tablets', null],
    ['0 mg', null],
    ['strong', null],
  ])('reads %j as %j', (text, expected) => {
    expect(parseQuantity(text)).toEqual(expected);
  });

  it('expresses a quantity in another unit of its dimension, and rounds what it prints', () => {
    expect(inUnitOf(q(7.5, 'mg'), q(1, 'g'))).toEqual({ amount: 0.0075, unit: 'g' });
    expect(inUnitOf(q(7.5, 'mg'), q(1, 'mL'))).toBeNull();
    expect(formatQuantity(q(0.1 + 0.2, 'mg'))).toBe('0.3 mg');
  });
});
