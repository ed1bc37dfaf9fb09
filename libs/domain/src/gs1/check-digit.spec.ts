import { describe, expect, it } from '@jest/globals';
import { ValidationError } from '../errors.js';
import { gtinCheckDigit, isValidGs1CheckDigit } from './check-digit.js';

// Published GS1 examples and retail GTINs, one per key length the product reads.
const validKeys: [string, string][] = [
  ['GTIN-14', '09506000134352'],
  ['GTIN-13 as GTIN-14', '04006381333931'],
  ['GTIN-14', '05901234123457'],
  ['SSCC', '106141411234567897'],
  ['GLN', '9506000134352'],
  ['GSRN', '950600013435200008'],
  ['GSRN', '012345678901234560'],
];

describe('GS1 check digit', () => {
  it.each(validKeys)('computes the check digit of a %s (%s)', (_kind, key) => {
    expect(gtinCheckDigit(key.slice(0, -1))).toBe(Number(key.at(-1)));
    expect(isValidGs1CheckDigit(key)).toBe(true);
  });

  it('yields 0 when the weighted sum is already a multiple of ten', () => {
    expect(gtinCheckDigit('01234567890123456')).toBe(0);
  });

  it.each(validKeys)('rejects a %s with a wrong final digit (%s)', (_kind, key) => {
    const wrong = key.slice(0, -1) + String((Number(key.at(-1)) + 1) % 10);
    expect(isValidGs1CheckDigit(wrong)).toBe(false);
  });

  it('catches a transposition of adjacent digits', () => {
    expect(isValidGs1CheckDigit('09506000143352')).toBe(false);
  });

  it.each(['', '7', '0950600013435A', ' 9506000134352'])('treats %j as invalid rather than throwing', (key) => {
    expect(isValidGs1CheckDigit(key)).toBe(false);
  });

  it('refuses to compute over non-digits', () => {
    expect(() => gtinCheckDigit('12a4')).toThrow(ValidationError);
    expect(() => gtinCheckDigit('')).toThrow(ValidationError);
  });
});
