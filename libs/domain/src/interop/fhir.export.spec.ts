import { describe, expect, it } from '@jest/globals';
import { ADMINISTRATION_FHIR_STATUS, type AdministrationState } from '../custody/administration.machine.js';
import { DELIVERY_FHIR_TASK_STATUS, deliveryMachine, type DeliveryState } from '../custody/delivery.machine.js';
import { DOSE_FHIR_DISPENSE_STATUS, doseMachine, type DoseState } from '../custody/dose.machine.js';
import { ORDER_FHIR_STATUS, orderMachine, type OrderState } from '../custody/order.machine.js';
import { generateNoteKey, openCheckpoint, signCheckpoint } from '../audit/checkpoint.js';
import { ValidationError } from '../errors.js';
import { fhirBundleForDelivery, fhirBundleForDose } from './fhir.export.js';
import type { FhirBundle, FhirResource } from './fhir.types.js';
import { chain, deliveryInput, doseInput, IDS, loopFixture, NOW } from './interop.fixture.js';
import { MEDLOOP_SYSTEMS, stableUuid } from './interop.ids.js';
import { validateFhirBundle } from './interop.validate.js';

type Of<T extends FhirResource['resourceType']> = Extract<FhirResource, { resourceType: T }>;
const all = <T extends FhirResource['resourceType']>(b: FhirBundle, type: T) =>
  b.entry.map((e) => e.resource).filter((r): r is Of<T> => r.resourceType === type);
const one = <T extends FhirResource['resourceType']>(b: FhirBundle, type: T) => {
  const found = all(b, type);
  expect(found).toHaveLength(1);
  return found[0];
};

