/**
 * Comparison of dose quantities across units of the same dimension (500 mg equals 0.5 g).
 * Owns the small, deliberately closed unit table: anything outside it (tablet, IU, puff) is
 * only ever compared with the identical unit, because guessing a conversion at the bedside
 * is how tenfold errors happen.
 */

export interface DoseQuantity {
  readonly amount: number;
  readonly unit: string;
}

/** Factor to a base unit per dimension: micrograms for mass, millilitres for volume. */
const CONVERTIBLE: Readonly<Record<string, { readonly dimension: 'mass' | 'volume'; readonly factor: number }>> = {
  kg: { dimension: 'mass', factor: 1e9 },
  g: { dimension: 'mass', factor: 1e6 },
  mg: { dimension: 'mass', factor: 1e3 },
  ug: { dimension: 'mass', factor: 1 },
  mcg: { dimension: 'mass', factor: 1 },
  µg: { dimension: 'mass', factor: 1 },
  μg: { dimension: 'mass', factor: 1 },
  ng: { dimension: 'mass', factor: 1e-3 },
  L: { dimension: 'volume', factor: 1e3 },
  l: { dimension: 'volume', factor: 1e3 },
  mL: { dimension: 'volume', factor: 1 },
  ml: { dimension: 'volume', factor: 1 },
};

export type QuantityComparison = 'equal' | 'different' | 'incomparable';

export function compareDoseQuantities(a: DoseQuantity, b: DoseQuantity): QuantityComparison {
  const ua = Object.hasOwn(CONVERTIBLE, a.unit) ? CONVERTIBLE[a.unit] : undefined;
  const ub = Object.hasOwn(CONVERTIBLE, b.unit) ? CONVERTIBLE[b.unit] : undefined;
  if (ua && ub) {
    if (ua.dimension !== ub.dimension) return 'incomparable';
    return nearlyEqual(a.amount * ua.factor, b.amount * ub.factor) ? 'equal' : 'different';
  }
  if (ua || ub || a.unit.trim().toLowerCase() !== b.unit.trim().toLowerCase()) return 'incomparable';
  return nearlyEqual(a.amount, b.amount) ? 'equal' : 'different';
}

/** Relative tolerance absorbs binary floating-point noise (0.1 g * 1e6), never a real difference. */
function nearlyEqual(x: number, y: number): boolean {
  return Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
}

export function formatQuantity(q: DoseQuantity): string {
  return `${q.amount} ${q.unit}`;
}
