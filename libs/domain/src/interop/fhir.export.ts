/**
 * FHIR R4 JSON export of a dose's or a delivery's closed loop as a `collection` Bundle:
 * Patient, Medication (per batch), MedicationRequest, MedicationDispense,
 * MedicationAdministration, the robot Device and delivery Task, and one Provenance per
 * custody event (see fhir.custody.ts for why Provenance). Pure: `now` is an input, ids come
 * from MedLoop ids, so the same input gives the same bundle byte for byte.
 */
import { ValidationError } from '../errors.js';
import { fhirDevice, fhirProvenance, fhirTask, highestPriority } from './fhir.custody.js';
import { bundleRef, fhirMedication, fhirMedicationAdministration, fhirMedicationDispense, fhirMedicationRequest, fhirPatient } from './fhir.resources.js';
import type { FhirBundle, FhirMedication, FhirReference, FhirResource } from './fhir.types.js';
import { MEDLOOP_SYSTEMS as S, stableUuid, toIso, uuidV5 } from './interop.ids.js';
import { relevantEvents } from './interop.scope.js';
import type {
  DeliveryExportInput,
  DoseExportInput,
  InteropAdministrationSlot,
  InteropCustodyEvent,
  InteropDelivery,
  InteropDose,
  InteropMedication,
  InteropMission,
  InteropOptions,
  InteropOrder,
  InteropPatient,
} from './interop.types.js';

interface LoopParts {
  bundleKey: string;
  patients: readonly InteropPatient[];
  medications: readonly InteropMedication[];
  orders: readonly InteropOrder[];
  doses: readonly InteropDose[];
  slots: readonly InteropAdministrationSlot[];
  delivery: InteropDelivery | null;
  mission: InteropMission | null;
  events: readonly InteropCustodyEvent[];
  now: string;
  options?: InteropOptions;
}

const OUTCOME_ACTIONS = ['administered', 'held', 'refused'];

function byId<T extends { id: string }>(items: readonly T[], what: string): Map<string, T> {
  const m = new Map<string, T>();
  for (const it of items) m.set(it.id, it);
  if (m.size !== items.length) throw new ValidationError(`duplicate ${what} ids in export input`, what);
  return m;
}

function need<T>(m: Map<string, T>, id: string, what: string, owner: string): T {
  const v = m.get(id);
  if (!v) throw new ValidationError(`${owner} refers to ${what} '${id}', which is not in the export input`, what);
  return v;
}

/** Doses of one medication with one batch share the product's id; several batches each get a derived id. */
function medicationResources(p: LoopParts, meds: Map<string, InteropMedication>, now: Date) {
  const batchKey = (d: InteropDose) => `${d.medicationId}|${d.lot ?? ''}|${d.expiry ?? ''}`;
  const batchesPerMed = new Map<string, Set<string>>();
  for (const d of p.doses) batchesPerMed.set(d.medicationId, (batchesPerMed.get(d.medicationId) ?? new Set()).add(batchKey(d)));
  const resources = new Map<string, FhirMedication>();
  const idForDose = (d: InteropDose): string => {
    const single = batchesPerMed.get(d.medicationId)!.size === 1;
    const id = single ? stableUuid('Medication', d.medicationId) : uuidV5(`Medication:${batchKey(d)}`);
    if (!resources.has(id)) resources.set(id, fhirMedication(id, need(meds, d.medicationId, 'medication', `dose ${d.id}`), d, now));
    return id;
  };
  /** An administration without a dose (missed) names the product; reuse its single-batch resource if any. */
  const idForProduct = (medicationId: string): string => {
    const id = stableUuid('Medication', medicationId);
    if (!resources.has(id)) resources.set(id, fhirMedication(id, need(meds, medicationId, 'medication', 'order'), null, now));
    return id;
  };
  return { resources, idForDose, idForProduct };
}

