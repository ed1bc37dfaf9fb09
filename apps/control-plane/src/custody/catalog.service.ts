/** Patients and the medication formulary (GTINs, strengths, high-alert / controlled flags). */
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError } from '#domain';
import { CustodyRepository, type MedicationEntity, type PatientEntity } from '#persistence';
import type { z } from 'zod';
import type { AuthUser } from '../common/auth.decorators.js';
import { assertWardAccess, canActOnWard } from './access.js';
import type { CreateMedicationSchema, CreatePatientSchema } from './custody.dto.js';
import { doseView, medicationView, patientView, slotView } from './custody-views.js';

@Injectable()
export class CatalogService {
  constructor(private readonly repo: CustodyRepository) {}

  async createPatient(input: z.infer<typeof CreatePatientSchema>) {
    if (await this.repo.patientByMrn(input.mrn)) throw new ConflictError(`a patient with MRN ${input.mrn} exists`, 'patient_exists', { field: 'mrn' });
    if (await this.repo.patientByWristband(input.wristbandGsrn))
      throw new ConflictError('that wristband is already assigned', 'wristband_taken', { field: 'wristbandGsrn' });
    const p: PatientEntity = {
      id: randomUUID(),
      mrn: input.mrn,
      wristbandGsrn: input.wristbandGsrn,
      name: input.name,
      ward: input.ward,
      bed: input.bed ?? null,
      createdAt: new Date(),
    };
    await this.repo.insertPatient(p);
    return patientView(p);
  }

  async patients(user: AuthUser, ward?: string) {
    if (ward) assertWardAccess(user, ward);
    const list = await this.repo.patients(ward);
    return list.filter((p) => canActOnWard(user, p.ward)).map(patientView);
  }

  async patient(id: string, user: AuthUser): Promise<PatientEntity> {
    const p = await this.repo.patient(id);
    if (!p) throw new NotFoundError('Patient', id);
    assertWardAccess(user, p.ward);
    return p;
  }

  /** A patient's doses and administration slots (the MAR view for nurses and ward rounds). */
  async patientMedication(id: string, user: AuthUser) {
    const p = await this.patient(id, user);
    const [doses, slots] = await Promise.all([this.repo.dosesOfPatient(p.id), this.repo.slotsOfPatient(p.id)]);
    return { patient: patientView(p), doses: doses.map(doseView), slots: slots.map(slotView) };
  }

  /** Doses in given states (the pharmacy's exception lists); nurses see their wards' only. */
  async dosesInStates(states: string[], user: AuthUser, ward?: string) {
    const wardOf = new Map((await this.repo.patients()).map((p) => [p.id, p.ward]));
    return (await this.repo.dosesInStates(states))
      .filter((d) => {
        const w = wardOf.get(d.patientId) ?? '';
        return (!ward || w === ward) && canActOnWard(user, w);
      })
      .map((d) => ({ ...doseView(d), ward: wardOf.get(d.patientId) ?? null }));
  }

  async createMedication(input: z.infer<typeof CreateMedicationSchema>) {
    if (await this.repo.medicationByGtin(input.gtin))
      throw new ConflictError(`GTIN ${input.gtin} is already in the formulary`, 'medication_exists', { field: 'gtin' });
    const m: MedicationEntity = {
      id: randomUUID(),
      ...input,
      // safe by default: a controlled drug rides a robot only when its entry says so
      robotTransportAllowed: input.robotTransportAllowed ?? !input.controlled,
      torAllowanceMinutes: input.torAllowanceMinutes ?? null,
      createdAt: new Date(),
    };
    await this.repo.insertMedication(m);
    return medicationView(m);
  }

  async medications() {
    return (await this.repo.medications()).map(medicationView);
  }
}
