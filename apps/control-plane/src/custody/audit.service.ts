/** The audit trail views: a dose's custody timeline and whole-chain verification. */
import { Injectable } from '@nestjs/common';
import {
  NotFoundError,
  epcisDocumentForDelivery,
  epcisDocumentForDose,
  fhirBundleForDelivery,
  fhirBundleForDose,
  type DeliveryExportInput,
  type DoseExportInput,
  type InteropCheckpoint,
} from '#domain';
import { type CustodyEventEntity, CustodyRepository, type DoseEntity, MissionsRepository } from '#persistence';
import { CustodyLedger } from './custody-ledger.service.js';
import { doseView } from './custody-views.js';

@Injectable()
export class AuditService {
  /** the latest signed checkpoint the exports' Provenance name (none until the anchor hands it) */
  private checkpoint: () => InteropCheckpoint | null = () => null;

  constructor(
    private readonly repo: CustodyRepository,
    private readonly missions: MissionsRepository,
    private readonly ledger: CustodyLedger,
  ) {}

  /**
   * Set by the anchor module, which depends on custody (never the reverse): each Provenance of
   * an event the checkpoint covers names it, tying the exported record to a signed tree head.
   */
  useCheckpoint(source: () => InteropCheckpoint | null): void {
    this.checkpoint = source;
  }

  async fhirForDose(id: string) {
    return fhirBundleForDose(await this.doseExport(id));
  }

  async epcisForDose(id: string) {
    return epcisDocumentForDose(await this.doseExport(id));
  }

  async fhirForDelivery(id: string) {
    return fhirBundleForDelivery(await this.deliveryExport(id));
  }

  async epcisForDelivery(id: string) {
    return epcisDocumentForDelivery(await this.deliveryExport(id));
  }

  private async doseExport(id: string): Promise<DoseExportInput> {
    const dose = await this.repo.dose(id);
    if (!dose) throw new NotFoundError('Dose', id);
    const [order, patient, medication, delivery, events] = await Promise.all([
      this.repo.order(dose.orderId),
      this.repo.patient(dose.patientId),
      this.repo.medication(dose.medicationId),
      dose.deliveryId ? this.repo.delivery(dose.deliveryId) : null,
      this.repo.eventsOfDose(id),
    ]);
    const slot = dose.slotId ? ((await this.repo.slotsOfPatient(dose.patientId)).find((s) => s.id === dose.slotId) ?? null) : null;
    const mission = delivery?.missionId ? await this.missions.findById(delivery.missionId) : null;
    const orderEvents = await this.repo.eventsOfOrder(dose.orderId);
    return {
      dose,
      order: order!,
      patient: patient!,
      medication: medication!,
      slot,
      delivery,
      mission,
      events: [...orderEvents, ...events],
      now: new Date(),
      options: { checkpoint: this.checkpoint() },
    };
  }

  private async deliveryExport(id: string): Promise<DeliveryExportInput> {
    const delivery = await this.repo.delivery(id);
    if (!delivery) throw new NotFoundError('Delivery', id);
    const doses = await this.repo.dosesOfDelivery(id);
    const orders = (await Promise.all([...new Set(doses.map((d) => d.orderId))].map((o) => this.repo.order(o)))).filter((o) => o !== null);
    const patients = (await Promise.all([...new Set(doses.map((d) => d.patientId))].map((p) => this.repo.patient(p)))).filter((p) => p !== null);
    const medications = await this.repo.medicationsByIds([...new Set(doses.map((d) => d.medicationId))]);
    const slots = (await Promise.all(patients.map((p) => this.repo.slotsOfPatient(p.id)))).flat().filter((s) => doses.some((d) => d.slotId === s.id));
    const events = [...(await this.repo.eventsOfDelivery(id)), ...(await Promise.all(doses.map((d) => this.repo.eventsOfDose(d.id)))).flat()];
    const mission = delivery.missionId ? await this.missions.findById(delivery.missionId) : null;
    return { delivery, mission, doses, orders, patients, medications, slots, events, now: new Date(), options: { checkpoint: this.checkpoint() } };
  }

  async timeline(doseId: string) {
    const dose = await this.repo.dose(doseId);
    if (!dose) throw new NotFoundError('Dose', doseId);
    const [events, order] = await Promise.all([this.repo.eventsOfDose(doseId), this.repo.order(dose.orderId)]);
    // the order's own events (received, verified) belong to every dose's story
    const orderEvents = order ? (await this.repo.eventsOfOrder(order.id)).filter((e) => e.doseId === null) : [];
    const all = [...orderEvents, ...(await this.compartmentEvents(dose)), ...events].sort((a, b) => a.seq - b.seq);
    return {
      dose: doseView(dose),
      events: all.map((e) => ({
        seq: e.seq,
        id: e.id,
        at: e.at.toISOString(),
        action: e.action,
        fromState: e.fromState,
        toState: e.toState,
        actor: e.actor,
        location: e.location,
        ward: e.ward,
        evidence: e.evidence,
        prevHash: e.prevHash,
        hash: e.hash,
      })),
    };
  }

  /**
   * What happened to the compartment that held the dose (who asked to open it, the robot's
   * confirmation or refusal, a refused scan at it): recorded once on the delivery, shown on the
   * timeline of each dose inside.
   */
  private async compartmentEvents(dose: DoseEntity): Promise<CustodyEventEntity[]> {
    if (!dose.deliveryId || !dose.compartmentId) return [];
    return (await this.repo.eventsOfDelivery(dose.deliveryId)).filter((e) => e.doseId === null && e.evidence?.['compartmentId'] === dose.compartmentId);
  }
}