function buildBundle(p: LoopParts): FhirBundle {
  const now = new Date(p.now);
  const patients = byId(p.patients, 'patient');
  const meds = byId(p.medications, 'medication');
  const orders = byId(p.orders, 'order');
  const doses = byId(p.doses, 'dose');
  for (const d of p.doses) {
    const o = need(orders, d.orderId, 'order', `dose ${d.id}`);
    need(patients, d.patientId, 'patient', `dose ${d.id}`);
    if (o.patientId !== d.patientId || o.medicationId !== d.medicationId) {
      throw new ValidationError(`dose ${d.id} does not match the patient and medication of order ${o.id}`, 'dose');
    }
  }
  const medication = medicationResources(p, meds, now);
  const dispenseIds = p.doses.map((d) => stableUuid('MedicationDispense', d.id));
  const dispenses = p.doses.map((d) =>
    fhirMedicationDispense(d, medication.idForDose(d), p.delivery?.ward ?? need(patients, d.patientId, 'patient', `dose ${d.id}`).ward, p.events),
  );
  const requests = p.orders.map((o) => fhirMedicationRequest(o, need(meds, o.medicationId, 'medication', `order ${o.id}`)));
  const administrations = p.slots.flatMap((s) => {
    const order = need(orders, s.orderId, 'order', `slot ${s.id}`);
    const dose = s.doseId ? doses.get(s.doseId) : undefined;
    const medId = dose ? medication.idForDose(dose) : medication.idForProduct(order.medicationId);
    const ma = fhirMedicationAdministration(s, order, medId, p.events);
    return ma ? [ma] : [];
  });
  const robotId = p.delivery?.robotId ?? p.mission?.robotId ?? null;
  const device = robotId ? fhirDevice(robotId) : null;
  const task = p.delivery
    ? fhirTask(
        p.delivery,
        p.mission,
        dispenseIds,
        requests.map((r) => r.id),
        highestPriority(p.orders.map((o) => o.priority)),
      )
    : null;

  const adminByDose = new Map(p.slots.filter((s) => s.doseId).map((s) => [s.doseId!, s]));
  const adminIds = new Set(administrations.map((a) => a.id));
  const targetsOf = (e: InteropCustodyEvent): FhirReference[] => {
    if (e.doseId) {
      const refs = [bundleRef('MedicationDispense', stableUuid('MedicationDispense', e.doseId))];
      const slot = adminByDose.get(e.doseId);
      const maId = slot ? stableUuid('MedicationAdministration', slot.id) : null;
      if (maId && adminIds.has(maId) && (OUTCOME_ACTIONS.includes(e.action) || OUTCOME_ACTIONS.includes(e.toState ?? ''))) {
        refs.push(bundleRef('MedicationAdministration', maId));
      }
      return refs;
    }
    if (task && e.deliveryId === p.delivery?.id) return [bundleRef('Task', task.id)];
    return [bundleRef('MedicationRequest', stableUuid('MedicationRequest', e.orderId!))];
  };
  const robots = new Set(robotId ? [robotId] : []);
  const provenances = p.events.map((e) => fhirProvenance(e, targetsOf(e), robots, p.options));

  const resources: FhirResource[] = [
    ...p.patients.map((pt) => fhirPatient(pt, p.options)),
    ...medication.resources.values(),
    ...requests,
    ...dispenses,
    ...administrations,
    ...(device ? [device] : []),
    ...(task ? [task] : []),
    ...provenances,
  ];
  const id = uuidV5(`Bundle:${p.bundleKey}@${p.now}`);
  return {
    resourceType: 'Bundle',
    id,
    identifier: { system: S.uri, value: `urn:uuid:${id}` },
    type: 'collection',
    timestamp: p.now,
    entry: resources.map((resource) => ({ fullUrl: `urn:uuid:${resource.id}`, resource })),
  };
}

/** One dose's loop: its order, patient, medication batch, dispense, administration, delivery Task and custody Provenance. */
export function fhirBundleForDose(input: DoseExportInput): FhirBundle {
  const { dose, order, delivery } = input;
  if (dose.orderId !== order.id) throw new ValidationError(`dose ${dose.id} belongs to order ${dose.orderId}, not ${order.id}`, 'order');
  if (delivery && dose.deliveryId && dose.deliveryId !== delivery.id) {
    throw new ValidationError(`dose ${dose.id} travels in delivery ${dose.deliveryId}, not ${delivery.id}`, 'delivery');
  }
  const scope = { doseIds: new Set([dose.id]), orderIds: new Set([order.id]), deliveryId: delivery?.id ?? null };
  return buildBundle({
    bundleKey: `dose:${dose.id}`,
    patients: [input.patient],
    medications: [input.medication],
    orders: [order],
    doses: [dose],
    slots: input.slot ? [input.slot] : [],
    delivery: delivery ?? null,
    mission: input.mission ?? null,
    events: relevantEvents(input.events, scope),
    now: toIso(input.now, 'now'),
    options: input.options,
  });
}

/** One delivery with every dose aboard: the Task owned by the robot, each dose's dispense and custody. */
export function fhirBundleForDelivery(input: DeliveryExportInput): FhirBundle {
  const { delivery } = input;
  const foreign = input.doses.find((d) => d.deliveryId && d.deliveryId !== delivery.id);
  if (foreign) throw new ValidationError(`dose ${foreign.id} travels in delivery ${foreign.deliveryId}, not ${delivery.id}`, 'doses');
  const scope = { doseIds: new Set(input.doses.map((d) => d.id)), orderIds: new Set(input.orders.map((o) => o.id)), deliveryId: delivery.id };
  return buildBundle({
    bundleKey: `delivery:${delivery.id}`,
    patients: input.patients,
    medications: input.medications,
    orders: input.orders,
    doses: input.doses,
    slots: input.slots ?? [],
    delivery,
    mission: input.mission ?? null,
    events: relevantEvents(input.events, scope),
    now: toIso(input.now, 'now'),
    options: input.options,
  });
}
