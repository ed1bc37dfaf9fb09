/**
 * The GS1 mod-10 check digit shared by every GS1 key this product reads: GTIN, SSCC, GLN
 * and GSRN. Weights alternate 3,1,3,… from the rightmost data digit, which is why the same
 * function serves keys of any length.
 */
import { ValidationError } from '../errors.js';

const DIGITS = /^\d+$/;

/** Check digit for `dataDigits`, the key without its final check digit. */
export function gtinCheckDigit(dataDigits: string): number {
  if (!DIGITS.test(dataDigits)) {
    throw new ValidationError('a GS1 check digit can only be computed over digits', 'digits', { value: dataDigits });
  }
  let sum = 0;
  for (let i = dataDigits.length - 1, weight = 3; i >= 0; i--, weight = 4 - weight) {
    sum += Number(dataDigits[i]) * weight;
  }
  return (10 - (sum % 10)) % 10;
}

/** True when `key` is all digits and its last digit is the correct GS1 check digit. */
export function isValidGs1CheckDigit(key: string): boolean {
  if (key.length < 2 || !DIGITS.test(key)) return false;
  return gtinCheckDigit(key.slice(0, -1)) === Number(key[key.length - 1]);
}
