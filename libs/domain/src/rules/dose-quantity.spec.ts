import { describe, expect, it } from '@jest/globals';
import { compareDoseQuantities, type DoseQuantity, type QuantityComparison } from './dose-quantity.js';

const q = (amount: number, unit: string): DoseQuantity => ({ amount, unit });

describe('compareDoseQuantities', () => {
  it.each<[DoseQuantity, DoseQuantity, QuantityComparison]>([
    [q(500, 'mg'), q(0.5, 'g'), 'equal'],
    [q(0.1, 'g'), q(100, 'mg'), 'equal'],
    [q(125, 'mcg'), q(125, 'µg'), 'equal'],
    [q(0.125, 'mg'), q(125, 'ug'), 'equal'],
    [q(1, 'L'), q(1000, 'mL'), 'equal'],
    [q(2, 'tablet'), q(2, 'Tablet'), 'equal'],
    [q(500, 'mg'), q(5, 'g'), 'different'],
    [q(1, 'mg'), q(1, 'mcg'), 'different'],
    [q(2, 'tablet'), q(1, 'tablet'), 'different'],
    [q(5, 'mL'), q(5, 'mg'), 'incomparable'],
    [q(1, 'tablet'), q(500, 'mg'), 'incomparable'],
    [q(10, 'IU'), q(10, 'unit'), 'incomparable'],
    [q(1, 'constructor'), q(1, 'mg'), 'incomparable'],
  ])('%j vs %j is %s', (a, b, expected) => {
    expect(compareDoseQuantities(a, b)).toBe(expected);
    expect(compareDoseQuantities(b, a)).toBe(expected);
  });
});
