/**
 * The bedside "five rights" check: right patient, drug, dose, route and time, comparing what
 * the nurse scanned and records as given with the verified order. It reports every right with
 * a reason instead of stopping at the first failure, because the nurse must see everything
 * that is wrong before deciding to hold the dose or to record an override for pharmacist review.
 *
 * The dose right converts units within one dimension (dose-quantity.ts) and allows a relative
 * tolerance (the site's setting, DOSE_TOLERANCE_PCT); the route right compares routes after
 * normalising case, dots and the common abbreviations in ROUTE_SYNONYMS.
 */
import { ValidationError } from '../errors.js';
import { formatQuantity, quantityRatio, type DoseQuantity } from './dose-quantity.js';

export type Right = 'patient' | 'drug' | 'dose' | 'route' | 'time';

export interface ScannedPatient {
  /** GSRN from the wristband (GS1 AI 8018). */
  readonly wristband?: string;
  readonly patientId?: string;
}

/** The scanned unit, with the amount and route the nurse records as actually given. */
export interface ScannedDose extends DoseQuantity {
  readonly gtin?: string;
  readonly medicationId?: string;
  /** Route the dose was given by, as the nurse records it. */
  readonly route: string;
}

export interface FiveRightsOrder {
  readonly patientId: string;
  readonly wristband?: string;
  readonly gtin?: string;
  readonly medicationId?: string;
  readonly dose: DoseQuantity;
  readonly route: string;
  readonly scheduledAt: Date;
  readonly window: { readonly minutesBefore: number; readonly minutesAfter: number };
}

export interface FiveRightsInput {
  readonly scannedPatient: ScannedPatient;
  readonly scannedDose: ScannedDose;
  readonly order: FiveRightsOrder;
  readonly now: Date;
  /** relative difference from the ordered amount still counted as the right dose (0.05 = ±5 %); exact when absent */
  readonly doseTolerance?: number;
}

export interface RightCheck {
  readonly right: Right;
  readonly pass: boolean;
  readonly reason: string;
}

export interface FiveRightsResult {
  readonly ok: boolean;
  /** Always all five, in the order patient, drug, dose, route, time. */
  readonly rights: readonly RightCheck[];
  readonly failed: readonly Right[];
}

export function checkFiveRights({ scannedPatient, scannedDose, order, now, doseTolerance = 0 }: FiveRightsInput): FiveRightsResult {
  assertWellFormed(scannedDose, order, now, doseTolerance);
  const rights: RightCheck[] = [
    checkIdentity('patient', [
      ['wristband', scannedPatient.wristband, order.wristband],
      ['patient id', scannedPatient.patientId, order.patientId],
    ]),
    checkIdentity('drug', [
      ['GTIN', scannedDose.gtin, order.gtin],
      ['medication id', scannedDose.medicationId, order.medicationId],
    ]),
    checkDose(scannedDose, order.dose, doseTolerance),
    checkRoute(scannedDose.route, order.route),
    checkTime(now, order),
  ];
  const failed = rights.filter((r) => !r.pass).map((r) => r.right);
  return { ok: failed.length === 0, rights, failed };
}

type Identifier = readonly [label: string, scanned: string | undefined, expected: string | undefined];

/**
 * Passes only if at least one identifier can be compared and every comparable one matches:
 * a matching patient id must not hide a wristband that belongs to someone else.
 */
function checkIdentity(right: 'patient' | 'drug', identifiers: readonly Identifier[]): RightCheck {
  const subject = right === 'patient' ? "the order's patient" : 'the ordered medication';
  const comparable = identifiers.flatMap(([label, scanned, expected]) =>
    isPresent(scanned) && isPresent(expected) ? [{ label, scanned: scanned.trim(), expected: expected.trim() }] : [],
  );
  if (comparable.length === 0) {
    const scannedAny = identifiers.some(([, scanned]) => isPresent(scanned));
    const reason = scannedAny
      ? `the scanned identifier cannot be compared with ${subject} (the order holds a different kind of identifier)`
      : `no ${right === 'patient' ? 'patient' : 'medication'} identifier was scanned`;
    return { right, pass: false, reason };
  }
  const mismatch = comparable.find(({ scanned, expected }) => scanned !== expected);
  if (mismatch) return { right, pass: false, reason: `scanned ${mismatch.label} does not match ${subject}` };
  const labels = comparable.map(({ label }) => label).join(' and ');
  return { right, pass: true, reason: `${labels} ${comparable.length === 1 ? 'matches' : 'match'} ${subject}` };
}

