/**
 * The bedside "five rights" check: right patient, drug, dose, route and time, comparing what
 * the nurse scanned with the verified order. It reports every right with a reason instead of
 * stopping at the first failure, because the nurse must see everything that is wrong before
 * deciding to hold the dose or to record an override for pharmacist review.
 */
import { ValidationError } from '../errors.js';
import { compareDoseQuantities, formatQuantity, type DoseQuantity } from './dose-quantity.js';

export type Right = 'patient' | 'drug' | 'dose' | 'route' | 'time';

export interface ScannedPatient {
  /** GSRN from the wristband (GS1 AI 8018). */
  readonly wristband?: string;
  readonly patientId?: string;
}

export interface ScannedDose extends DoseQuantity {
  readonly gtin?: string;
  readonly medicationId?: string;
  /** Route the dose is about to be given by, as confirmed on the scanning device. */
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

export function checkFiveRights({ scannedPatient, scannedDose, order, now }: FiveRightsInput): FiveRightsResult {
  assertWellFormed(scannedDose, order, now);
  const rights: RightCheck[] = [
    checkIdentity('patient', [
      ['wristband', scannedPatient.wristband, order.wristband],
      ['patient id', scannedPatient.patientId, order.patientId],
    ]),
    checkIdentity('drug', [
      ['GTIN', scannedDose.gtin, order.gtin],
      ['medication id', scannedDose.medicationId, order.medicationId],
    ]),
    checkDose(scannedDose, order.dose),
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

function checkDose(scanned: DoseQuantity, ordered: DoseQuantity): RightCheck {
  const comparison = compareDoseQuantities(scanned, ordered);
  const pair = `scanned ${formatQuantity(scanned)}, ordered ${formatQuantity(ordered)}`;
  if (comparison === 'equal') return { right: 'dose', pass: true, reason: pair };
  if (comparison === 'incomparable') {
    return {
      right: 'dose',
      pass: false,
      reason: `${pair}: unit '${scanned.unit}' cannot be compared with '${ordered.unit}'`,
    };
  }
  return { right: 'dose', pass: false, reason: `${pair}: the amounts differ` };
}

function checkRoute(scanned: string, ordered: string): RightCheck {
  const pass = scanned.trim().toLowerCase() === ordered.trim().toLowerCase();
  return {
    right: 'route',
    pass,
    reason: pass ? `route ${ordered} as ordered` : `route ${scanned} differs from the ordered route ${ordered}`,
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
function assertWellFormed(dose: ScannedDose, order: FiveRightsOrder, now: Date): void {
  for (const [field, q] of [
    ['scannedDose', dose],
    ['order.dose', order.dose],
  ] as const) {
    if (!Number.isFinite(q.amount) || q.amount <= 0) throw new ValidationError(`${field}.amount must be a positive number`, `${field}.amount`);
    if (q.unit.trim() === '') throw new ValidationError(`${field}.unit is required`, `${field}.unit`);
  }
  const { minutesBefore, minutesAfter } = order.window;
  if (![minutesBefore, minutesAfter].every((m) => Number.isFinite(m) && m >= 0)) {
    throw new ValidationError('order.window minutes must be zero or positive', 'order.window');
  }
  if (Number.isNaN(order.scheduledAt.getTime())) throw new ValidationError('order.scheduledAt is not a valid date', 'order.scheduledAt');
  if (Number.isNaN(now.getTime())) throw new ValidationError('now is not a valid date', 'now');
}
