/**
 * Structural checks of the exports, on the JSON as a receiver sees it (plain objects, no
 * types): required fields, codes only from the FHIR R4 / CBV 2.0 sets, references that
 * resolve inside the bundle. Returns the problems found; an empty list means it passed.
 * Not a full FHIR/EPCIS validator — a guard against this module drifting from the standards.
 */
import {
  EPCIS_BIZ_STEPS,
  EPCIS_DISPOSITIONS,
  MEDICATION_ADMINISTRATION_STATUSES,
  MEDICATION_DISPENSE_STATUSES,
  MEDICATION_REQUEST_STATUSES,
  TASK_STATUSES,
} from '../custody/standards.js';
import { EPCIS_CONTEXT } from './epcis.types.js';

type Json = Record<string, any>;

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const PRIORITIES = ['routine', 'urgent', 'asap', 'stat'];
const ADMIN_FUNCTIONS = ['performer', 'verifier', 'witness'];
const DISPENSE_FUNCTIONS = ['dataenterer', 'packager', 'checker', 'finalchecker'];

const STATUS_SETS: Record<string, readonly string[]> = {
  MedicationRequest: MEDICATION_REQUEST_STATUSES,
  MedicationDispense: MEDICATION_DISPENSE_STATUSES,
  MedicationAdministration: MEDICATION_ADMINISTRATION_STATUSES,
  Task: TASK_STATUSES,
};

/** Every `reference` anywhere inside a value. */
function references(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => references(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string') out.push(v);
      else references(v, out);
    }
  }
  return out;
}

function codes(concept: Json | undefined): string[] {
  return (concept?.coding ?? []).map((c: Json) => c.code);
}

function checkResource(r: Json, where: string, problems: string[]): void {
  const need = (field: string) => {
    if (r[field] === undefined || (Array.isArray(r[field]) && r[field].length === 0)) problems.push(`${where}: ${r.resourceType}.${field} is required`);
  };
  const allowed = STATUS_SETS[r.resourceType];
  if (allowed && !allowed.includes(r.status)) problems.push(`${where}: ${r.resourceType}.status '${r.status}' is not in the R4 value set`);
  if ('priority' in r && !PRIORITIES.includes(r.priority)) problems.push(`${where}: priority '${r.priority}' is not a request priority`);
  switch (r.resourceType) {
    case 'Patient':
    case 'Medication':
      need('identifier');
      break;
    case 'MedicationRequest':
      ['intent', 'subject', 'medicationCodeableConcept'].forEach(need);
      if (r.intent !== 'order') problems.push(`${where}: MedicationRequest.intent must be 'order'`);
      break;
    case 'MedicationDispense':
      ['medicationReference', 'subject'].forEach(need);
      for (const p of r.performer ?? []) {
        if (!codes(p.function).every((c) => DISPENSE_FUNCTIONS.includes(c))) problems.push(`${where}: unknown dispense performer function`);
      }
      break;
    case 'MedicationAdministration':
      ['medicationReference', 'subject', 'effectiveDateTime'].forEach(need);
      if ((r.status === 'not-done') !== Boolean(r.statusReason?.length)) problems.push(`${where}: statusReason goes with status not-done, and only with it`);
      for (const p of r.performer ?? []) {
        if (!codes(p.function).every((c) => ADMIN_FUNCTIONS.includes(c))) problems.push(`${where}: unknown administration performer function`);
      }
      break;
    case 'Task':
      ['intent', 'businessStatus', 'authoredOn'].forEach(need);
      break;
    case 'Provenance':
      ['target', 'recorded', 'agent'].forEach(need);
      if (typeof r.recorded === 'string' && !ISO_INSTANT.test(r.recorded)) problems.push(`${where}: Provenance.recorded is not an instant`);
      for (const x of (r.extension ?? []).filter((x: Json) => x.url === CHECKPOINT_EXTENSION)) checkCheckpointExtension(x, where, problems);
      break;
  }
}

const CHECKPOINT_EXTENSION = 'urn:medloop:fhir:StructureDefinition:custody-checkpoint';
const BASE64_32 = /^[A-Za-z0-9+/]{43}=$/;

/**
 * The checkpoint a Provenance names: each part once, typed as FHIR wants (a complex extension
 * holds sub-extensions and no value), the leaf inside the tree, and the note the very
 * checkpoint named (its body's first three lines are origin, size and root; the signature line
 * is the note's). Not the signature itself: that needs the log's key.
 */
function checkCheckpointExtension(x: Json, where: string, problems: string[]): void {
  const at = `${where}: checkpoint extension`;
  const parts = new Map<string, Json>();
  for (const sub of x.extension ?? []) {
    if (parts.has(sub.url)) problems.push(`${at}: ${sub.url} given twice`);
    parts.set(sub.url, sub);
  }
  if (Object.keys(x).some((k) => k.startsWith('value'))) problems.push(`${at}: a complex extension has no value of its own`);
  const origin = parts.get('origin')?.valueString;
  const size = parts.get('treeSize')?.valueInteger;
  const root = parts.get('rootHash')?.valueBase64Binary;
  const leaf = parts.get('leafIndex')?.valueInteger;
  const note = parts.get('note')?.valueString;
  const signature = parts.get('signature')?.valueString;
  if (typeof origin !== 'string' || !origin) problems.push(`${at}: origin (valueString) is required`);
  if (!Number.isSafeInteger(size) || size < 1) problems.push(`${at}: treeSize (valueInteger ≥ 1) is required`);
  if (typeof root !== 'string' || !BASE64_32.test(root)) problems.push(`${at}: rootHash (valueBase64Binary of 32 bytes) is required`);
  if (!Number.isSafeInteger(leaf) || leaf < 0 || !(leaf < size)) problems.push(`${at}: leafIndex (valueInteger) must lie inside the tree`);
  const time = parts.get('time');
  if (time && !ISO_INSTANT.test(time.valueInstant ?? '')) problems.push(`${at}: time is not an instant`);
  if (typeof note !== 'string' || !note.startsWith(`${origin}\n${size}\n${root}\n`)) problems.push(`${at}: the note is not the checkpoint named`);
  else if (typeof signature !== 'string' || !signature.startsWith('\u2014 ') || !note.endsWith(`\n\n${signature}\n`))
    problems.push(`${at}: signature is not the note's signature line(s)`);
}

