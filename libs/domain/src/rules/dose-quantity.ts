/**
 * Comparison of dose quantities across units of the same dimension (500 mg equals 0.5 g).
 * Owns the small, deliberately closed unit table: mass (kg, g, mg, mcg/µg/ug, ng) and volume
 * (L, mL) convert within their dimension; anything else (IU, unit, mmol, tablet, puff…) is
 * only ever compared with the identical unit (spelling variants aside: `tablets` is `tablet`),
 * because guessing a conversion at the bedside — IU to units, mmol to mg — is how tenfold
 * errors happen.
 */

export interface DoseQuantity {
  readonly amount: number;
  readonly unit: string;
}

/**
 * Factor to a base unit per dimension: micrograms for mass, millilitres for volume. Looked up
 * lower-case (`MG`, `mL` and `ML` are what nurses type; no unit here differs only by case).
 */
const CONVERTIBLE: Readonly<Record<string, { readonly dimension: 'mass' | 'volume'; readonly factor: number }>> = {
  kg: { dimension: 'mass', factor: 1e9 },
  g: { dimension: 'mass', factor: 1e6 },
  mg: { dimension: 'mass', factor: 1e3 },
  ug: { dimension: 'mass', factor: 1 },
  mcg: { dimension: 'mass', factor: 1 },
  µg: { dimension: 'mass', factor: 1 },
  μg: { dimension: 'mass', factor: 1 },
  ng: { dimension: 'mass', factor: 1e-3 },
  l: { dimension: 'volume', factor: 1e3 },
  ml: { dimension: 'volume', factor: 1 },
};

function convertible(unit: string) {
  const u = unit.trim().toLowerCase();
  return Object.hasOwn(CONVERTIBLE, u) ? CONVERTIBLE[u] : undefined;
}

/**
 * Spellings of the same count unit (compared lower-case). Not a conversion: `IU` and `unit`
 * stay apart (heparin's USP units are not insulin's IU on every label).
 */
const COUNT_ALIASES: Readonly<Record<string, string>> = {
  tablets: 'tablet',
  tab: 'tablet',
  tabs: 'tablet',
  capsules: 'capsule',
  cap: 'capsule',
  caps: 'capsule',
  units: 'unit',
  puffs: 'puff',
  drops: 'drop',
  ampoules: 'ampoule',
  vials: 'vial',
};

export type QuantityComparison = 'equal' | 'different' | 'incomparable';

/**
 * How `a` relates to `b`: the ratio a/b once both are in one unit, or null when the units
 * cannot be compared (different dimensions, or a count unit against anything but itself).
 */
export function quantityRatio(a: DoseQuantity, b: DoseQuantity): number | null {
  const ua = convertible(a.unit);
  const ub = convertible(b.unit);
  if (ua && ub) return ua.dimension === ub.dimension ? (a.amount * ua.factor) / (b.amount * ub.factor) : null;
  if (ua || ub || countUnit(a.unit) !== countUnit(b.unit)) return null;
  return a.amount / b.amount;
}

/**
 * Equal within `tolerance` (a fraction of `b`, e.g. 0.05 for ±5 %; 0 = exact). Binary
 * floating-point noise (0.1 g * 1e6) never counts as a difference.
 */
export function compareDoseQuantities(a: DoseQuantity, b: DoseQuantity, tolerance = 0): QuantityComparison {
  const ratio = quantityRatio(a, b);
  if (ratio === null) return 'incomparable';
  return Math.abs(ratio - 1) <= tolerance + 1e-9 ? 'equal' : 'different';
}

/** `q` expressed in the unit of `of` (null when they cannot be compared): to add a waste to a given amount. */
export function inUnitOf(q: DoseQuantity, of: DoseQuantity): DoseQuantity | null {
  const ratio = quantityRatio(q, { amount: 1, unit: of.unit });
  return ratio === null ? null : { amount: ratio, unit: of.unit };
}

/**
 * A plain quantity written as text (`10 mg`, `0.5 g`, `5000 units`), or null for anything
 * else — a concentration (`100 units/mL`), a range, free text: the unit's content is then
 * unknown rather than guessed.
 */
export function parseQuantity(text: string): DoseQuantity | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-zµμ]+)\s*$/.exec(text);
  if (!m) return null;
  const amount = Number(m[1]);
  return Number.isFinite(amount) && amount > 0 ? { amount, unit: m[2]! } : null;
}

export function formatQuantity(q: DoseQuantity): string {
  return `${roundQuantity(q.amount)} ${q.unit}`;
}

/** Six significant digits: a sum of 2.5 mg and 7.5 mg reads 10, never 10.000000000000002. */
function roundQuantity(v: number): string {
  return String(Number(v.toPrecision(6)));
}

function countUnit(unit: string): string {
  const u = unit.trim().toLowerCase();
  return Object.hasOwn(COUNT_ALIASES, u) ? COUNT_ALIASES[u]! : u;
}
