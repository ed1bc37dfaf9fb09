import { describe, expect, it } from '@jest/globals';
import { ValidationError } from '../errors.js';
import { checkFiveRights, normaliseRoute, type FiveRightsInput, type Right } from './five-rights.rule.js';

const scheduledAt = new Date('2025-06-15T08:00:00Z');
const minutes = (n: number) => new Date(scheduledAt.getTime() + n * 60_000);

const base: FiveRightsInput = {
  scannedPatient: { wristband: '012345678901234560', patientId: 'pat-7' },
  scannedDose: { gtin: '09506000134352', amount: 500, unit: 'mg', route: 'oral' },
  order: {
    patientId: 'pat-7',
    wristband: '012345678901234560',
    gtin: '09506000134352',
    medicationId: 'med-paracetamol-500',
    dose: { amount: 500, unit: 'mg' },
    route: 'oral',
    scheduledAt,
    window: { minutesBefore: 30, minutesAfter: 60 },
  },
  now: minutes(10),
};

type Override = {
  [K in keyof FiveRightsInput]?: FiveRightsInput[K] extends Date ? Date : Partial<FiveRightsInput[K]>;
};
const withInput = (o: Override): FiveRightsInput => ({
  scannedPatient: { ...base.scannedPatient, ...o.scannedPatient },
  scannedDose: { ...base.scannedDose, ...o.scannedDose },
  order: { ...base.order, ...o.order },
  now: o.now ?? base.now,
});
const reasonOf = (input: FiveRightsInput, right: Right) => checkFiveRights(input).rights.find((r) => r.right === right)?.reason;

