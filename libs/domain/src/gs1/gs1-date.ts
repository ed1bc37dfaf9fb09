/**
 * Decoding of GS1 YYMMDD dates (AI 17 and friends): the -49/+50 year window that picks the
 * century, and day 00 meaning the last day of the month. Returns a failure description
 * instead of throwing so the parser can place it at the exact character of the input.
 */

export type Gs1DateResult =
  | { readonly ok: true; readonly iso: string }
  | {
      readonly ok: false;
      readonly reason: string;
      /** Offset of the bad part inside the six digits. */ readonly offset: number;
    };

/**
 * GS1 General Specifications §7.12: the year is the one within [reference − 49, reference + 50]
 * whose last two digits are YY. A fixed 20YY would misread long-dated or historical labels.
 */
export function gs1Year(yy: number, referenceYear: number): number {
  const century = referenceYear - (referenceYear % 100);
  const diff = yy - (referenceYear % 100);
  if (diff > 50) return century - 100 + yy;
  if (diff < -49) return century + 100 + yy;
  return century + yy;
}

export function daysInMonth(year: number, month: number): number {
  // Day 0 of the following month is the last day of this one; UTC avoids DST surprises.
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** `yymmdd` must already be six digits; `referenceDate` anchors the century window (UTC year). */
export function decodeGs1Date(yymmdd: string, referenceDate: Date): Gs1DateResult {
  const year = gs1Year(Number(yymmdd.slice(0, 2)), referenceDate.getUTCFullYear());
  const month = Number(yymmdd.slice(2, 4));
  const day = Number(yymmdd.slice(4, 6));
  if (month < 1 || month > 12) return { ok: false, reason: `month ${yymmdd.slice(2, 4)} is not 01-12`, offset: 2 };
  const last = daysInMonth(year, month);
  if (day > last) {
    return {
      ok: false,
      reason: `day ${yymmdd.slice(4, 6)} does not exist in ${year}-${pad(month)} (last day ${last})`,
      offset: 4,
    };
  }
  return { ok: true, iso: `${year}-${pad(month)}-${pad(day === 0 ? last : day)}` };
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
