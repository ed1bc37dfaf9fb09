import { describe, expect, it } from '@jest/globals';
import { decodeGs1Date, gs1Year } from './gs1-date.js';

const in2025 = new Date('2025-06-15T12:00:00Z');

describe('GS1 date decoding', () => {
  it.each([
    ['261231', '2026-12-31'],
    ['260100', '2026-01-31'],
    ['260400', '2026-04-30'],
    ['250200', '2025-02-28'],
    ['240200', '2024-02-29'],
    ['280229', '2028-02-29'],
  ])('decodes %s as %s', (yymmdd, iso) => {
    expect(decodeGs1Date(yymmdd, in2025)).toEqual({ ok: true, iso });
  });

  it('resolves day 00 of February 2000 (a leap century year) to the 29th', () => {
    expect(decodeGs1Date('000200', new Date('2001-01-01T00:00:00Z'))).toEqual({ ok: true, iso: '2000-02-29' });
  });

  it.each([
    ['251301', 'month 13 is not 01-12', 2],
    ['250001', 'month 00 is not 01-12', 2],
    ['250431', 'day 31 does not exist in 2025-04 (last day 30)', 4],
    ['250229', 'day 29 does not exist in 2025-02 (last day 28)', 4],
  ])('rejects %s: %s', (yymmdd, reason, offset) => {
    expect(decodeGs1Date(yymmdd, in2025)).toEqual({ ok: false, reason, offset });
  });

  describe('century window (reference year -49 .. +50)', () => {
    it.each([
      [75, 2025, 2075],
      [76, 2025, 1976],
      [0, 2025, 2000],
      [99, 2025, 1999],
      [0, 2060, 2100],
      [10, 2060, 2110],
      [11, 2060, 2011],
      [49, 1999, 2049],
      [50, 1999, 1950],
      [51, 1999, 1951],
    ])('reads YY %i in %i as %i', (yy, reference, year) => {
      expect(gs1Year(yy, reference)).toBe(year);
      expect(year - reference).toBeGreaterThanOrEqual(-49);
      expect(year - reference).toBeLessThanOrEqual(50);
    });

    it('uses the reference date passed in, not the clock', () => {
      expect(decodeGs1Date('700101', new Date('2025-01-01T00:00:00Z'))).toEqual({ ok: true, iso: '2070-01-01' });
      expect(decodeGs1Date('700101', new Date('2015-01-01T00:00:00Z'))).toEqual({ ok: true, iso: '1970-01-01' });
    });
  });
});
