/**
 * Builders for the clinical FHIR R4 resources of the export: Patient, Medication,
 * MedicationRequest, MedicationDispense and MedicationAdministration. Statuses come from the
 * custody machines' mapping tables; the fine-grained MedLoop state rides along as a coding
 * in statusReason / businessStatus so nothing is lost to the coarser FHIR value sets.
 */
import { ADMINISTRATION_FHIR_STATUS } from '../custody/administration.machine.js';
import { DOSE_FHIR_DISPENSE_STATUS } from '../custody/dose.machine.js';
import { ORDER_FHIR_STATUS } from '../custody/order.machine.js';
import { decodeGs1Date } from '../gs1/gs1-date.js';
import type {
  FhirCodeableConcept,
  FhirMedication,
  FhirMedicationAdministration,
  FhirMedicationDispense,
  FhirMedicationRequest,
  FhirPatient,
  FhirReference,
} from './fhir.types.js';
import { evidenceWitness, MEDLOOP_SYSTEMS as S, optionalIso, stableUuid, toIso } from './interop.ids.js';
import type {
  InteropAdministrationSlot,
  InteropCustodyEvent,
  InteropDose,
  InteropMedication,
  InteropOptions,
  InteropOrder,
  InteropPatient,
} from './interop.types.js';

const V2_IDENTIFIER_TYPE = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const DISPENSE_PERFORMER_FUNCTION = 'http://terminology.hl7.org/CodeSystem/medicationdispense-performer-function';
const ADMIN_PERFORMER_FUNCTION = 'http://terminology.hl7.org/CodeSystem/med-admin-perform-function';

/** In-bundle reference: every entry's fullUrl is `urn:uuid:<id>`, so references use that form. */
export function bundleRef(type: string, id: string, display?: string): FhirReference {
  return { reference: `urn:uuid:${id}`, type, ...(display ? { display } : {}) };
}

/** A staff member known only by MedLoop user id (no Practitioner resource is exported). */
export function userRef(userId: string): FhirReference {
  return { type: 'Practitioner', identifier: { system: S.user, value: userId } };
}

export function wardRef(ward: string): FhirReference {
  return { type: 'Location', identifier: { system: S.ward, value: ward }, display: ward };
}

export function medloopCode(system: string, code: string, text?: string): FhirCodeableConcept {
  return { coding: [{ system, code }], ...(text ? { text } : {}) };
}

/** Minimal on purpose: the export proves custody, it is not a demographics feed. */
export function fhirPatient(p: InteropPatient, options?: InteropOptions): FhirPatient {
  return {
    resourceType: 'Patient',
    id: stableUuid('Patient', p.id),
    identifier: [
      { use: 'usual', type: { coding: [{ system: V2_IDENTIFIER_TYPE, code: 'MR' }] }, system: options?.mrnSystem ?? S.mrn, value: p.mrn },
      { use: 'secondary', system: S.gsrn, value: p.wristbandGsrn },
      { system: S.patient, value: p.id },
    ],
  };
}

/** AI (17) is stored decoded (YYYY-MM-DD); a raw YYMMDD is decoded with day 00 = month end. */
export function expiryDate(expiry: string | null | undefined, reference: Date): string | undefined {
  if (!expiry) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(expiry)) return expiry;
  if (/^\d{6}$/.test(expiry)) {
    const d = decodeGs1Date(expiry, reference);
    return d.ok ? d.iso.slice(0, 10) : undefined;
  }
  return undefined;
}

export function fhirMedication(id: string, m: InteropMedication, batch: { lot?: string | null; expiry?: string | null } | null, now: Date): FhirMedication {
  const expirationDate = expiryDate(batch?.expiry, now);
  const hasBatch = Boolean(batch?.lot || expirationDate);
  return {
    resourceType: 'Medication',
    id,
    identifier: [{ system: S.medication, value: m.id }],
    code: { coding: [{ system: S.gtin, code: m.gtin, display: m.name }], text: `${m.name} ${m.strength}` },
    ...(hasBatch ? { batch: { ...(batch?.lot ? { lotNumber: batch.lot } : {}), ...(expirationDate ? { expirationDate } : {}) } } : {}),
  };
}

/** A prescription names a product, not a batch, so the request codes the GTIN directly. */
export function fhirMedicationRequest(o: InteropOrder, m: InteropMedication): FhirMedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id: stableUuid('MedicationRequest', o.id),
    identifier: [{ system: S.order, value: o.id }],
    status: ORDER_FHIR_STATUS[o.status],
    statusReason: medloopCode(S.orderState, o.status, o.statusReason ?? undefined),
    intent: 'order',
    priority: o.priority,
    medicationCodeableConcept: { coding: [{ system: S.gtin, code: m.gtin, display: m.name }], text: `${m.name} ${m.strength}` },
    subject: bundleRef('Patient', stableUuid('Patient', o.patientId)),
    authoredOn: toIso(o.createdAt, 'order.createdAt'),
    ...(o.prescriber ? { requester: userRef(o.prescriber) } : {}),
    dosageInstruction: [
      {
        text: `${o.dose.amount} ${o.dose.unit} ${o.route}`,
        ...(o.schedule?.times.length ? { timing: { event: o.schedule.times.map((t) => toIso(t, 'order.schedule.times')) } } : {}),
        route: { text: o.route },
        doseAndRate: [{ doseQuantity: { value: o.dose.amount, unit: o.dose.unit } }],
      },
    ],
  };
}

function eventsOf(events: readonly InteropCustodyEvent[], doseId: string, states: readonly string[]): InteropCustodyEvent[] {
  return events.filter((e) => e.doseId === doseId && (states.includes(e.toState ?? '') || states.includes(e.action)));
}

