/**
 * GS1 EPCIS 2.0 JSON-LD export of a dose's or a delivery's custody log. One event per custody
 * event (a delivery-level event touching several compartments yields one per compartment);
 * bizStep and disposition come from the dose machine's DOSE_EPCIS_STEP table.
 *
 * - ObjectEvent action: ADD on picking (the unit enters the hospital's traceability, the
 *   nearest thing to commissioning the hospital does), DELETE when the unit stops existing
 *   (administered to the patient, wasted/destroyed), OBSERVE for everything in between.
 * - Loading into a robot compartment is an AggregationEvent ADD (parent = the compartment);
 *   leaving it (receipt, courier hand-off, return, waste) is an AggregationEvent DELETE.
 * - Order events with no dose (verification) are not physical observations: the order shows
 *   up as a business transaction on every event instead. A dose entered in error re-emits
 *   its earlier events with an errorDeclaration, as EPCIS 2.0 prescribes for corrections.
 */
import { DOSE_EPCIS_STEP, type DoseState } from '../custody/dose.machine.js';
import type { EpcisStep } from '../custody/standards.js';
import { ValidationError } from '../errors.js';
import { EPCIS_CONTEXT, MEDLOOP_EPCIS_NAMESPACE, type EpcisAction, type EpcisDocument, type EpcisEvent, type EpcisQuantityElement } from './epcis.types.js';
import { compartmentUri, doseEpc, locationUri, MEDLOOP_SYSTEMS as S, stableUuid, timeZoneOffset, toIso, uuidV5 } from './interop.ids.js';
import { relevantEvents } from './interop.scope.js';
import type { DeliveryExportInput, DoseExportInput, InteropCustodyEvent, InteropDelivery, InteropDose, InteropOptions } from './interop.types.js';

/** Actions whose physical meaning is not "entered a dose state". */
const ACTION_STEPS: Readonly<Record<string, EpcisStep>> = {
  compartment_unlocked: { bizStep: 'unloading', disposition: 'container_open' },
};

/** Delivery-level actions, named after the dose state they put every dose aboard into. */
const DELIVERY_ACTION_DOSE_STATE: Readonly<Record<string, DoseState>> = {
  dispatched: 'in_transit',
  in_transit: 'in_transit',
  arrived: 'arrived',
  courier_handoff: 'escalated_manual',
  escalated_manual: 'escalated_manual',
  recalled: 'recalled_returning',
  returned: 'returned',
  lost: 'lost',
  quarantined: 'quarantined',
  receipt_discrepancy: 'receipt_discrepancy',
};

/** Dose states that take a dose out of its compartment. */
const UNLOADING_STATES: ReadonlySet<DoseState> = new Set<DoseState>(['received', 'escalated_manual', 'returned', 'wasted']);
const ENDING_STATES: ReadonlySet<DoseState> = new Set<DoseState>(['administered', 'wasted']);

function isDoseState(s: string | null | undefined): s is DoseState {
  return s != null && Object.hasOwn(DOSE_EPCIS_STEP, s);
}

/** Table lookup that ignores inherited keys (an action named `constructor` is not a step). */
function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function stateOf(e: InteropCustodyEvent): DoseState | null {
  if (e.doseId && isDoseState(e.toState)) return e.toState;
  return own(DELIVERY_ACTION_DOSE_STATE, e.action) ?? (isDoseState(e.action) ? e.action : null);
}

/** Instances go in epcList/childEPCs; class-level doses (no serial) are counted per class. */
function objectsOf(doses: readonly InteropDose[]): { epcs: string[]; quantities: EpcisQuantityElement[] } {
  const epcs: string[] = [];
  const counts = new Map<string, number>();
  for (const d of doses) {
    const id = doseEpc(d);
    if (id.kind === 'instance') epcs.push(id.epc);
    else counts.set(id.epcClass, (counts.get(id.epcClass) ?? 0) + 1);
  }
  return { epcs, quantities: [...counts].map(([epcClass, quantity]) => ({ epcClass, quantity })) };
}

