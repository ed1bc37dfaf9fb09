/**
 * Shared test data builders: GS1 codes as scanners deliver them (a unit dose's DataMatrix
 * string, its human-keyed bracketed form, a patient wristband) and valid GTIN/GSRN numbers.
 * Every e2e spec that scans something builds it here instead of keeping its own copy.
 */
import { gtinCheckDigit } from '#domain';

/** the GS1 group separator (FNC1) ending a variable-length element string */
export const GS = '\u001d';

/** `digits` followed by their GS1 mod-10 check digit: 13 digits make a GTIN-14, 17 a GSRN. */
export const withCheck = (digits: string): string => digits + gtinCheckDigit(digits);

/** A date as GS1 AI 17 writes it (YYMMDD, UTC). */
export const yymmdd = (d: Date): string =>
  `${String(d.getUTCFullYear()).slice(2)}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;

/** An expiry a year from now (AI 17): a unit that is not expired. */
export const NEXT_YEAR = yymmdd(new Date(Date.now() + 365 * 86400_000));

export interface UnitFields {
  /** AI 17, YYMMDD; a year from now unless given */
  expiry?: string;
  /** AI 10; `LOT42` unless given */
  lot?: string;
}

/**
 * One unit dose's GS1 DataMatrix as a scanner sends it: symbology identifier `]d2`, then
 * (01) GTIN, (17) expiry, (10) lot ended by GS, (21) serial.
 */
export const unitBarcode = (gtin: string, serial: string, { expiry = NEXT_YEAR, lot = 'LOT42' }: UnitFields = {}): string =>
  `]d201${gtin}17${expiry}10${lot}${GS}21${serial}`;

/** The same unit in the bracketed form a person keys in (`(01)…(17)…(10)…(21)…`). */
export const keyedUnit = (gtin: string, serial: string, { expiry = NEXT_YEAR, lot = 'LOT42' }: UnitFields = {}): string =>
  `(01)${gtin}(17)${expiry}(10)${lot}(21)${serial}`;

/** A patient wristband's code: GS1 AI 8018 (GSRN of a service recipient). */
export const wristband = (gsrn: string): string => `(8018)${gsrn}`;

// random start: specs that restart a server on the same database must not meet their own patients
let gsrnSeq = Math.floor(Math.random() * 900);
/** A fresh valid GSRN (18 digits) for a new patient's wristband. */
export const newGsrn = (): string => withCheck(`80180000000${String(++gsrnSeq % 1_000_000).padStart(6, '0')}`);

/** The body of POST /api/patients for a new patient wearing wristband `gsrn`. */
export const patientBody = (gsrn: string, ward: string, bed = '3') => ({
  mrn: `MRN${gsrn.slice(-8)}`,
  wristbandGsrn: gsrn,
  name: `Patient ${gsrn.slice(-4)}`,
  ward,
  bed,
});

export interface OrderOptions {
  /** mg; 500 unless given */
  amount?: number;
  /** when the one administration is due; in an hour unless given */
  inMinutes?: number;
  priority?: 'routine' | 'urgent';
}

/** The body of POST /api/orders for one oral dose of `medicationId`. */
export const orderBody = (patientId: string, medicationId: string, { amount = 500, inMinutes = 60, priority = 'routine' }: OrderOptions = {}) => ({
  patientId,
  medicationId,
  dose: { amount, unit: 'mg' },
  route: 'oral',
  schedule: { times: [new Date(Date.now() + inMinutes * 60_000).toISOString()], windowMinutes: 60 },
  priority,
});