describe('checkFiveRights', () => {
  it('passes all five rights, reporting each in a fixed order with a reason', () => {
    const result = checkFiveRights(base);
    expect(result.ok).toBe(true);
    expect(result.failed).toEqual([]);
    expect(result.rights.map((r) => [r.right, r.pass])).toEqual([
      ['patient', true],
      ['drug', true],
      ['dose', true],
      ['route', true],
      ['time', true],
    ]);
    expect(reasonOf(base, 'patient')).toBe("wristband and patient id match the order's patient");
    expect(reasonOf(base, 'time')).toContain('10 min late, within the window');
  });

  it.each<[string, Override, Right, string]>([
    ["another patient's wristband", { scannedPatient: { wristband: '950600013435200008' } }, 'patient', "scanned wristband does not match the order's patient"],
    [
      'a wristband that contradicts a matching patient id',
      { scannedPatient: { wristband: 'other', patientId: 'pat-7' } },
      'patient',
      'scanned wristband does not match',
    ],
    ['no patient scan at all', { scannedPatient: { wristband: undefined, patientId: undefined } }, 'patient', 'no patient identifier was scanned'],
    ['a different product', { scannedDose: { gtin: '04006381333931' } }, 'drug', 'scanned GTIN does not match the ordered medication'],
    ['no product identifier', { scannedDose: { gtin: undefined } }, 'drug', 'no medication identifier was scanned'],
    [
      'a product identifier the order cannot be compared with',
      { scannedDose: { gtin: '09506000134352' }, order: { gtin: undefined, medicationId: 'med-x' } },
      'drug',
      'cannot be compared',
    ],
    ['a tenfold dose', { scannedDose: { amount: 5000 } }, 'dose', 'given 5000 mg, ordered 500 mg: 900 % more than ordered (no tolerance is allowed)'],
    ['half the dose', { scannedDose: { amount: 250 } }, 'dose', 'given 250 mg, ordered 500 mg: 50 % less than ordered'],
    ['a volume where a mass was ordered', { scannedDose: { amount: 5, unit: 'mL' } }, 'dose', "unit 'mL' cannot be compared with 'mg'"],
    ['a count unit where a mass was ordered', { scannedDose: { amount: 1, unit: 'tablet' } }, 'dose', "unit 'tablet' cannot be compared"],
    ['the wrong route', { scannedDose: { route: 'IV' } }, 'route', 'route IV differs from the ordered route oral'],
    ['intramuscular for subcutaneous', { scannedDose: { route: 'IM' }, order: { route: 'SC' } }, 'route', 'route IM differs from the ordered route SC'],
    [
      'IU where units were ordered',
      { scannedDose: { amount: 10, unit: 'IU' }, order: { dose: { amount: 10, unit: 'units' } } },
      'dose',
      "unit 'IU' cannot be compared",
    ],
    ['mmol where mg were ordered', { scannedDose: { amount: 10, unit: 'mmol' } }, 'dose', "unit 'mmol' cannot be compared with 'mg'"],
    ['too early', { now: minutes(-45) }, 'time', '15 min before the window opens'],
    ['too late', { now: minutes(61) }, 'time', '1 min after the window closed'],
  ])('fails only the affected right for %s', (_case, override, right, reason) => {
    const result = checkFiveRights(withInput(override));
    expect(result.ok).toBe(false);
    expect(result.failed).toEqual([right]);
    expect(reasonOf(withInput(override), right)).toContain(reason);
  });

  it('reports every failing right at once', () => {
    const result = checkFiveRights(withInput({ scannedPatient: { wristband: 'x' }, scannedDose: { route: 'IV', amount: 1 }, now: minutes(120) }));
    expect(result.failed).toEqual(['patient', 'dose', 'route', 'time']);
  });

  it.each([
    ['0.5 g', { amount: 0.5, unit: 'g' }],
    ['500000 mcg', { amount: 500_000, unit: 'mcg' }],
  ])('accepts the ordered dose written as %s', (_case, dose) => {
    expect(checkFiveRights(withInput({ scannedDose: dose })).failed).toEqual([]);
  });

  it('matches routes regardless of case and surrounding spaces', () => {
    expect(checkFiveRights(withInput({ scannedDose: { route: ' Oral ' } })).ok).toBe(true);
  });

  it.each([
    ['PO', 'oral'],
    ['p.o.', 'oral'],
    ['by mouth', 'Oral'],
    ['IV', 'intravenous'],
    ['i.v.', 'Intravenous'],
    ['SC', 'subcutaneous'],
    ['subcut', 'SQ'],
    ['IM', 'intramuscular'],
  ])('knows the route %s as %s', (given, ordered) => {
    const input = withInput({ scannedDose: { route: given }, order: { route: ordered } });
    expect(checkFiveRights(input).ok).toBe(true);
    expect(normaliseRoute(given)).toBe(normaliseRoute(ordered));
  });

  it('compares a route the synonym table does not know as written', () => {
    expect(normaliseRoute(' Intrathecal ')).toBe('intrathecal');
    expect(checkFiveRights(withInput({ scannedDose: { route: 'intrathecal' }, order: { route: 'intravenous' } })).failed).toEqual(['route']);
  });

  it.each([
    ['0.004 g for 4 mg', { amount: 0.004, unit: 'g' }, { amount: 4, unit: 'mg' }],
    ['4000 µg for 4 mg', { amount: 4000, unit: 'µg' }, { amount: 4, unit: 'mg' }],
    ['0.5 L for 500 mL', { amount: 0.5, unit: 'L' }, { amount: 500, unit: 'mL' }],
    ['2 tablets for 2 tablet', { amount: 2, unit: 'tablets' }, { amount: 2, unit: 'tablet' }],
  ])('converts units of one dimension: %s', (_case, given, ordered) => {
    expect(checkFiveRights(withInput({ scannedDose: given, order: { dose: ordered } })).failed).toEqual([]);
  });

  it('allows the configured tolerance and no more, saying so', () => {
    const at = (amount: number) => withInput({ scannedDose: { amount } });
    expect(checkFiveRights({ ...at(525), doseTolerance: 0.05 }).ok).toBe(true);
    expect(reasonOf({ ...at(525), doseTolerance: 0.05 }, 'dose')).toBe('given 525 mg, ordered 500 mg: 5 % more than ordered, within the 5 % tolerance');
    expect(checkFiveRights({ ...at(475), doseTolerance: 0.05 }).ok).toBe(true);
    expect(checkFiveRights({ ...at(526), doseTolerance: 0.05 }).failed).toEqual(['dose']);
    expect(reasonOf({ ...at(450), doseTolerance: 0.05 }, 'dose')).toBe('given 450 mg, ordered 500 mg: 10 % less than ordered (the tolerance is 5 %)');
    // without a tolerance only the exact amount passes
    expect(checkFiveRights(at(501)).failed).toEqual(['dose']);
  });

  it('accepts a drug matched by medication id when no GTIN is on the order', () => {
    const input = withInput({ scannedDose: { gtin: undefined, medicationId: 'med-paracetamol-500' }, order: { gtin: undefined } });
    expect(reasonOf(input, 'drug')).toBe('medication id matches the ordered medication');
    expect(checkFiveRights(input).ok).toBe(true);
  });

  it.each([
    ['the opening minute', -30],
    ['the scheduled minute', 0],
    ['the closing minute', 60],
  ])('treats %s of the window as on time', (_case, offset) => {
    expect(checkFiveRights(withInput({ now: minutes(offset) })).ok).toBe(true);
  });

  it.each<[string, Override]>([
    ['a zero amount', { scannedDose: { amount: 0 } }],
    ['a NaN amount', { order: { dose: { amount: Number.NaN, unit: 'mg' } } }],
    ['an empty unit', { scannedDose: { unit: ' ' } }],
    ['an empty route', { scannedDose: { route: ' ' } }],
    ['a negative window', { order: { window: { minutesBefore: -5, minutesAfter: 60 } } }],
    ['an invalid scheduled time', { order: { scheduledAt: new Date('nope') } }],
  ])('rejects malformed input (%s) as a ValidationError', (_case, override) => {
    expect(() => checkFiveRights(withInput(override))).toThrow(ValidationError);
  });

  it.each([-0.1, 1, Number.NaN])('rejects a tolerance of %s as a ValidationError', (doseTolerance) => {
    expect(() => checkFiveRights({ ...base, doseTolerance })).toThrow(ValidationError);
  });
});