interface Walk {
  doses: Map<string, InteropDose>;
  delivery: InteropDelivery | null;
  options?: InteropOptions;
  tz: string;
}

function common(e: InteropCustodyEvent, step: EpcisStep, doses: readonly InteropDose[], w: Walk, eventKey: string) {
  const orders = [...new Set(doses.map((d) => d.orderId).concat(e.orderId ? [e.orderId] : []))].sort();
  const deliveryId = e.deliveryId ?? doses.find((d) => d.deliveryId)?.deliveryId ?? null;
  const where = e.location ? locationUri(e.location, w.options) : null;
  const toWard = w.delivery && (step.disposition === 'in_transit' || step.bizStep === 'loading');
  return {
    eventID: `urn:uuid:${eventKey === e.id ? stableUuid('EpcisEvent', e.id) : uuidV5(`EpcisEvent:${eventKey}`)}`,
    eventTime: toIso(e.at, 'event.at'),
    eventTimeZoneOffset: w.tz,
    bizStep: step.bizStep,
    disposition: step.disposition,
    ...(where ? { readPoint: { id: where } } : {}),
    // CBV: an object in transit has no business location
    ...(where && step.disposition !== 'in_transit' ? { bizLocation: { id: where } } : {}),
    bizTransactionList: [
      ...orders.map((o) => ({ type: S.orderTransactionType, bizTransaction: `urn:medloop:order:${o}` })),
      ...(deliveryId ? [{ type: S.deliveryTransactionType, bizTransaction: `urn:medloop:delivery:${deliveryId}` }] : []),
    ],
    ...(toWard ? { destinationList: [{ type: 'location' as const, destination: locationUri(w.delivery!.ward, w.options) }] } : {}),
    'medloop:custodyEventId': e.id,
    'medloop:seq': e.seq,
    'medloop:action': e.action,
    'medloop:hash': e.hash,
    'medloop:prevHash': e.prevHash,
  };
}

function objectEvent(e: InteropCustodyEvent, step: EpcisStep, action: EpcisAction, doses: readonly InteropDose[], w: Walk, key = e.id): EpcisEvent {
  const { epcs, quantities } = objectsOf(doses);
  return { type: 'ObjectEvent', action, epcList: epcs, ...(quantities.length ? { quantityList: quantities } : {}), ...common(e, step, doses, w, key) };
}

function aggregationEvent(
  e: InteropCustodyEvent,
  step: EpcisStep,
  action: EpcisAction,
  parentID: string,
  children: readonly InteropDose[],
  w: Walk,
  key = e.id,
): EpcisEvent {
  const { epcs, quantities } = objectsOf(children);
  return {
    type: 'AggregationEvent',
    action,
    parentID,
    childEPCs: epcs,
    ...(quantities.length ? { childQuantityList: quantities } : {}),
    ...common(e, step, children, w, key),
  };
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v ? v : null;
}

