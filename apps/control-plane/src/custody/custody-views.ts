/** JSON views of custody records for the HTTP API and live events (shapes: libs/contracts custody.views). */
import type { Delivery, Dose, Medication, MedicationOrder, OverrideReview, Patient, Slot } from '#contracts';
import { NotFoundError } from '#domain';
import type {
  AdministrationSlotEntity,
  CustodyRepository,
  DeliveryEntity,
  DoseEntity,
  MedicationEntity,
  MedicationOrderEntity,
  PatientEntity,
} from '#persistence';
import type { AuthUser } from '../common/auth.decorators.js';
import { assertWardAccess } from './access.js';

export const iso = (d: Date | null) => (d ? d.toISOString() : null);
/** a column that is never null (creation and update times) */
const isoOf = (d: Date) => d.toISOString();

export const patientView = (p: PatientEntity): Patient => ({ id: p.id, mrn: p.mrn, wristbandGsrn: p.wristbandGsrn, name: p.name, ward: p.ward, bed: p.bed });
export const medicationView = (m: MedicationEntity): Medication => ({
  id: m.id,
  gtin: m.gtin,
  name: m.name,
  strength: m.strength,
  route: m.route,
  highAlert: m.highAlert,
  controlled: m.controlled,
  refrigerated: m.refrigerated,
  robotTransportAllowed: m.robotTransportAllowed,
  torAllowanceMinutes: m.torAllowanceMinutes ?? null,
});
export const orderView = (o: MedicationOrderEntity): MedicationOrder => ({
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
  createdAt: isoOf(o.createdAt),
});
export const doseView = (d: DoseEntity): Dose => ({
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
  updatedAt: isoOf(d.updatedAt),
});
export const deliveryView = (d: DeliveryEntity, doses?: DoseEntity[]): Delivery => ({
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
  createdAt: isoOf(d.createdAt),
  ...(doses ? { doses: doses.map(doseView) } : {}),
});
export const slotView = (s: AdministrationSlotEntity): Slot => ({
  id: s.id,
  orderId: s.orderId,
  patientId: s.patientId,
  scheduledAt: isoOf(s.scheduledAt),
  windowMinutes: s.windowMinutes,
  state: s.state,
  doseId: s.doseId,
  reason: s.reason,
  recordedBy: s.recordedBy,
  recordedAt: iso(s.recordedAt),
  override: s.override,
  administered: s.administered,
  review: overrideReviewView(s),
});

export const overrideReviewView = (s: AdministrationSlotEntity): OverrideReview | null =>
  s.reviewedBy && s.reviewedAt
    ? { by: s.reviewedBy, at: s.reviewedAt.toISOString(), outcome: s.reviewOutcome as OverrideReview['outcome'], note: s.reviewNote }
    : null;

/** A delivery with its doses, as GET /api/deliveries/:id answers it. A nurse reads only her wards' deliveries (their doses name patients). */
export async function readDelivery(repo: CustodyRepository, id: string, user?: AuthUser): Promise<Delivery> {
  const d = await repo.delivery(id);
  if (!d) throw new NotFoundError('Delivery', id);
  if (user) assertWardAccess(user, d.ward);
  return deliveryView(d, await repo.dosesOfDelivery(id));
}
