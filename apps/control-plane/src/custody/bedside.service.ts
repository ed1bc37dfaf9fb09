/**
 * Bedside administration: the nurse scans the patient's wristband and the dose; the five
 * rights (patient, drug, dose, route, time window), the expiry and, for high-alert drugs, a
 * witness decide. A failed right blocks the dose unless the nurse overrides with a reason, in
 * which case it is flagged for ward-pharmacist review. Held and refused need a reason. Every
 * refusal is audited.
 */
import { Injectable } from '@nestjs/common';
import {
  DomainError,
  ForbiddenError,
  RuleViolationError,
  ValidationError,
  administrationMachine,
  assertTransition,
  canTransition,
  doseMachine,
  doseMinutesOutOfRefrigeration,
  locationKey,
  assertWitness,
  checkExpiry,
  checkFiveRights,
  parseGs1Barcode,
  type FiveRightsResult,
} from '#domain';
import { type AdministrationSlotEntity, CustodyRepository, type DoseEntity, type MedicationEntity } from '#persistence';
import type { z } from 'zod';
import type { AuthUser } from '../common/auth.decorators.js';
import { AuthService } from '../auth/auth.service.js';
import { assertWardAccess, userActor } from './access.js';
import { CustodyLedger } from './custody-ledger.service.js';
import type { AdministrationSchema } from './custody.dto.js';
import { CustodyTransitions } from './custody-transitions.js';
import { doseView, slotView } from './custody-views.js';
import { DoseLocationsService } from './dose-locations.service.js';

type Input = z.infer<typeof AdministrationSchema>;

@Injectable()
export class BedsideService {
  constructor(
    private readonly repo: CustodyRepository,
    private readonly ledger: CustodyLedger,
    private readonly transitions: CustodyTransitions,
    private readonly auth: AuthService,
  ) {}

  async administer(input: Input, user: AuthUser) {
    if (user.role !== 'nurse' && user.role !== 'admin') throw new ForbiddenError('only nurses record administrations', 'role_forbidden');
    const wrist = parseGs1Barcode(input.wristband);
    if (!wrist.gsrnRecipient) throw new ValidationError('wristband: not a patient wristband (no GS1 AI 8018)', 'wristband');
    const scan = parseGs1Barcode(input.dose);
    if (!scan.gtin) throw new ValidationError('dose: no GTIN (AI 01) in the scanned code', 'dose');
    const patient = await this.repo.patientByWristband(wrist.gsrnRecipient);
    const candidates = await this.repo.dosesByUnit(scan.gtin, scan.serial, scan.lot);
    // prefer the scanned patient's own dose; otherwise the unit belongs to someone else
    const dose =
      candidates.find((d) => d.patientId === patient?.id && ['received', 'held'].includes(d.state)) ??
      candidates.find((d) => ['received', 'held'].includes(d.state));
    const audit = (code: string, detail: Record<string, unknown>) =>
      this.ledger.run(async (_tx, record) => {
        record({
          action: 'administration_blocked',
          doseId: dose?.id ?? null,
          orderId: dose?.orderId ?? null,
          actor: userActor(user),
          // where the refusal happened: the dose's own place if known, else the patient's ward
          location: dose?.location ?? (patient ? locationKey.ward(patient.ward) : null),
          evidence: {
            code,
            patientId: patient?.id ?? null,
            wristband: wrist.gsrnRecipient,
            gtin: scan.gtin,
            serial: scan.serial ?? null,
            lot: scan.lot ?? null,
            ...detail,
          },
        });
      });
    try {
      if (!patient) throw new RuleViolationError('wristband not recognised: no admitted patient wears it', 'unknown_wristband', { field: 'wristband' });
      assertWardAccess(user, patient.ward);
      if (!dose) {
        const held = candidates.find((d) => d.patientId === patient.id && d.state === 'quarantined') ?? candidates.find((d) => d.state === 'quarantined');
        if (held) await this.refuseQuarantined(held.id);
        throw new RuleViolationError('this unit is not a dose received on the ward (scan it on receipt first)', 'dose_not_received', { field: 'dose' });
      }
      const order = (await this.repo.order(dose.orderId))!;
      const med = (await this.repo.medication(dose.medicationId))!;
      const slot = dose.slotId ? await this.slotOf(dose.slotId) : null;
      const owner = dose.patientId === patient.id ? patient : await this.repo.patient(dose.patientId);
      if (order.status !== 'verified')
        throw new RuleViolationError(`the order is ${order.status}; nothing may be given on it`, 'order_not_active', { orderStatus: order.status });
      if (input.outcome === 'given') await this.assertColdChainAllowance(dose, med);
      const expiry = dose.expiry ? checkExpiry(dose.expiry, new Date()) : null;
      if (expiry && expiry.status === 'expired')
        throw new RuleViolationError(`the dose expired on ${dose.expiry}`, 'product_expired', { field: 'dose', expiry: dose.expiry });
      const rights: FiveRightsResult = checkFiveRights({
        scannedPatient: { wristband: wrist.gsrnRecipient, patientId: patient.id },
        scannedDose: { gtin: scan.gtin, amount: order.dose.amount, unit: order.dose.unit, route: order.route },
        order: {
          patientId: dose.patientId,
          ...(owner ? { wristband: owner.wristbandGsrn } : {}),
          gtin: med.gtin,
          dose: order.dose,
          route: order.route,
          scheduledAt: slot?.scheduledAt ?? new Date(),
          window: { minutesBefore: slot?.windowMinutes ?? 60, minutesAfter: slot?.windowMinutes ?? 60 },
        },
        now: new Date(),
      });
      if (!rights.ok && input.outcome === 'given') {
        // the wrong patient is never overridable: that dose belongs to someone else
        if (!input.override || rights.failed.includes('patient')) {
          throw new RuleViolationError(
            `five rights failed: ${rights.rights
              .filter((r) => !r.pass)
              .map((r) => `${r.right} (${r.reason})`)
              .join('; ')}`,
            rights.failed.includes('patient') ? 'wrong_patient' : 'five_rights_failed',
            { failed: rights.failed },
          );
        }
      }
      let witness: string | null = null;
      if (input.outcome === 'given') {
        const w = input.witnessToken ? await this.auth.verify(input.witnessToken).catch(() => null) : null;
        assertWitness({
          medication: med,
          action: 'administration',
          actor: { userId: user.username },
          ...(w ? { witness: { userId: w.username, authenticated: true } } : {}),
        });
        witness = w?.username ?? null;
      }
      const flagged = !rights.ok && input.outcome === 'given' ? { reason: input.override!.reason, rights: [...rights.failed] } : null;
      const saved = await this.transitions.run(async (w) => {
        const tx = w.tx;
        const fresh = (await tx.dose(dose.id))!;
        const to = input.outcome === 'given' ? 'administered' : input.outcome;
        fresh.custodian = patient.id;
        await w.moveDose(fresh, to, {
          action: to,
          actor: userActor(user),
          // a given dose ends at the bedside; one held or refused stays where it was kept
          location: to === 'administered' ? locationKey.bedside(patient.id) : fresh.location,
          ward: patient.ward,
          evidence: {
            patientId: patient.id,
            wristband: wrist.gsrnRecipient,
            barcode: { gtin: scan.gtin, serial: scan.serial ?? null, lot: scan.lot ?? null },
            rights: rights.rights,
            ...(input.reason ? { reason: input.reason } : {}),
            ...(flagged ? { override: flagged } : {}),
            ...(witness ? { witness } : {}),
          },
        });
        let s: AdministrationSlotEntity | null = fresh.slotId ? await tx.slot(fresh.slotId) : null;
        if (s) {
          if (s.state === 'scheduled') s.state = 'due';
          if (s.state === 'held' || s.state === 'refused' || s.state === 'due') {
            assertTransition(administrationMachine, s.state, 'verifying');
            s.state = 'verifying';
          }
          assertTransition(administrationMachine, s.state, input.outcome);
          s.state = input.outcome;
          s.reason = input.reason ?? null;
          s.recordedBy = user.username;
          s.recordedAt = new Date();
          s.override = flagged;
          s = await tx.save(s);
        }
        return { dose: fresh, slot: s };
      });
      return { dose: doseView(saved.dose), slot: saved.slot ? slotView(saved.slot) : null, rights: rights.rights, flaggedForReview: !!flagged };
    } catch (err) {
      if (err instanceof DomainError && err.kind !== 'unavailable') await audit(err.code, { message: err.message });
      throw err;
    }
  }