describe('fhirBundleForDose', () => {
  const bundle = fhirBundleForDose(doseInput());

  it('is a valid collection bundle whose every entry has a urn:uuid fullUrl and resolvable references', () => {
    expect(validateFhirBundle(bundle)).toEqual([]);
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection', timestamp: NOW });
    expect(bundle.entry.map((e) => e.resource.resourceType)).toEqual([
      'Patient',
      'Medication',
      'MedicationRequest',
      'MedicationDispense',
      'MedicationAdministration',
      'Device',
      'Task',
      ...Array(11).fill('Provenance'),
    ]);
  });

  it('keeps MedLoop UUIDs as resource ids', () => {
    expect(one(bundle, 'MedicationDispense').id).toBe(IDS.dose1);
    expect(one(bundle, 'MedicationRequest').id).toBe(IDS.order1);
    expect(one(bundle, 'MedicationAdministration').id).toBe(IDS.slot1);
    expect(one(bundle, 'Task').id).toBe(IDS.delivery);
    expect(one(bundle, 'Patient').id).toBe(IDS.patient);
    expect(one(bundle, 'Device').id).toBe(stableUuid('Device', IDS.robot));
  });

  it('identifies the patient by MRN and wristband GSRN only', () => {
    const p = one(bundle, 'Patient');
    expect(p.identifier[0]).toMatchObject({ system: MEDLOOP_SYSTEMS.mrn, value: 'MRN-004211', type: { coding: [{ code: 'MR' }] } });
    expect(p.identifier[1]).toEqual({ use: 'secondary', system: 'https://www.gs1.org/gsrn', value: '735000000000000017' });
    expect(Object.keys(p)).not.toContain('name');
  });

  it('codes the medication by GTIN with the scanned batch', () => {
    const m = one(bundle, 'Medication');
    expect(m.code.coding).toEqual([{ system: 'https://www.gs1.org/gtin', code: '09506000134352', display: 'Heparin sodium' }]);
    expect(m.batch).toEqual({ lotNumber: 'HEP24A', expirationDate: '2026-12-31' });
  });

  it('maps the verified order to an active MedicationRequest with its dosage', () => {
    const r = one(bundle, 'MedicationRequest');
    expect(r).toMatchObject({ status: 'active', intent: 'order', priority: 'urgent', requester: { identifier: { value: 'dr-lee' } } });
    expect(r.dosageInstruction[0]).toMatchObject({ route: { text: 'SC' }, doseAndRate: [{ doseQuantity: { value: 5000, unit: 'IU' } }] });
    expect(r.statusReason?.coding?.[0].code).toBe('verified');
  });

  it('describes the dispense with custody detail, preparation and hand-over times, and who did what', () => {
    const d = one(bundle, 'MedicationDispense');
    expect(d.status).toBe('completed');
    expect(d.statusReasonCodeableConcept.coding).toEqual([{ system: MEDLOOP_SYSTEMS.doseState, code: 'administered' }]);
    expect(d.whenPrepared).toBe('2025-11-26T08:42:00.000Z');
    expect(d.whenHandedOver).toBe('2025-11-26T09:37:00.000Z');
    expect(d.performer?.map((p) => [p.function.coding?.[0].code, p.actor.identifier?.value])).toEqual([
      ['packager', 'pharm-1'],
      ['checker', 'pharm-2'],
      ['finalchecker', 'pharm-3'],
    ]);
    expect(d.destination.identifier).toEqual({ system: MEDLOOP_SYSTEMS.ward, value: 'ward-4B' });
    expect(d.receiver?.[0].identifier?.value).toBe('nurse-1');
    expect(d.identifier).toContainEqual({ system: 'urn:ietf:rfc:3986', value: 'https://id.gs1.org/01/09506000134352/21/SN0001' });
  });

  it('names both pharmacists of a double check MedLoop recorded as one check with its witness', () => {
    // how the server writes a high-alert check: one `checked` event by the checking pharmacist,
    // the independent second pharmacist in its evidence
    const input = doseInput();
    const events = input.events
      .filter((e) => !(e.doseId === IDS.dose1 && e.action === 'checked' && e.actor.id === 'pharm-3'))
      .map((e) => (e.doseId === IDS.dose1 && e.action === 'checked' ? { ...e, evidence: { ...e.evidence, witness: 'pharm-3', witnessVia: 'badge' } } : e));
    const dispense = one(fhirBundleForDose({ ...input, events }), 'MedicationDispense');
    expect(dispense.performer?.map((p) => [p.function.coding?.[0].code, p.actor.identifier?.value])).toEqual([
      ['packager', 'pharm-1'],
      ['checker', 'pharm-2'],
      ['finalchecker', 'pharm-3'],
    ]);
  });

  it('records the administration with performer and witness', () => {
    const a = one(bundle, 'MedicationAdministration');
    expect(a.status).toBe('completed');
    expect(a.statusReason).toBeUndefined();
    expect(a.performer?.map((p) => [p.function.coding?.[0].code, p.actor.identifier?.value])).toEqual([
      ['performer', 'nurse-1'],
      ['witness', 'nurse-2'],
    ]);
    expect(a.effectiveDateTime).toBe('2025-11-26T10:02:00.000Z');
  });

  it('exports the delivery as a Task owned by the robot Device and focused on the dispense', () => {
    const t = one(bundle, 'Task');
    const device = one(bundle, 'Device');
    expect(t).toMatchObject({ status: 'completed', intent: 'order', priority: 'urgent', businessStatus: { coding: [{ code: 'completed' }] } });
    expect(t.owner?.reference).toBe(`urn:uuid:${device.id}`);
    expect(t.focus?.reference).toBe(`urn:uuid:${IDS.dose1}`);
    expect(t.identifier).toContainEqual({ system: MEDLOOP_SYSTEMS.mission, value: IDS.mission });
    expect(t.executionPeriod).toEqual({ start: '2025-11-26T09:20:00.000Z', end: '2025-11-26T09:35:00.000Z' });
  });

  it('writes one Provenance per relevant custody event, with the hash chain and the right target', () => {
    const f = loopFixture();
    const provs = all(bundle, 'Provenance');
    const expected = f.events.filter((e) => e.doseId === IDS.dose1 || (!e.doseId && (e.deliveryId === IDS.delivery || e.orderId === IDS.order1)));
    expect(provs.map((p) => p.id)).toEqual(expected.map((e) => e.id));
    const chainOf = (i: number) =>
      Object.fromEntries((provs[i].extension?.[0].extension ?? []).map((x) => [x.url, x.valueString ?? x.valueInteger ?? x.valueCode]));
    expect(chainOf(1)).toMatchObject({ seq: expected[1].seq, hash: expected[1].hash, prevHash: expected[1].prevHash, action: 'picked', toState: 'picked' });
    expect(provs[0].target[0].reference).toBe(`urn:uuid:${IDS.order1}`);
    expect(provs.find((p) => p.activity.coding?.[0].code === 'dispatched')?.target[0].reference).toBe(`urn:uuid:${IDS.delivery}`);
    const administered = provs.at(-1)!;
    expect(administered.target.map((t) => t.type)).toEqual(['MedicationDispense', 'MedicationAdministration']);
    expect(administered.agent.map((a) => [a.type.coding?.[0].code, a.who.identifier?.value])).toEqual([
      ['performer', 'nurse-1'],
      ['verifier', 'nurse-2'],
    ]);
    const robotEvent = provs.find((p) => p.activity.coding?.[0].code === 'arrived')!;
    expect(robotEvent.agent[0].who.reference).toBe(`urn:uuid:${stableUuid('Device', IDS.robot)}`);
  });

  it('ties each Provenance a signed checkpoint covers to that checkpoint (origin, size, root, leaf, signed note)', () => {
    const seqs = all(bundle, 'Provenance').map((p) => p.extension![0]!.extension!.find((x) => x.url === 'seq')!.valueInteger!);
    const covered = seqs[4]!;
    const key = generateNoteKey('medloop.example/custody');
    const rootHash = Buffer.alloc(32, 7).toString('base64');
    const time = '2025-11-26T10:00:00.000Z';
    const note = signCheckpoint({ origin: key.name, treeSize: covered, rootHash: Buffer.from(rootHash, 'base64'), time }, key);
    const checkpoint = { origin: key.name, treeSize: covered, rootHash, time, note };
    const b = fhirBundleForDose(doseInput({ options: { checkpoint } }));
    expect(validateFhirBundle(b)).toEqual([]);
    const provs = all(b, 'Provenance');
    expect(provs).toHaveLength(all(bundle, 'Provenance').length);
    const anchorOf = (p: (typeof provs)[number]) => p.extension!.find((x) => x.url === MEDLOOP_SYSTEMS.checkpointExtension);
    provs.forEach((p, i) => {
      const x = anchorOf(p);
      if (seqs[i]! > covered) return expect(x).toBeUndefined();
      const parts = Object.fromEntries(x!.extension!.map((s) => [s.url, s.valueString ?? s.valueInteger ?? s.valueBase64Binary ?? s.valueInstant]));
      expect(parts).toEqual({
        origin: key.name,
        treeSize: covered,
        rootHash,
        time,
        leafIndex: seqs[i]! - 1,
        signature: note.split('\n\n')[1]!.trimEnd(),
        note,
      });
    });
    // the note carried is the checkpoint itself: it opens with the log's key alone
    const carried = anchorOf(provs[0]!)!.extension!.find((s) => s.url === 'note')!.valueString!;
    expect(openCheckpoint(carried, [{ name: key.name, publicKey: key.publicKey }]).ok).toBe(true);
    // an uncovered event keeps its Provenance unchanged; no checkpoint, no extension
    expect(fhirBundleForDose(doseInput({ options: { checkpoint: null } }))).toEqual(bundle);
  });

  it('flags a checkpoint extension whose parts do not name the note carried', () => {
    const key = generateNoteKey('medloop.example/custody');
    const root = Buffer.alloc(32, 9);
    const note = signCheckpoint({ origin: key.name, treeSize: 50, rootHash: root, time: '2025-11-26T10:00:00.000Z' }, key);
    const b = fhirBundleForDose(
      doseInput({ options: { checkpoint: { origin: key.name, treeSize: 50, rootHash: root.toString('base64'), time: null, note } } }),
    );
    expect(validateFhirBundle(b)).toEqual([]);
    const x = all(b, 'Provenance')[0]!.extension!.find((e) => e.url === MEDLOOP_SYSTEMS.checkpointExtension)!;
    x.extension!.find((s) => s.url === 'treeSize')!.valueInteger = 51;
    x.extension!.find((s) => s.url === 'leafIndex')!.valueInteger = 60;
    expect(validateFhirBundle(b)).toEqual([
      expect.stringContaining('leafIndex (valueInteger) must lie inside the tree'),
      expect.stringContaining('the note is not the checkpoint named'),
    ]);
  });

  it('ignores events about other doses', () => {
    expect(all(bundle, 'Provenance').some((p) => JSON.stringify(p).includes(IDS.dose2))).toBe(false);
  });

  it('is deterministic: same input, same JSON; Date and ISO inputs agree; only `now` moves the stamp', () => {
    expect(JSON.stringify(fhirBundleForDose(doseInput()))).toBe(JSON.stringify(bundle));
    expect(JSON.parse(JSON.stringify(bundle))).toEqual(bundle);
    const f = loopFixture();
    const isoEvents = f.events.map((e) => ({ ...e, at: new Date(e.at) }));
    expect(fhirBundleForDose(doseInput({ events: isoEvents }))).toEqual(bundle);
    const later = fhirBundleForDose(doseInput({ now: new Date('2025-11-27T00:00:00Z') }));
    expect(later.timestamp).toBe('2025-11-27T00:00:00.000Z');
    expect(later.id).not.toBe(bundle.id);
    expect(later.entry).toEqual(bundle.entry);
  });

  it.each(Object.keys(doseMachine.states) as DoseState[])('maps dose state %s through DOSE_FHIR_DISPENSE_STATUS', (state) => {
    const b = fhirBundleForDose(doseInput({ dose: { ...loopFixture().dose1, state } }));
    expect(one(b, 'MedicationDispense').status).toBe(DOSE_FHIR_DISPENSE_STATUS[state]);
    expect(validateFhirBundle(b)).toEqual([]);
  });

  it.each(Object.keys(orderMachine.states) as OrderState[])('maps order state %s through ORDER_FHIR_STATUS', (status) => {
    const b = fhirBundleForDose(doseInput({ order: { ...loopFixture().orders[0], status } }));
    expect(one(b, 'MedicationRequest').status).toBe(ORDER_FHIR_STATUS[status]);
  });

  it.each(Object.keys(deliveryMachine.states) as DeliveryState[])('maps delivery state %s through DELIVERY_FHIR_TASK_STATUS', (state) => {
    const b = fhirBundleForDose(doseInput({ delivery: { ...loopFixture().delivery, state } }));
    expect(one(b, 'Task').status).toBe(DELIVERY_FHIR_TASK_STATUS[state]);
    expect(validateFhirBundle(b)).toEqual([]);
  });

  it.each([
    'scheduled',
    'due',
    'verifying',
    'given',
    'infusing',
    'completed',
    'stopped',
    'held',
    'refused',
    'missed',
    'voided',
    'entered_in_error',
  ] as AdministrationState[])('maps administration state %s through ADMINISTRATION_FHIR_STATUS (no resource when null)', (state) => {
    const b = fhirBundleForDose(doseInput({ slot: { ...loopFixture().slot1, state, reason: state === 'held' ? 'patient nil by mouth' : null } }));
    const status = ADMINISTRATION_FHIR_STATUS[state];
    expect(all(b, 'MedicationAdministration').map((a) => a.status)).toEqual(status ? [status] : []);
    expect(validateFhirBundle(b)).toEqual([]);
  });

  it('gives a held administration not-done with the reason', () => {
    const f = loopFixture();
    const b = fhirBundleForDose(doseInput({ slot: { ...f.slot1, state: 'held', reason: 'patient nil by mouth' } }));
    expect(one(b, 'MedicationAdministration').statusReason).toEqual([
      { coding: [{ system: MEDLOOP_SYSTEMS.administrationState, code: 'held' }], text: 'patient nil by mouth' },
    ]);
  });

  it('takes a refusal reason from the custody evidence when the slot has none', () => {
    const f = loopFixture();
    const refused = chain(
      [
        {
          at: '2025-11-26T10:03:00Z',
          doseId: IDS.dose1,
          action: 'refused',
          toState: 'refused',
          actor: { type: 'user', id: 'nurse-1' },
          evidence: { reason: 'patient declined' },
        },
      ],
      100,
    );
    const b = fhirBundleForDose(doseInput({ slot: { ...f.slot1, state: 'refused', reason: null }, events: [...f.events.slice(0, -1), ...refused] }));
    expect(one(b, 'MedicationAdministration')).toMatchObject({
      status: 'not-done',
      statusReason: [{ coding: [{ code: 'refused' }], text: 'patient declined' }],
    });
  });

  it('exports without a delivery (no Task, no Device) and with a courier owner when no robot', () => {
    const noDelivery = fhirBundleForDose(doseInput({ delivery: null, mission: null }));
    expect(all(noDelivery, 'Task')).toHaveLength(0);
    expect(all(noDelivery, 'Device')).toHaveLength(0);
    expect(validateFhirBundle(noDelivery)).toEqual([]);
    const f = loopFixture();
    const courier = fhirBundleForDose(doseInput({ delivery: { ...f.delivery, robotId: null, courier: 'porter-9', state: 'escalated_manual' }, mission: null }));
    expect(one(courier, 'Task')).toMatchObject({
      status: 'in-progress',
      owner: { type: 'Practitioner', identifier: { value: 'porter-9' } },
      priority: 'urgent',
    });
    expect(validateFhirBundle(courier)).toEqual([]);
  });

  it('rejects a dose that does not belong to the given order', () => {
    const f = loopFixture();
    expect(() => fhirBundleForDose(doseInput({ order: f.orders[1] }))).toThrow(ValidationError);
  });
});