/** Walks the log in chain order, tracking which compartment each dose is sealed in. */
function eventsFor(events: readonly InteropCustodyEvent[], w: Walk): EpcisEvent[] {
  const out: EpcisEvent[] = [];
  const sealedIn = new Map<string, string>();
  const emitted = new Map<string, EpcisEvent[]>();
  const emit = (doseId: string | null, ev: EpcisEvent) => {
    out.push(ev);
    if (doseId) emitted.set(doseId, [...(emitted.get(doseId) ?? []), ev]);
  };
  for (const e of events) {
    const dose = e.doseId ? w.doses.get(e.doseId) : undefined;
    const state = stateOf(e);
    if (dose && state === 'entered_in_error') {
      const declaration = { declarationTime: toIso(e.at, 'event.at'), reason: 'incorrect_data' as const };
      for (const prior of emitted.get(dose.id) ?? []) out.push({ ...prior, errorDeclaration: declaration });
      continue;
    }
    const step = own(ACTION_STEPS, e.action) ?? (state ? DOSE_EPCIS_STEP[state] : null);
    if (!step) continue;
    const robotId = str(e.evidence?.['robotId']) ?? w.delivery?.robotId ?? null;
    if (dose) {
      const parent = sealedIn.get(dose.id);
      if (state === 'loaded' && !parent) {
        const compartmentId = str(e.evidence?.['compartmentId']) ?? dose.compartmentId ?? null;
        if (robotId && compartmentId) {
          const uri = compartmentUri(robotId, compartmentId);
          sealedIn.set(dose.id, uri);
          emit(dose.id, aggregationEvent(e, step, 'ADD', uri, [dose], w));
          continue;
        }
      }
      if (parent && state && UNLOADING_STATES.has(state)) {
        sealedIn.delete(dose.id);
        emit(dose.id, aggregationEvent(e, step, 'DELETE', parent, [dose], w));
        continue;
      }
      if (parent && own(ACTION_STEPS, e.action)) {
        emit(dose.id, aggregationEvent(e, step, 'OBSERVE', parent, [dose], w));
        continue;
      }
      const action: EpcisAction = state === 'picked' ? 'ADD' : state && ENDING_STATES.has(state) ? 'DELETE' : 'OBSERVE';
      emit(dose.id, objectEvent(e, step, action, [dose], w));
      continue;
    }
    // delivery-level event: observe each compartment (or, without a robot, the doses themselves)
    const delivery = w.delivery;
    if (!delivery || e.deliveryId !== delivery.id) continue;
    const only = str(e.evidence?.['compartmentId']);
    const compartments = Object.keys(delivery.compartments)
      .filter((c) => !only || c === only)
      .sort();
    const aboard = (c: string) => delivery.compartments[c].flatMap((id) => (w.doses.has(id) ? [w.doses.get(id)!] : []));
    if (!robotId) {
      const doses = compartments.flatMap(aboard);
      if (doses.length) emit(null, objectEvent(e, step, 'OBSERVE', doses, w));
      continue;
    }
    for (const c of compartments) {
      const children = aboard(c);
      const key = compartments.length === 1 ? e.id : `${e.id}:${c}`;
      if (children.length) emit(null, aggregationEvent(e, step, 'OBSERVE', compartmentUri(robotId, c), children, w, key));
    }
  }
  return out;
}

function document(events: EpcisEvent[], now: string): EpcisDocument {
  return {
    '@context': [EPCIS_CONTEXT, { medloop: MEDLOOP_EPCIS_NAMESPACE }],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: now,
    epcisBody: { eventList: events },
  };
}

/** The traceability record of one dose, from pick to bedside (or to its exception). */
export function epcisDocumentForDose(input: DoseExportInput): EpcisDocument {
  const { dose, delivery } = input;
  if (dose.orderId !== input.order.id) throw new ValidationError(`dose ${dose.id} belongs to order ${dose.orderId}, not ${input.order.id}`, 'order');
  const scope = { doseIds: new Set([dose.id]), orderIds: new Set([dose.orderId]), deliveryId: delivery?.id ?? null };
  const w: Walk = { doses: new Map([[dose.id, dose]]), delivery: delivery ?? null, options: input.options, tz: timeZoneOffset(input.options) };
  return document(eventsFor(relevantEvents(input.events, scope), w), toIso(input.now, 'now'));
}

/** Every dose aboard one delivery, with the compartment aggregations of the robot. */
export function epcisDocumentForDelivery(input: DeliveryExportInput): EpcisDocument {
  const { delivery } = input;
  const scope = { doseIds: new Set(input.doses.map((d) => d.id)), orderIds: new Set(input.orders.map((o) => o.id)), deliveryId: delivery.id };
  const w: Walk = { doses: new Map(input.doses.map((d) => [d.id, d])), delivery, options: input.options, tz: timeZoneOffset(input.options) };
  return document(eventsFor(relevantEvents(input.events, scope), w), toIso(input.now, 'now'));
}
