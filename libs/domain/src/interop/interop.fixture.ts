/**
 * A complete closed loop for the interop specs: one robot delivery to ward 4B carrying two
 * doses for one patient (a serialised high-alert dose in compartment C1, a lot-only dose in
 * C2), with a real hash chain over the custody events.
 */
import { chainHash, GENESIS_HASH } from '../audit/hash-chain.js';
import type {
  DeliveryExportInput,
  DoseExportInput,
  InteropActor,
  InteropAdministrationSlot,
  InteropCustodyEvent,
  InteropDelivery,
  InteropDose,
  InteropMedication,
  InteropMission,
  InteropOrder,
  InteropPatient,
} from './interop.types.js';

export const IDS = {
  patient: '0b6e1c1e-1f0a-4d7b-9a55-0d6f4c1a2b01',
  heparin: '1c2d3e4f-0000-4a00-8000-000000000001',
  paracetamol: '1c2d3e4f-0000-4a00-8000-000000000002',
  order1: '2a000000-0000-4000-8000-000000000001',
  order2: '2a000000-0000-4000-8000-000000000002',
  dose1: '3b000000-0000-4000-8000-000000000001',
  dose2: '3b000000-0000-4000-8000-000000000002',
  slot1: '4c000000-0000-4000-8000-000000000001',
  slot2: '4c000000-0000-4000-8000-000000000002',
  delivery: '5d000000-0000-4000-8000-000000000001',
  mission: '6e000000-0000-4000-8000-000000000001',
  robot: 'robot-07',
} as const;

export const NOW = '2025-11-26T12:00:00.000Z';

const pharmacist = (id: string): InteropActor => ({ type: 'user', id, role: 'pharmacist' });
const nurse = (id: string): InteropActor => ({ type: 'user', id, role: 'nurse' });

type Draft = Omit<InteropCustodyEvent, 'seq' | 'id' | 'prevHash' | 'hash'>;

