import { describe, expect, it } from '@jest/globals';
import { ValidationError } from '../errors.js';
import { GS, parseGs1Barcode, type Gs1ElementString } from './gs1-barcode.parser.js';
import { Gs1ParseError, type Gs1ParseFailure } from './gs1-parse.error.js';

const referenceDate = new Date('2025-06-15T08:00:00Z');
const parse = (input: string, at: Date = referenceDate) => parseGs1Barcode(input, { referenceDate: at });

const GTIN = '09506000134352';
const PACK = { gtin: GTIN, expiry: '2026-12-31', lot: 'AB12', serial: 'X9' };

function failure(input: string): Gs1ParseError {
  try {
    parse(input);
  } catch (error) {
    if (error instanceof Gs1ParseError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

describe('parseGs1Barcode', () => {
  describe('accepts', () => {
    it.each<[string, string, Partial<Gs1ElementString>]>([
      ['a GS1 DataMatrix pack with ]d2', `]d201${GTIN}17261231` + `10AB12${GS}21X9`, PACK],
      ['the same stream without a symbology identifier', `01${GTIN}17261231` + `10AB12${GS}21X9`, PACK],
      ['the bracketed human-readable form', `(01)${GTIN}(17)261231(10)AB12(21)X9`, PACK],
      ['keyed entry with spaces between elements', `(01) ${GTIN} (17) 261231 (10) AB12 (21) X9`, PACK],
      ['variable fields in any order', `01${GTIN}21X9${GS}10AB12${GS}17261231`, PACK],
      ['a leading FNC1 sent as GS and a trailing Enter', `${GS}01${GTIN}17261231` + `10AB12${GS}21X9\r\n`, PACK],
      ['a redundant GS after a fixed-length field', `01${GTIN}${GS}17261231${GS}10AB12${GS}21X9`, PACK],
      ['a GS1-128 SSCC with ]C1', ']C100106141411234567897', { sscc: '106141411234567897' }],
      ['a patient wristband GS1 QR with ]Q3', ']Q38018012345678901234560', { gsrnRecipient: '012345678901234560' }],
      ['a staff badge', '8017950600013435200008', { gsrnProvider: '950600013435200008' }],
      [
        'a badge followed by another AI after GS',
        `8017950600013435200008${GS}4149506000134352`,
        {
          gsrnProvider: '950600013435200008',
          gln: '9506000134352',
        },
      ],
      ['a location label', '(414)9506000134352', { gln: '9506000134352' }],
      ['a lot using GS1 punctuation', `01${GTIN}10A-1/B.(x)_"%`, { gtin: GTIN, lot: 'A-1/B.(x)_"%' }],
      ['a 20-character serial', `01${GTIN}21ABCDEFGHIJ0123456789`, { serial: 'ABCDEFGHIJ0123456789' }],
    ])('%s', (_case, input, expected) => {
      expect(parse(input)).toMatchObject(expected);
    });

    it('lists every AI with its raw value in reading order', () => {
      expect(parse(`]d201${GTIN}17261231` + `10AB12${GS}21X9`).ais).toEqual([
        { ai: '01', value: GTIN },
        { ai: '17', value: '261231' },
        { ai: '10', value: 'AB12' },
        { ai: '21', value: 'X9' },
      ]);
    });

    it('returns only the fields present', () => {
      expect(parse('8017950600013435200008')).toEqual({
        gsrnProvider: '950600013435200008',
        ais: [{ ai: '8017', value: '950600013435200008' }],
      });
    });

    it('tolerates an AI repeated with the same value and reports it once', () => {
      expect(parse(`(01)${GTIN}(01)${GTIN}`).ais).toEqual([{ ai: '01', value: GTIN }]);
    });
  });

  describe('expiry (AI 17)', () => {
    it.each([
      ['260200', '2026-02-28', 'day 00 in February of a common year'],
      ['280200', '2028-02-29', 'day 00 in February of a leap year'],
      ['260400', '2026-04-30', 'day 00 in a 30-day month'],
      ['261200', '2026-12-31', 'day 00 in December'],
      ['280229', '2028-02-29', 'an explicit leap day'],
    ])('decodes %s as %s (%s)', (yymmdd, iso) => {
      expect(parse(`01${GTIN}17${yymmdd}`).expiry).toBe(iso);
    });

    it('chooses the century within -49/+50 years of the reference date', () => {
      const in2070 = new Date('2070-06-01T00:00:00Z');
      expect(parse(`01${GTIN}17191231`, in2070).expiry).toBe('2119-12-31');
      expect(parse(`01${GTIN}17211231`, in2070).expiry).toBe('2021-12-31');
      expect(parse(`01${GTIN}17991231`).expiry).toBe('1999-12-31');
    });
  });

  describe('rejects', () => {
    it.each<[string, string, Gs1ParseFailure, number, string | undefined, string]>([
      ['empty input', '', 'empty_input', 0, undefined, 'contains no data'],
      ['only a line ending', '\r\n', 'empty_input', 0, undefined, 'contains no data'],
      ['a symbology identifier alone', ']d2', 'empty_input', 3, undefined, 'contains no data'],
      ['separators only', `]d2${GS}${GS}`, 'empty_input', 3, undefined, 'contains no data'],
      ['a separator followed by a space', `${GS} `, 'unknown_ai', 1, undefined, "at ' '"],
      ['a non-GS1 symbology', `]d101${GTIN}`, 'unsupported_symbology', 0, undefined, "']d1' is not a GS1 symbology"],
      ['an unknown AI in the stream', `01${GTIN}99ABC`, 'unknown_ai', 16, undefined, "unknown or unsupported AI at '99AB'"],
      ['an unknown AI in brackets', `(01)${GTIN}(99)X`, 'unknown_ai', 19, undefined, "at '99'"],
      ['a truncated GTIN', `010950600013435`, 'wrong_length', 15, '01', 'must be 14 digits, got 13'],
      ['a GTIN cut short by GS', `01095060001343${GS}17261231`, 'wrong_length', 14, '01', 'got 12'],
      ['a bracketed GTIN with an extra digit', `(01)${GTIN}1`, 'wrong_length', 18, '01', 'got 15'],
      ['a GSRN with 19 digits', '80180123456789012345600', 'wrong_length', 22, '8018', 'must be 18 digits, got 19'],
      ['a GSRN with 17 digits', `801801234567890123456${GS}4149506000134352`, 'wrong_length', 21, '8018', 'got 17'],
      ['an empty lot', `01${GTIN}10${GS}21X9`, 'wrong_length', 18, '10', 'must be 1-20 characters, it is empty'],
      ['a 21-character lot', `01${GTIN}10ABCDEFGHIJ0123456789X`, 'value_too_long', 38, '10', 'got 21'],
      ['a letter in a GTIN', '010950600013435A', 'non_digit', 15, '01', 'must be digits only, found "A"'],
      ['a letter in an expiry', `01${GTIN}1726I231`, 'non_digit', 20, '17', 'found "I"'],
      ['a space in a lot', `01${GTIN}10AB 12`, 'invalid_character', 20, '10', 'contains " ", which is outside'],
      ['an accented serial', `01${GTIN}21Xé`, 'invalid_character', 19, '21', 'contains "é"'],
      ['a GTIN with a wrong check digit', '0109506000134353', 'bad_check_digit', 15, '01', 'check digit is 3, expected 2'],
      ['an SSCC with a wrong check digit', '00106141411234567890', 'bad_check_digit', 19, '00', 'is 0, expected 7'],
      ['a GLN with a wrong check digit', '4149506000134353', 'bad_check_digit', 15, '414', 'is 3, expected 2'],
      ['a badge with a wrong check digit', '8017950600013435200009', 'bad_check_digit', 21, '8017', 'is 9, expected 8'],
      ['a wristband with a wrong check digit', '(8018)012345678901234561', 'bad_check_digit', 23, '8018', 'is 1, expected 0'],
      ['month 13', `01${GTIN}17251301`, 'invalid_date', 20, '17', 'month 13 is not 01-12'],
      ['31 April', `01${GTIN}17250431`, 'invalid_date', 22, '17', 'day 31 does not exist in 2025-04'],
      ['29 February of a common year', `01${GTIN}17250229`, 'invalid_date', 22, '17', 'day 29 does not exist in 2025-02'],
      ['an AI repeated with another value', `(01)${GTIN}(10)A(10)B`, 'duplicate_ai', 24, '10', "('A' and 'B')"],
      ['a lot without a GTIN', '10AB12', 'missing_required_ai', 0, '10', 'only meaningful with AI (01)'],
      ['a bracketed serial without a GTIN', '(21)X9', 'missing_required_ai', 1, '21', 'serial number'],
      ['a malformed bracket', '(1)23', 'syntax_error', 0, undefined, "expected an AI in brackets, such as '(01)'"],
      ['an unclosed bracket', '(01', 'syntax_error', 0, undefined, 'expected an AI in brackets'],
    ])('%s', (_case, input, reason, position, ai, text) => {
      const error = failure(input);
      expect(error.reason).toBe(reason);
      expect(error.position).toBe(position);
      expect(error.ai).toBe(ai);
      expect(error.message).toContain(text);
      expect(error.message).toContain(`(at position ${position})`);
    });

    it('as a ValidationError on the barcode field with structured details', () => {
      const error = failure('0109506000134353');
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.name).toBe('Gs1ParseError');
      expect(error.code).toBe('validation_failed');
      expect(error.field).toBe('barcode');
      expect(error.details).toEqual({
        field: 'barcode',
        reason: 'bad_check_digit',
        position: 15,
        ai: '01',
        expected: 2,
        actual: 3,
      });
    });

    it('a non-string input without crashing on it', () => {
      expect(() => parseGs1Barcode(undefined as unknown as string)).toThrow(Gs1ParseError);
    });
  });
});