/**
 * whenPrepared is the pharmacist check (the pick if unchecked); whenHandedOver the ward's
 * receipt. The picker packages, the checking pharmacist checks; the independent second
 * pharmacist of a high-alert double check — the check's witness, or a second, different
 * checker — is the final check, so both pharmacists of the double check are performers.
 */
export function fhirMedicationDispense(dose: InteropDose, medicationId: string, ward: string, events: readonly InteropCustodyEvent[]): FhirMedicationDispense {
  const picked = eventsOf(events, dose.id, ['picked']);
  const checked = eventsOf(events, dose.id, ['checked']);
  const received = eventsOf(events, dose.id, ['received']);
  const users = (es: InteropCustodyEvent[]) => [...new Set(es.filter((e) => e.actor.type === 'user').map((e) => e.actor.id))];
  const fn = (code: string) => ({ coding: [{ system: DISPENSE_PERFORMER_FUNCTION, code }] });
  const checkers = users(checked);
  const witnesses = [...new Set(checked.map((e) => evidenceWitness(e.evidence)).filter((w): w is string => !!w && !checkers.includes(w)))];
  const performer = [
    ...users(picked).map((u) => ({ function: fn('packager'), actor: userRef(u) })),
    ...checkers.map((u, i) => ({ function: fn(i === 0 ? 'checker' : 'finalchecker'), actor: userRef(u) })),
    ...witnesses.map((u) => ({ function: fn('finalchecker'), actor: userRef(u) })),
  ];
  const prepared = checked.at(-1) ?? picked.at(-1);
  const handedOver = received.at(-1);
  const receivers = users(received);
  return {
    resourceType: 'MedicationDispense',
    id: stableUuid('MedicationDispense', dose.id),
    identifier: [
      { system: S.dose, value: dose.id },
      ...(dose.gtin && dose.serial ? [{ system: S.uri, value: `https://id.gs1.org/01/${dose.gtin}/21/${encodeURIComponent(dose.serial)}` }] : []),
    ],
    status: DOSE_FHIR_DISPENSE_STATUS[dose.state],
    statusReasonCodeableConcept: medloopCode(S.doseState, dose.state, dose.state.replace(/_/g, ' ')),
    medicationReference: bundleRef('Medication', medicationId),
    subject: bundleRef('Patient', stableUuid('Patient', dose.patientId)),
    ...(performer.length ? { performer } : {}),
    authorizingPrescription: [bundleRef('MedicationRequest', stableUuid('MedicationRequest', dose.orderId))],
    quantity: { value: 1, unit: 'unit dose' },
    ...(prepared ? { whenPrepared: toIso(prepared.at) } : {}),
    ...(handedOver ? { whenHandedOver: toIso(handedOver.at) } : {}),
    destination: wardRef(ward),
    ...(receivers.length ? { receiver: receivers.map(userRef) } : {}),
  };
}

/**
 * `null` while nothing has happened to the patient (the mapping has no status for it).
 * Held, refused and missed are `not-done` with the reason in statusReason, as FHIR requires;
 * a witness (high-alert drugs) is read from the custody event's evidence.
 */
export function fhirMedicationAdministration(
  slot: InteropAdministrationSlot,
  order: InteropOrder,
  medicationId: string,
  events: readonly InteropCustodyEvent[],
): FhirMedicationAdministration | null {
  const status = ADMINISTRATION_FHIR_STATUS[slot.state];
  if (status === null) return null;
  const outcome = slot.doseId ? eventsOf(events, slot.doseId, ['administered', 'held', 'refused']).at(-1) : undefined;
  const fn = (code: string) => ({ coding: [{ system: ADMIN_PERFORMER_FUNCTION, code }] });
  const witness = evidenceWitness(outcome?.evidence);
  const performer = [
    ...(slot.recordedBy ? [{ function: fn('performer'), actor: userRef(slot.recordedBy) }] : []),
    ...(witness ? [{ function: fn('witness'), actor: userRef(witness) }] : []),
  ];
  const reason = slot.reason ?? (typeof outcome?.evidence?.['reason'] === 'string' ? (outcome.evidence['reason'] as string) : undefined);
  return {
    resourceType: 'MedicationAdministration',
    id: stableUuid('MedicationAdministration', slot.id),
    identifier: [{ system: S.slot, value: slot.id }],
    status,
    ...(status === 'not-done' ? { statusReason: [medloopCode(S.administrationState, slot.state, reason)] } : {}),
    medicationReference: bundleRef('Medication', medicationId),
    subject: bundleRef('Patient', stableUuid('Patient', slot.patientId)),
    ...(slot.doseId ? { supportingInformation: [bundleRef('MedicationDispense', stableUuid('MedicationDispense', slot.doseId))] } : {}),
    effectiveDateTime: optionalIso(slot.recordedAt) ?? toIso(slot.scheduledAt, 'slot.scheduledAt'),
    ...(performer.length ? { performer } : {}),
    request: bundleRef('MedicationRequest', stableUuid('MedicationRequest', order.id)),
    ...(slot.override ? { note: [{ text: `Override (${slot.override.rights.join(', ')}): ${slot.override.reason}` }] } : {}),
    // what was actually given when the nurse recorded it (older records: the ordered dose)
    dosage: slot.administered
      ? { route: { text: slot.administered.given.route }, dose: { value: slot.administered.given.amount, unit: slot.administered.given.unit } }
      : { route: { text: order.route }, dose: { value: order.dose.amount, unit: order.dose.unit } },
  };
}
