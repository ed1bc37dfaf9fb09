import { describe, expect, it } from '@jest/globals';
import { DOSE_EPCIS_STEP, doseMachine, type DoseState } from '../custody/dose.machine.js';
import { ValidationError } from '../errors.js';
import { epcisDocumentForDelivery, epcisDocumentForDose } from './epcis.export.js';
import { EPCIS_CONTEXT, type EpcisAggregationEvent, type EpcisEvent, type EpcisObjectEvent } from './epcis.types.js';
import { chain, deliveryInput, doseInput, IDS, loopFixture, NOW } from './interop.fixture.js';
import { validateEpcisDocument } from './interop.validate.js';

const SGTIN = 'https://id.gs1.org/01/09506000134352/21/SN0001';
const C1 = 'urn:medloop:compartment:robot-07:C1';
const summary = (e: EpcisEvent) => [e.type, e.action, e.bizStep, e.disposition];

describe('epcisDocumentForDose', () => {
  const doc = epcisDocumentForDose(doseInput());
  const events = doc.epcisBody.eventList;

  it('is an EPCIS 2.0 document with the standard context and a MedLoop namespace', () => {
    expect(validateEpcisDocument(doc)).toEqual([]);
    expect(doc).toMatchObject({
      '@context': [EPCIS_CONTEXT, { medloop: 'urn:medloop:epcis:' }],
      type: 'EPCISDocument',
      schemaVersion: '2.0',
      creationDate: NOW,
    });
  });

  it('tells the dose story from pick to bedside, with compartment aggregation', () => {
    expect(events.map(summary)).toEqual([
      ['ObjectEvent', 'ADD', 'picking', 'in_progress'],
      ['ObjectEvent', 'OBSERVE', 'inspecting', 'conformant'],
      ['ObjectEvent', 'OBSERVE', 'inspecting', 'conformant'],
      ['AggregationEvent', 'ADD', 'loading', 'container_closed'],
      ['AggregationEvent', 'OBSERVE', 'departing', 'in_transit'],
      ['ObjectEvent', 'OBSERVE', 'departing', 'in_transit'],
      ['ObjectEvent', 'OBSERVE', 'arriving', 'in_transit'],
      ['AggregationEvent', 'OBSERVE', 'unloading', 'container_open'],
      ['AggregationEvent', 'DELETE', 'receiving', 'in_progress'],
      ['ObjectEvent', 'DELETE', 'dispensing', 'dispensed'],
    ]);
  });

  it('names the serialised dose by its GS1 Digital Link SGTIN and the compartment by a MedLoop URN', () => {
    expect((events[0] as EpcisObjectEvent).epcList).toEqual([SGTIN]);
    const load = events[3] as EpcisAggregationEvent;
    expect(load.parentID).toBe(C1);
    expect(load.childEPCs).toEqual([SGTIN]);
    expect((events[8] as EpcisAggregationEvent).parentID).toBe(C1);
  });

  it('carries the custody hash chain and links the clinical order with a MedLoop transaction type', () => {
    const f = loopFixture();
    const picked = f.events.find((e) => e.doseId === IDS.dose1 && e.action === 'picked')!;
    expect(events[0]).toMatchObject({
      'medloop:hash': picked.hash,
      'medloop:prevHash': picked.prevHash,
      'medloop:seq': picked.seq,
      'medloop:custodyEventId': picked.id,
    });
    expect(events[0].bizTransactionList).toEqual([
      { type: 'urn:medloop:btt:medication_order', bizTransaction: `urn:medloop:order:${IDS.order1}` },
      { type: 'urn:medloop:btt:delivery', bizTransaction: `urn:medloop:delivery:${IDS.delivery}` },
    ]);
  });

  it('locates events by MedLoop URN, drops bizLocation in transit, and points transit at the ward', () => {
    expect(events[0]).toMatchObject({ readPoint: { id: 'urn:medloop:location:cabinet-A' }, bizLocation: { id: 'urn:medloop:location:cabinet-A' } });
    expect(events[6].readPoint).toEqual({ id: 'urn:medloop:location:node-4B-station' });
    expect(events[6].bizLocation).toBeUndefined();
    expect(events[6].destinationList).toEqual([{ type: 'location', destination: 'urn:medloop:location:ward-4B' }]);
  });

  it('uses the GS1 Digital Link GLN form when the site knows a location GLN, and the site offset', () => {
    const d = epcisDocumentForDose(doseInput({ options: { glnByLocation: { 'cabinet-A': '9506000134352' }, timeZoneOffset: '+01:00' } }));
    expect(d.epcisBody.eventList[0].readPoint).toEqual({ id: 'https://id.gs1.org/414/9506000134352' });
    expect(d.epcisBody.eventList.every((e) => e.eventTimeZoneOffset === '+01:00')).toBe(true);
    expect(() => epcisDocumentForDose(doseInput({ options: { timeZoneOffset: 'CET' } }))).toThrow(ValidationError);
  });

  it('falls back to a class-level LGTIN quantity when the dose has no serial', () => {
    const f = loopFixture();
    const d = epcisDocumentForDose(doseInput({ dose: { ...f.dose1, serial: null } }));
    const picked = d.epcisBody.eventList[0] as EpcisObjectEvent;
    expect(picked.epcList).toEqual([]);
    expect(picked.quantityList).toEqual([{ epcClass: 'https://id.gs1.org/01/09506000134352/10/HEP24A', quantity: 1 }]);
    expect((d.epcisBody.eventList[3] as EpcisAggregationEvent).childQuantityList).toEqual([
      { epcClass: 'https://id.gs1.org/01/09506000134352/10/HEP24A', quantity: 1 },
    ]);
    expect(validateEpcisDocument(d)).toEqual([]);
  });

  it('has a deterministic, unique eventID per event and no clock reads', () => {
    expect(new Set(events.map((e) => e.eventID)).size).toBe(events.length);
    expect(epcisDocumentForDose(doseInput())).toEqual(doc);
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
    expect(epcisDocumentForDose(doseInput({ now: '2030-01-01T00:00:00Z' })).epcisBody).toEqual(doc.epcisBody);
  });

  it.each((Object.keys(doseMachine.states) as DoseState[]).filter((s) => DOSE_EPCIS_STEP[s] && !['loaded', 'entered_in_error'].includes(s)))(
    'takes bizStep and disposition for %s from DOSE_EPCIS_STEP',
    (state) => {
      const e = chain([
        {
          at: '2025-11-26T11:00:00Z',
          doseId: IDS.dose1,
          orderId: IDS.order1,
          action: state,
          fromState: 'x',
          toState: state,
          actor: { type: 'user', id: 'u1' },
        },
      ]);
      const d = epcisDocumentForDose(doseInput({ events: e, delivery: null }));
      expect(d.epcisBody.eventList.map((x) => [x.bizStep, x.disposition])).toEqual([[DOSE_EPCIS_STEP[state]!.bizStep, DOSE_EPCIS_STEP[state]!.disposition]]);
      expect(d.epcisBody.eventList[0].action).toBe(state === 'picked' ? 'ADD' : ['administered', 'wasted'].includes(state) ? 'DELETE' : 'OBSERVE');
      expect(validateEpcisDocument(d)).toEqual([]);
    },
  );

  it('emits nothing for non-physical steps (order verification, queueing, cancellation)', () => {
    const e = chain([
      { at: '2025-11-26T08:00:00Z', orderId: IDS.order1, action: 'order_verified', actor: { type: 'user', id: 'p' } },
      { at: '2025-11-26T08:01:00Z', doseId: IDS.dose1, action: 'cancelled', fromState: 'queued', toState: 'cancelled', actor: { type: 'user', id: 'p' } },
    ]);
    expect(epcisDocumentForDose(doseInput({ events: e })).epcisBody.eventList).toEqual([]);
  });

  it('declares earlier events in error when the dose is entered in error', () => {
    const f = loopFixture();
    const base = f.events.filter((e) => e.doseId === IDS.dose1 && ['picked', 'checked'].includes(e.action));
    const err = chain(
      [
        {
          at: '2025-11-26T09:00:00Z',
          doseId: IDS.dose1,
          action: 'entered_in_error',
          fromState: 'checked',
          toState: 'entered_in_error',
          actor: { type: 'user', id: 'p' },
        },
      ],
      50,
    );
    const d = epcisDocumentForDose(doseInput({ events: [...base, ...err] }));
    const list = d.epcisBody.eventList;
    expect(list).toHaveLength(6);
    expect(list.slice(3).map((e) => e.eventID)).toEqual(list.slice(0, 3).map((e) => e.eventID));
    expect(
      list.slice(3).every((e) => e.errorDeclaration?.reason === 'incorrect_data' && e.errorDeclaration.declarationTime === '2025-11-26T09:00:00.000Z'),
    ).toBe(true);
    expect(validateEpcisDocument(d)).toEqual([]);
  });

  it('rejects a dose that does not belong to the given order', () => {
    expect(() => epcisDocumentForDose(doseInput({ order: loopFixture().orders[1] }))).toThrow(ValidationError);
  });
});

