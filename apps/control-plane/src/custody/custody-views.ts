/** JSON views of custody records for the HTTP API and live events. */
import type { AdministrationSlotEntity, DeliveryEntity, DoseEntity, MedicationEntity, MedicationOrderEntity, PatientEntity } from '#persistence';

export const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const patientView = (p: PatientEntity) => ({ id: p.id, mrn: p.mrn, wristbandGsrn: p.wristbandGsrn, name: p.name, ward: p.ward, bed: p.bed });
export const medicationView = (m: MedicationEntity) => ({
  id: m.id,
  gtin: m.gtin,
  name: m.name,
  strength: m.strength,
  route: m.route,
  highAlert: m.highAlert,
  controlled: m.controlled,
  refrigerated: m.refrigerated,
  robotTransportAllowed: m.robotTransportAllowed,
});
export const orderView = (o: MedicationOrderEntity) => ({
  id: o.id,
  patientId: o.patientId,
  medicationId: o.medicationId,
  dose: o.dose,
  route: o.route,
  schedule: o.schedule,
  priority: o.priority,
  status: o.status,
  prescriber: o.prescriber,
  verifiedBy: o.verifiedBy,
  verifiedAt: iso(o.verifiedAt),
  statusReason: o.statusReason,
  createdAt: iso(o.createdAt),
});
export const doseView = (d: DoseEntity) => ({
  id: d.id,
  orderId: d.orderId,
  patientId: d.patientId,
  medicationId: d.medicationId,
  slotId: d.slotId,
  state: d.state,
  gtin: d.gtin,
  lot: d.lot,
  expiry: d.expiry,
  serial: d.serial,
  deliveryId: d.deliveryId,
  compartmentId: d.compartmentId,
  location: d.location,
  custodian: d.custodian,
  updatedAt: iso(d.updatedAt),
});
export const deliveryView = (d: DeliveryEntity, doses?: DoseEntity[]) => ({
  id: d.id,
  ward: d.ward,
  stationNodeId: d.stationNodeId,
  state: d.state,
  robotId: d.robotId,
  missionId: d.missionId,
  compartments: d.compartments,
  unlocks: d.unlocks,
  courier: d.courier,
  dispatchedAt: iso(d.dispatchedAt),
  arrivedAt: iso(d.arrivedAt),
  createdAt: iso(d.createdAt),
  ...(doses ? { doses: doses.map(doseView) } : {}),
});
export const slotView = (s: AdministrationSlotEntity) => ({
  id: s.id,
  orderId: s.orderId,
  patientId: s.patientId,
  scheduledAt: iso(s.scheduledAt),
  windowMinutes: s.windowMinutes,
  state: s.state,
  doseId: s.doseId,
  reason: s.reason,
  recordedBy: s.recordedBy,
  recordedAt: iso(s.recordedAt),
  override: s.override,
});
