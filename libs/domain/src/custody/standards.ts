/**
 * External code sets the custody tables map onto: FHIR R4 status value sets and GS1 EPCIS 2.0
 * / CBV 2.0 vocabulary. Values are copied exactly from the standards so that exports built
 * from these tables validate against them.
 */

export const MEDICATION_REQUEST_STATUSES = ['active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown'] as const;
export type MedicationRequestStatus = (typeof MEDICATION_REQUEST_STATUSES)[number];

export const MEDICATION_DISPENSE_STATUSES = [
  'preparation',
  'in-progress',
  'cancelled',
  'on-hold',
  'completed',
  'entered-in-error',
  'stopped',
  'declined',
  'unknown',
] as const;
export type MedicationDispenseStatus = (typeof MEDICATION_DISPENSE_STATUSES)[number];

export const MEDICATION_ADMINISTRATION_STATUSES = ['in-progress', 'not-done', 'on-hold', 'completed', 'entered-in-error', 'stopped', 'unknown'] as const;
export type MedicationAdministrationStatus = (typeof MEDICATION_ADMINISTRATION_STATUSES)[number];

export const TASK_STATUSES = [
  'draft',
  'requested',
  'received',
  'accepted',
  'rejected',
  'ready',
  'cancelled',
  'in-progress',
  'on-hold',
  'failed',
  'completed',
  'entered-in-error',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const EPCIS_BIZ_STEPS = [
  'picking',
  'packing',
  'loading',
  'departing',
  'transporting',
  'arriving',
  'receiving',
  'unloading',
  'dispensing',
  'holding',
  'inspecting',
  'destroying',
  'sensor_reporting',
] as const;
export type EpcisBizStep = (typeof EPCIS_BIZ_STEPS)[number];

/**
 * The product's list plus five CBV 2.0 dispositions (in_progress, conformant, non_conformant,
 * non_sellable_other, unknown) without which picking, checking, quarantine and loss could
 * only be described with a misleading code.
 */
export const EPCIS_DISPOSITIONS = [
  'in_transit',
  'dispensed',
  'container_closed',
  'container_open',
  'recalled',
  'returned',
  'expired',
  'destroyed',
  'stolen',
  'damaged',
  'in_progress',
  'conformant',
  'non_conformant',
  'non_sellable_other',
  'unknown',
] as const;
export type EpcisDisposition = (typeof EPCIS_DISPOSITIONS)[number];

export interface EpcisStep {
  readonly bizStep: EpcisBizStep;
  readonly disposition: EpcisDisposition;
}