function checkDose(given: DoseQuantity, ordered: DoseQuantity, tolerance: number): RightCheck {
  const ratio = quantityRatio(given, ordered);
  const pair = `given ${formatQuantity(given)}, ordered ${formatQuantity(ordered)}`;
  if (ratio === null) {
    // never a guess across dimensions or count units: the nurse must record it in a comparable unit, or override
    return { right: 'dose', pass: false, reason: `${pair}: unit '${given.unit}' cannot be compared with '${ordered.unit}'` };
  }
  const off = ratio - 1;
  const pct = `${percent(Math.abs(off))} % ${off > 0 ? 'more' : 'less'} than ordered`;
  const allowed = tolerance > 0 ? `the tolerance is ${percent(tolerance)} %` : 'no tolerance is allowed';
  // 1e-9 absorbs binary floating-point noise (0.1 g * 1e6), never a real difference
  if (Math.abs(off) <= tolerance + 1e-9)
    return { right: 'dose', pass: true, reason: Math.abs(off) <= 1e-9 ? pair : `${pair}: ${pct}, within the ${percent(tolerance)} % tolerance` };
  return { right: 'dose', pass: false, reason: `${pair}: ${pct} (${allowed})` };
}

const percent = (fraction: number) => String(Math.round(fraction * 1000) / 10);

/**
 * Spellings of one route, normalised (lower case, dots and extra spaces removed) to the name
 * compared. Small on purpose: a route written otherwise is compared as written, and fails
 * rather than being guessed.
 */
export const ROUTE_SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  oral: ['po', 'per os', 'by mouth', 'orally'],
  intravenous: ['iv', 'intravenously', 'intra-venous'],
  intramuscular: ['im', 'intramuscularly'],
  subcutaneous: ['sc', 'sq', 'subcut', 'sub-q', 'subq', 'subcutaneously'],
  sublingual: ['sl'],
  rectal: ['pr', 'per rectum'],
  inhalation: ['inh', 'inhaled'],
  topical: ['top', 'cutaneous'],
  nasal: ['intranasal'],
};

const ROUTE_BY_SPELLING = new Map(Object.entries(ROUTE_SYNONYMS).flatMap(([route, spellings]) => [route, ...spellings].map((s) => [s, route] as const)));

/** The route a spelling names (`IV`, `i.v.` → `intravenous`); an unknown one normalised as written. */
export function normaliseRoute(route: string): string {
  const spelled = route.trim().toLowerCase().replace(/\./g, '').replace(/\s+/g, ' ');
  return ROUTE_BY_SPELLING.get(spelled) ?? spelled;
}

function checkRoute(given: string, ordered: string): RightCheck {
  const pass = normaliseRoute(given) === normaliseRoute(ordered);
  return {
    right: 'route',
    pass,
    reason: pass
      ? given.trim() === ordered.trim()
        ? `route ${ordered} as ordered`
        : `route ${given.trim()} is the ordered route ${ordered}`
      : `route ${given.trim()} differs from the ordered route ${ordered}`,
  };
}

function checkTime(now: Date, order: FiveRightsOrder): RightCheck {
  const minute = 60_000;
  const { minutesBefore, minutesAfter } = order.window;
  const scheduled = order.scheduledAt.getTime();
  const opens = scheduled - minutesBefore * minute;
  const closes = scheduled + minutesAfter * minute;
  const at = now.getTime();
  const window = `scheduled ${order.scheduledAt.toISOString()}, window -${minutesBefore}/+${minutesAfter} min`;
  if (at < opens) {
    return {
      right: 'time',
      pass: false,
      reason: `${Math.ceil((opens - at) / minute)} min before the window opens (${window})`,
    };
  }
  if (at > closes) {
    return {
      right: 'time',
      pass: false,
      reason: `${Math.ceil((at - closes) / minute)} min after the window closed (${window})`,
    };
  }
  const offset = Math.round((at - scheduled) / minute);
  const relative = offset === 0 ? 'on time' : offset < 0 ? `${-offset} min early` : `${offset} min late`;
  return { right: 'time', pass: true, reason: `${relative}, within the window (${window})` };
}

function isPresent(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

/** Malformed input is a programming or edge-validation error, not a failed right. */
function assertWellFormed(dose: ScannedDose, order: FiveRightsOrder, now: Date, tolerance: number): void {
  if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance >= 1)
    throw new ValidationError('doseTolerance must be a fraction from 0 to below 1', 'doseTolerance');
  for (const [field, q] of [
    ['scannedDose', dose],
    ['order.dose', order.dose],
  ] as const) {
    if (!Number.isFinite(q.amount) || q.amount <= 0) throw new ValidationError(`${field}.amount must be a positive number`, `${field}.amount`);
    if (q.unit.trim() === '') throw new ValidationError(`${field}.unit is required`, `${field}.unit`);
  }
  if (dose.route.trim() === '') throw new ValidationError('scannedDose.route is required', 'scannedDose.route');
  const { minutesBefore, minutesAfter } = order.window;
  if (![minutesBefore, minutesAfter].every((m) => Number.isFinite(m) && m >= 0)) {
    throw new ValidationError('order.window minutes must be zero or positive', 'order.window');
  }
  if (Number.isNaN(order.scheduledAt.getTime())) throw new ValidationError('order.scheduledAt is not a valid date', 'order.scheduledAt');
  if (Number.isNaN(now.getTime())) throw new ValidationError('now is not a valid date', 'now');
}
