/**
 * Identifier systems and deterministic identifiers shared by the FHIR and EPCIS exports.
 * Nothing here reads the clock or a random source: the same input always yields the same ids,
 * so an export can be regenerated and diffed.
 */
import { createHash } from 'node:crypto';
import { ValidationError } from '../errors.js';
import type { InteropDose, InteropOptions, InteropTimestamp } from './interop.types.js';

/**
 * GS1 systems are the ones GS1 and the FHIR identifier registry document; MedLoop's own
 * namespaces are URNs (`urn:medloop:…`) because the product has no registered web domain. A
 * site that owns one can rewrite the prefix without changing the structure.
 */
export const MEDLOOP_SYSTEMS = {
  gtin: 'https://www.gs1.org/gtin',
  gsrn: 'https://www.gs1.org/gsrn',
  uri: 'urn:ietf:rfc:3986',
  mrn: 'urn:medloop:mrn',
  user: 'urn:medloop:user',
  device: 'urn:medloop:device',
  robot: 'urn:medloop:robot',
  ward: 'urn:medloop:ward',
  location: 'urn:medloop:location',
  patient: 'urn:medloop:patient',
  medication: 'urn:medloop:medication',
  order: 'urn:medloop:order',
  dose: 'urn:medloop:dose',
  slot: 'urn:medloop:administration-slot',
  delivery: 'urn:medloop:delivery',
  mission: 'urn:medloop:mission',
  custodyEvent: 'urn:medloop:custody-event',
  doseState: 'urn:medloop:fhir:CodeSystem:dose-state',
  deliveryState: 'urn:medloop:fhir:CodeSystem:delivery-state',
  administrationState: 'urn:medloop:fhir:CodeSystem:administration-state',
  orderState: 'urn:medloop:fhir:CodeSystem:order-state',
  custodyAction: 'urn:medloop:fhir:CodeSystem:custody-action',
  taskInput: 'urn:medloop:fhir:CodeSystem:task-input',
  taskCode: 'urn:medloop:fhir:CodeSystem:task-code',
  system: 'urn:medloop:system',
  gln: 'https://www.gs1.org/gln',
  custodyExtension: 'urn:medloop:fhir:StructureDefinition:custody-event',
  checkpointExtension: 'urn:medloop:fhir:StructureDefinition:custody-checkpoint',
  /** EPCIS business transaction type for a clinical order (CBV `po` is a purchase order) */
  orderTransactionType: 'urn:medloop:btt:medication_order',
  deliveryTransactionType: 'urn:medloop:btt:delivery',
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** RFC 4122 name-based namespace for ids MedLoop derives (any fixed UUID works; this one is ours). */
const MEDLOOP_NAMESPACE = '6f1c2a8e-3b7d-4e59-9a0c-5d2e8f1b7c34';

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** RFC 4122 version-5 UUID (SHA-1, name-based): stable for the same namespace and name. */
export function uuidV5(name: string, namespace: string = MEDLOOP_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Every exported resource and event gets a UUID so that Bundle.fullUrl can be `urn:uuid:`:
 * a MedLoop id that is already a UUID is kept (lower-cased); any other id (robot names,
 * batch variants) is hashed into a v5 UUID under its kind.
 */
export function stableUuid(kind: string, medloopId: string): string {
  return isUuid(medloopId) ? medloopId.toLowerCase() : uuidV5(`${kind}:${medloopId}`);
}

export function toIso(t: InteropTimestamp, field = 'timestamp'): string {
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) throw new ValidationError(`${field} is not a valid date: ${String(t)}`, field);
  return d.toISOString();
}

export function optionalIso(t: InteropTimestamp | null | undefined): string | undefined {
  return t == null ? undefined : toIso(t);
}

/** `±hh:mm`; EPCIS requires it on every event. */
export function timeZoneOffset(options?: InteropOptions): string {
  const tz = options?.timeZoneOffset ?? '+00:00';
  if (!/^[+-](?:[01]\d|2[0-3]):[0-5]\d$/.test(tz)) throw new ValidationError(`timeZoneOffset must look like +01:00, got ${tz}`, 'timeZoneOffset');
  return tz;
}

/**
 * A location as a URI. With a known GLN, the GS1 Digital Link form (AI 414) — the SGLN URN
 * would need the GS1 company prefix length, which MedLoop does not know; EPCIS 2.0 accepts
 * both. Otherwise a MedLoop URN.
 */
export function locationUri(location: string, options?: InteropOptions): string {
  const gln = options?.glnByLocation?.[location];
  return gln ? `https://id.gs1.org/414/${gln}` : `urn:medloop:location:${encodeURIComponent(location)}`;
}

export function compartmentUri(robotId: string, compartmentId: string): string {
  return `urn:medloop:compartment:${encodeURIComponent(robotId)}:${encodeURIComponent(compartmentId)}`;
}

/**
 * How a dose is named in EPCIS: an instance (SGTIN, Digital Link form) when GTIN and serial
 * were scanned, a class (LGTIN, or bare GTIN) when only the GTIN was, and a MedLoop URN when
 * the dose was never scanned.
 */
export type DoseEpc = { kind: 'instance'; epc: string } | { kind: 'class'; epcClass: string };

export function doseEpc(dose: Pick<InteropDose, 'id' | 'gtin' | 'lot' | 'serial'>): DoseEpc {
  if (dose.gtin && dose.serial) return { kind: 'instance', epc: `https://id.gs1.org/01/${dose.gtin}/21/${encodeURIComponent(dose.serial)}` };
  if (dose.gtin && dose.lot) return { kind: 'class', epcClass: `https://id.gs1.org/01/${dose.gtin}/10/${encodeURIComponent(dose.lot)}` };
  if (dose.gtin) return { kind: 'class', epcClass: `https://id.gs1.org/01/${dose.gtin}` };
  return { kind: 'instance', epc: `urn:medloop:dose:${dose.id}` };
}

/** The witness named in a custody event's evidence (high-alert administration, controlled waste). */
export function evidenceWitness(evidence: Record<string, unknown> | null | undefined): string | undefined {
  const w = evidence?.['witness'] ?? evidence?.['witnessId'];
  if (typeof w === 'string' && w) return w;
  return w && typeof w === 'object' && typeof (w as { id?: unknown }).id === 'string' ? (w as { id: string }).id : undefined;
}