describe('fhirBundleForDelivery', () => {
  const bundle = fhirBundleForDelivery(deliveryInput());

  it('is valid and contains every dose, order and one Task listing both dispenses', () => {
    expect(validateFhirBundle(bundle)).toEqual([]);
    expect(all(bundle, 'MedicationDispense').map((d) => d.id)).toEqual([IDS.dose1, IDS.dose2]);
    expect(all(bundle, 'MedicationRequest').map((r) => r.id)).toEqual([IDS.order1, IDS.order2]);
    const t = one(bundle, 'Task');
    expect(t.focus).toBeUndefined();
    expect(t.input?.map((i) => i.valueReference.reference)).toEqual([`urn:uuid:${IDS.dose1}`, `urn:uuid:${IDS.dose2}`]);
    expect(t.basedOn).toHaveLength(2);
    expect(all(bundle, 'Provenance')).toHaveLength(loopFixture().events.length);
  });

  it('decodes a raw YYMMDD expiry (day 00 = end of month) on the batch', () => {
    const pcm = all(bundle, 'Medication').find((m) => m.identifier[0].value === IDS.paracetamol);
    expect(pcm?.batch).toEqual({ lotNumber: 'PCM77', expirationDate: '2027-12-31' });
  });

  it('splits one medication into one Medication per batch when doses of it come from two batches', () => {
    const f = loopFixture();
    const twin = {
      ...f.dose2,
      id: '3b000000-0000-4000-8000-000000000003',
      orderId: IDS.order1,
      medicationId: IDS.heparin,
      gtin: f.heparin.gtin,
      lot: 'HEP99',
      serial: 'SN0009',
      slotId: null,
    };
    const b = fhirBundleForDelivery(
      deliveryInput({ doses: [...f.doses, twin], delivery: { ...f.delivery, compartments: { ...f.delivery.compartments, C2: [IDS.dose2, twin.id] } } }),
    );
    expect(validateFhirBundle(b)).toEqual([]);
    const heparins = all(b, 'Medication').filter((m) => m.identifier[0].value === IDS.heparin);
    expect(heparins.map((m) => m.batch?.lotNumber).sort()).toEqual(['HEP24A', 'HEP99']);
    expect(new Set(heparins.map((m) => m.id)).size).toBe(2);
  });

  it('references the product Medication for a missed slot with no dose', () => {
    const f = loopFixture();
    const missed = { ...f.slot1, id: '4c000000-0000-4000-8000-000000000009', state: 'missed' as const, doseId: null, recordedBy: null, recordedAt: null };
    const b = fhirBundleForDelivery(deliveryInput({ slots: [...f.slots, missed] }));
    expect(validateFhirBundle(b)).toEqual([]);
    expect(all(b, 'MedicationAdministration').find((a) => a.id === missed.id)).toMatchObject({
      status: 'not-done',
      medicationReference: { reference: `urn:uuid:${IDS.heparin}` },
    });
  });

  it('rejects a dose whose order is missing or that travels in another delivery', () => {
    const f = loopFixture();
    expect(() => fhirBundleForDelivery(deliveryInput({ orders: [f.orders[0]] }))).toThrow(/order/);
    expect(() => fhirBundleForDelivery(deliveryInput({ doses: [{ ...f.dose1, deliveryId: 'other' }] }))).toThrow(ValidationError);
  });

  it('is deterministic', () => {
    expect(fhirBundleForDelivery(deliveryInput())).toEqual(bundle);
  });
});
