/**
 * The patient, order and drug of each administration slot, read in three queries for a whole
 * page of slots (not three per slot): shared by the late/missed-dose alarms and the override
 * review list, which both word a slot for people.
 */
import type { AdministrationSlotEntity, CustodyRepository, MedicationEntity, MedicationOrderEntity, PatientEntity } from '#persistence';

export interface SlotContext {
  patient: PatientEntity | undefined;
  order: MedicationOrderEntity | undefined;
  medication: MedicationEntity | undefined;
}

export async function slotContexts(
  repo: CustodyRepository,
  slots: readonly AdministrationSlotEntity[],
): Promise<(slot: AdministrationSlotEntity) => SlotContext> {
  const uniq = (ids: (string | null)[]) => [...new Set(ids.filter((x): x is string => !!x))];
  const [patients, orders] = await Promise.all([repo.patientsByIds(uniq(slots.map((s) => s.patientId))), repo.ordersByIds(uniq(slots.map((s) => s.orderId)))]);
  const meds = await repo.medicationsByIds(uniq(orders.map((o) => o.medicationId)));
  const patientOf = new Map(patients.map((p) => [p.id, p]));
  const orderOf = new Map(orders.map((o) => [o.id, o]));
  const medOf = new Map(meds.map((m) => [m.id, m]));
  return (s) => {
    const order = orderOf.get(s.orderId);
    return { patient: patientOf.get(s.patientId), order, medication: order ? medOf.get(order.medicationId) : undefined };
  };
}