export function validateFhirBundle(bundle: unknown): string[] {
  const problems: string[] = [];
  const b = bundle as Json;
  if (b?.resourceType !== 'Bundle') return ['not a Bundle'];
  if (b.type !== 'collection') problems.push(`Bundle.type is '${b.type}', expected 'collection'`);
  if (!ISO_INSTANT.test(b.timestamp ?? '')) problems.push('Bundle.timestamp is not an instant');
  if (!FHIR_ID.test(b.id ?? '')) problems.push('Bundle.id is not a FHIR id');
  const fullUrls = new Set<string>();
  for (const [i, entry] of (b.entry ?? []).entries()) {
    const r = entry.resource as Json;
    const where = `entry[${i}] ${r?.resourceType ?? '?'}`;
    if (!r?.resourceType) {
      problems.push(`${where}: no resource`);
      continue;
    }
    if (!FHIR_ID.test(r.id ?? '')) problems.push(`${where}: id '${r.id}' is not a FHIR id`);
    if (entry.fullUrl !== `urn:uuid:${r.id}`) problems.push(`${where}: fullUrl ${entry.fullUrl} is not urn:uuid:${r.id}`);
    if (fullUrls.has(entry.fullUrl)) problems.push(`${where}: duplicate fullUrl ${entry.fullUrl}`);
    fullUrls.add(entry.fullUrl);
    checkResource(r, where, problems);
  }
  for (const ref of references(b.entry ?? [])) {
    if (ref.startsWith('urn:uuid:') && !fullUrls.has(ref)) problems.push(`reference ${ref} does not resolve inside the bundle`);
  }
  return problems;
}

const EVENT_TYPES = ['ObjectEvent', 'AggregationEvent', 'TransactionEvent', 'TransformationEvent', 'AssociationEvent'];

export function validateEpcisDocument(document: unknown): string[] {
  const problems: string[] = [];
  const d = document as Json;
  if (d?.type !== 'EPCISDocument') return ['not an EPCISDocument'];
  if (!Array.isArray(d['@context']) || d['@context'][0] !== EPCIS_CONTEXT) problems.push('@context must start with the EPCIS 2.0 context');
  if (d.schemaVersion !== '2.0') problems.push(`schemaVersion is '${d.schemaVersion}'`);
  if (!ISO_INSTANT.test(d.creationDate ?? '')) problems.push('creationDate is not a date-time');
  const ids = new Set<string>();
  for (const [i, e] of (d.epcisBody?.eventList ?? []).entries()) {
    const where = `event[${i}] ${e.type}`;
    if (!EVENT_TYPES.includes(e.type)) problems.push(`${where}: unknown event type`);
    if (!['ADD', 'OBSERVE', 'DELETE'].includes(e.action)) problems.push(`${where}: action '${e.action}'`);
    if (!ISO_INSTANT.test(e.eventTime ?? '')) problems.push(`${where}: eventTime missing or malformed`);
    if (!/^[+-]\d{2}:\d{2}$/.test(e.eventTimeZoneOffset ?? '')) problems.push(`${where}: eventTimeZoneOffset missing or malformed`);
    if (!(EPCIS_BIZ_STEPS as readonly string[]).includes(e.bizStep)) problems.push(`${where}: bizStep '${e.bizStep}' is not a CBV term`);
    if (!(EPCIS_DISPOSITIONS as readonly string[]).includes(e.disposition)) problems.push(`${where}: disposition '${e.disposition}' is not a CBV term`);
    if (!/^[a-z][a-z0-9+.-]*:/i.test(e.eventID ?? '')) problems.push(`${where}: eventID is not a URI`);
    if (ids.has(e.eventID) && !e.errorDeclaration) problems.push(`${where}: duplicate eventID ${e.eventID}`);
    ids.add(e.eventID);
    if (!/^[0-9a-f]{64}$/.test(e['medloop:hash'] ?? '')) problems.push(`${where}: medloop:hash missing`);
    if (e.type === 'ObjectEvent' && !(e.epcList?.length || e.quantityList?.length)) problems.push(`${where}: names no object`);
    if (e.type === 'AggregationEvent') {
      if (e.action !== 'OBSERVE' && !e.parentID) problems.push(`${where}: parentID is required for ${e.action}`);
      if (e.action === 'ADD' && !(e.childEPCs?.length || e.childQuantityList?.length)) problems.push(`${where}: ADD names no child`);
    }
    for (const t of e.bizTransactionList ?? []) {
      if (t.type === 'po') problems.push(`${where}: a clinical order is not a purchase order (po)`);
    }
  }
  return problems;
}