/** Chains drafts like the ledger does (content includes seq), with ids derived from seq. */
export function chain(drafts: readonly Draft[], start = 0, prev = GENESIS_HASH): InteropCustodyEvent[] {
  return drafts.map((d, i) => {
    const seq = start + i + 1;
    const id = `7f000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
    const hash = chainHash(prev, { ...d, seq, id, at: new Date(d.at).toISOString() });
    const e = { ...d, seq, id, prevHash: prev, hash };
    prev = hash;
    return e;
  });
}

export function loopFixture() {
  const patient: InteropPatient = { id: IDS.patient, mrn: 'MRN-004211', wristbandGsrn: '735000000000000017', ward: 'ward-4B', bed: '12' };
  const heparin: InteropMedication = { id: IDS.heparin, gtin: '09506000134352', name: 'Heparin sodium', strength: '5000 IU/mL', route: 'SC', highAlert: true };
  const paracetamol: InteropMedication = { id: IDS.paracetamol, gtin: '09506000134376', name: 'Paracetamol', strength: '500 mg', route: 'PO' };
  const order = (id: string, medicationId: string, priority: InteropOrder['priority'], dose: InteropOrder['dose'], route: string): InteropOrder => ({
    id,
    patientId: IDS.patient,
    medicationId,
    dose,
    route,
    schedule: { times: ['2025-11-26T10:00:00.000Z'], windowMinutes: 60 },
    priority,
    status: 'verified',
    prescriber: 'dr-lee',
    verifiedBy: 'pharm-1',
    verifiedAt: new Date('2025-11-26T08:05:00Z'),
    statusReason: null,
    createdAt: new Date('2025-11-26T08:00:00Z'),
  });
  const orders = [
    order(IDS.order1, IDS.heparin, 'urgent', { amount: 5000, unit: 'IU' }, 'SC'),
    order(IDS.order2, IDS.paracetamol, 'routine', { amount: 500, unit: 'mg' }, 'PO'),
  ];
  const dose1: InteropDose = {
    id: IDS.dose1,
    orderId: IDS.order1,
    patientId: IDS.patient,
    medicationId: IDS.heparin,
    slotId: IDS.slot1,
    state: 'administered',
    gtin: heparin.gtin,
    lot: 'HEP24A',
    expiry: '2026-12-31',
    serial: 'SN0001',
    deliveryId: IDS.delivery,
    compartmentId: 'C1',
    location: 'ward-4B',
    custodian: 'nurse-1',
  };
  const dose2: InteropDose = {
    ...dose1,
    id: IDS.dose2,
    orderId: IDS.order2,
    medicationId: IDS.paracetamol,
    slotId: IDS.slot2,
    state: 'received',
    gtin: paracetamol.gtin,
    lot: 'PCM77',
    expiry: '271200',
    serial: null,
    compartmentId: 'C2',
  };
  const delivery: InteropDelivery = {
    id: IDS.delivery,
    ward: 'ward-4B',
    stationNodeId: 'node-4B-station',
    state: 'completed',
    robotId: IDS.robot,
    missionId: IDS.mission,
    compartments: { C1: [IDS.dose1], C2: [IDS.dose2] },
    createdBy: 'pharm-1',
    courier: null,
    dispatchedAt: new Date('2025-11-26T09:20:00Z'),
    arrivedAt: new Date('2025-11-26T09:35:00Z'),
    createdAt: new Date('2025-11-26T09:00:00Z'),
    updatedAt: new Date('2025-11-26T09:45:00Z'),
  };
  const mission: InteropMission = { id: IDS.mission, priority: 'urgent', status: 'finished', robotId: IDS.robot };
  const slot1: InteropAdministrationSlot = {
    id: IDS.slot1,
    orderId: IDS.order1,
    patientId: IDS.patient,
    scheduledAt: '2025-11-26T10:00:00.000Z',
    windowMinutes: 60,
    state: 'given',
    doseId: IDS.dose1,
    reason: null,
    recordedBy: 'nurse-1',
    recordedAt: new Date('2025-11-26T10:02:00Z'),
  };
  const slot2: InteropAdministrationSlot = {
    ...slot1,
    id: IDS.slot2,
    orderId: IDS.order2,
    doseId: IDS.dose2,
    state: 'scheduled',
    recordedBy: null,
    recordedAt: null,
  };
  const scan = { gtin: heparin.gtin, lot: 'HEP24A', expiry: '2026-12-31', serial: 'SN0001' };
  const d1 = { doseId: IDS.dose1, orderId: IDS.order1, deliveryId: IDS.delivery };
  const d2 = { doseId: IDS.dose2, orderId: IDS.order2, deliveryId: IDS.delivery };
  const robot: InteropActor = { type: 'device', id: IDS.robot };
  const events = chain([
    { at: '2025-11-26T08:05:00Z', orderId: IDS.order1, action: 'order_verified', actor: pharmacist('pharm-1'), evidence: {} },
    {
      at: '2025-11-26T08:30:00Z',
      ...d1,
      action: 'picked',
      fromState: 'queued',
      toState: 'picked',
      actor: pharmacist('pharm-1'),
      location: 'cabinet-A',
      evidence: scan,
    },
    {
      at: '2025-11-26T08:31:00Z',
      ...d2,
      action: 'picked',
      fromState: 'queued',
      toState: 'picked',
      actor: pharmacist('pharm-1'),
      location: 'cabinet-A',
      evidence: { gtin: paracetamol.gtin, lot: 'PCM77' },
    },
    { at: '2025-11-26T08:40:00Z', ...d1, action: 'checked', fromState: 'picked', toState: 'checked', actor: pharmacist('pharm-2'), location: 'pharmacy' },
    { at: '2025-11-26T08:42:00Z', ...d1, action: 'checked', fromState: 'checked', toState: 'checked', actor: pharmacist('pharm-3'), location: 'pharmacy' },
    { at: '2025-11-26T08:43:00Z', ...d2, action: 'checked', fromState: 'picked', toState: 'checked', actor: pharmacist('pharm-2'), location: 'pharmacy' },
    {
      at: '2025-11-26T09:10:00Z',
      ...d1,
      action: 'loaded',
      fromState: 'checked',
      toState: 'loaded',
      actor: pharmacist('pharm-1'),
      location: 'dock-1',
      evidence: { compartmentId: 'C1', robotId: IDS.robot },
    },
    {
      at: '2025-11-26T09:11:00Z',
      ...d2,
      action: 'loaded',
      fromState: 'checked',
      toState: 'loaded',
      actor: pharmacist('pharm-1'),
      location: 'dock-1',
      evidence: { compartmentId: 'C2', robotId: IDS.robot },
    },
    {
      at: '2025-11-26T09:20:00Z',
      deliveryId: IDS.delivery,
      action: 'dispatched',
      fromState: 'loaded',
      toState: 'dispatched',
      actor: { type: 'system', id: 'dispatcher' },
      location: 'dock-1',
      evidence: { missionId: IDS.mission },
    },
    { at: '2025-11-26T09:20:01Z', ...d1, action: 'in_transit', fromState: 'loaded', toState: 'in_transit', actor: robot, location: 'dock-1' },
    { at: '2025-11-26T09:35:00Z', ...d1, action: 'arrived', fromState: 'in_transit', toState: 'arrived', actor: robot, location: 'node-4B-station' },
    {
      at: '2025-11-26T09:36:00Z',
      deliveryId: IDS.delivery,
      action: 'compartment_unlocked',
      actor: nurse('nurse-1'),
      location: 'node-4B-station',
      evidence: { compartmentId: 'C1', badge: true },
    },
    {
      at: '2025-11-26T09:37:00Z',
      ...d1,
      action: 'received',
      fromState: 'arrived',
      toState: 'received',
      actor: nurse('nurse-1'),
      location: 'ward-4B',
      evidence: scan,
    },
    {
      at: '2025-11-26T10:02:00Z',
      ...d1,
      action: 'administered',
      fromState: 'received',
      toState: 'administered',
      actor: nurse('nurse-1'),
      location: 'ward-4B',
      evidence: { ...scan, witness: 'nurse-2', wristband: '735000000000000017' },
    },
  ]);
  return {
    patient,
    medications: [heparin, paracetamol],
    heparin,
    paracetamol,
    orders,
    doses: [dose1, dose2],
    dose1,
    dose2,
    delivery,
    mission,
    slots: [slot1, slot2],
    slot1,
    events,
  };
}

export function doseInput(over: Partial<DoseExportInput> = {}): DoseExportInput {
  const f = loopFixture();
  return {
    dose: f.dose1,
    order: f.orders[0],
    patient: f.patient,
    medication: f.heparin,
    slot: f.slot1,
    delivery: f.delivery,
    mission: f.mission,
    events: f.events,
    now: NOW,
    ...over,
  };
}

export function deliveryInput(over: Partial<DeliveryExportInput> = {}): DeliveryExportInput {
  const f = loopFixture();
  return {
    delivery: f.delivery,
    mission: f.mission,
    doses: f.doses,
    orders: f.orders,
    patients: [f.patient],
    medications: f.medications,
    slots: f.slots,
    events: f.events,
    now: NOW,
    ...over,
  };
}