describe('epcisDocumentForDelivery', () => {
  const doc = epcisDocumentForDelivery(deliveryInput());
  const events = doc.epcisBody.eventList;

  it('is valid and aggregates each dose into its own compartment', () => {
    expect(validateEpcisDocument(doc)).toEqual([]);
    const adds = events.filter((e): e is EpcisAggregationEvent => e.type === 'AggregationEvent' && e.action === 'ADD');
    expect(adds.map((e) => e.parentID)).toEqual([C1, 'urn:medloop:compartment:robot-07:C2']);
    expect(adds[1].childQuantityList).toEqual([{ epcClass: 'https://id.gs1.org/01/09506000134376/10/PCM77', quantity: 1 }]);
  });

  it('observes every compartment on a delivery-wide dispatch, each with its own eventID', () => {
    const dispatch = events.filter((e) => e['medloop:action'] === 'dispatched') as EpcisAggregationEvent[];
    expect(dispatch.map((e) => [e.parentID, e.bizStep, e.disposition])).toEqual([
      [C1, 'departing', 'in_transit'],
      ['urn:medloop:compartment:robot-07:C2', 'departing', 'in_transit'],
    ]);
    expect(dispatch[0].eventID).not.toBe(dispatch[1].eventID);
    expect(new Set(events.map((e) => e.eventID)).size).toBe(events.length);
  });

  it('observes the doses themselves when a courier (no robot) carries the delivery', () => {
    const f = loopFixture();
    const d = epcisDocumentForDelivery(deliveryInput({ delivery: { ...f.delivery, robotId: null } }));
    const dispatch = d.epcisBody.eventList.filter((e) => e['medloop:action'] === 'dispatched');
    expect(dispatch).toHaveLength(1);
    expect(dispatch[0]).toMatchObject({
      type: 'ObjectEvent',
      epcList: [SGTIN],
      quantityList: [{ epcClass: 'https://id.gs1.org/01/09506000134376/10/PCM77', quantity: 1 }],
    });
  });

  it('is deterministic', () => {
    expect(epcisDocumentForDelivery(deliveryInput())).toEqual(doc);
  });
});