  /**
   * A quarantined dose is never given: the refusal names why (a cold-chain excursion or time
   * out of refrigeration, else another quarantine), so the nurse knows to call the pharmacy.
   */
  private async refuseQuarantined(doseId: string): Promise<never> {
    const events = await this.repo.eventsOfDose(doseId);
    const q = [...events].reverse().find((e) => e.toState === 'quarantined' && e.fromState !== 'quarantined');
    const reason = typeof q?.evidence?.['reason'] === 'string' ? (q.evidence['reason'] as string) : 'quarantine';
    const coldChain = q?.evidence?.['excursionId'] !== undefined || q?.evidence?.['minutesOutOfRefrigeration'] !== undefined;
    throw new RuleViolationError(
      `this dose is quarantined (${reason}) and may not be given until a pharmacist releases it`,
      coldChain ? 'cold_chain_quarantine' : 'dose_quarantined',
      { field: 'dose', doseId, reason, ...(q?.evidence?.['excursionId'] ? { excursionId: q.evidence['excursionId'] } : {}) },
    );
  }

  /**
   * A refrigerated dose past its allowance of time out of the cold is quarantined on the spot
   * (that is a fact about the unit, whatever the nurse does next) and not given.
   */
  private async assertColdChainAllowance(dose: DoseEntity, med: MedicationEntity): Promise<void> {
    const allowance = DoseLocationsService.allowanceMinutes(med);
    if (allowance === null) return;
    const now = new Date();
    const out = doseMinutesOutOfRefrigeration(await this.repo.eventsOfDose(dose.id), now);
    if (out <= allowance) return;
    const minutes = Math.round(out * 10) / 10;
    const patient = await this.repo.patient(dose.patientId);
    await this.transitions.run(async (w) => {
      const fresh = await w.tx.dose(dose.id);
      if (!fresh || !canTransition(doseMachine, fresh.state, 'quarantined')) return null;
      return w.moveDose(fresh, 'quarantined', {
        action: 'quarantined',
        actor: { type: 'system', id: 'cold-chain' },
        location: fresh.location,
        ward: patient?.ward ?? null,
        evidence: { reason: 'time out of refrigeration exceeded', minutesOutOfRefrigeration: minutes, allowanceMinutes: allowance },
      });
    });
    throw new RuleViolationError(
      `this refrigerated dose has been out of the cold for ${minutes} min, more than the ${allowance} min allowed for ${med.name}: quarantined for a pharmacist's review`,
      'cold_chain_time_out_exceeded',
      { field: 'dose', doseId: dose.id, minutesOutOfRefrigeration: minutes, allowanceMinutes: allowance },
    );
  }

  /** Overrides waiting for a ward pharmacist. */
  async overrides() {
    return (await this.repo.slotsWithOverrides()).map(slotView);
  }

  private async slotOf(id: string): Promise<AdministrationSlotEntity | null> {
    return this.repo.transaction((tx) => tx.slot(id));
  }
}
