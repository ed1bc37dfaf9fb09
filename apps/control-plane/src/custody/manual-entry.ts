/**
 * How an item of a custody act was identified: by a scan, or chosen by hand from the expected
 * items when the scan cannot be had (BCMA practice). A manual entry goes through the same checks
 * as a scan; what differs is written on the custody event (`identification`, `manualEntry`) so
 * the audit shows it, and it is counted (medloop_manual_entries_total{step,reason}).
 */
import type { ManualEntry } from './custody.dto.js';

export type ManualStep = 'pick' | 'receipt' | 'bedside_patient' | 'bedside_dose';

/**
 * The evidence of the identification: `{ identification: 'scan' }`, or `'manual'` with the reason,
 * the note and which fields were chosen rather than scanned (at the bedside, one may be scanned
 * and the other chosen).
 */
export function identificationEvidence(manual: ManualEntry | undefined, fields: string[]): Record<string, unknown> {
  if (!manual || fields.length === 0) return { identification: 'scan' };
  return { identification: 'manual', manualEntry: { reason: manual.reason, ...(manual.note ? { note: manual.note } : {}), fields } };
}
