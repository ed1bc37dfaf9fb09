/**
 * Bedside administration: the nurse scans the patient's wristband and the dose; the five
 * rights (patient, drug, dose, route, time window), the expiry and, for high-alert drugs, a
 * witness decide. A failed right blocks the dose unless the nurse overrides with a reason, in
 * which case it is flagged for ward-pharmacist review (OverrideReviewService). The dose and
 * route rights compare what the nurse records as given (`given: {amount, unit, route}`) with
 * the order; a part of the unit not given is recorded as wasted (`wasted`), witnessed for a
 * controlled or high-alert drug, and given + wasted must account for the unit. Held and
 * refused need a reason. Every refusal is audited.
 */
import { Inject, Injectable } from '@nestjs/common';
import {
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
  accountForUnit,
  parseGs1Barcode,
  placeOrPharmacy,
  type FiveRightsResult,
} from '#domain';
import {
  type AdministeredRecord,
  type AdministrationSlotEntity,
  CustodyRepository,
  type DoseEntity,
  type MedicationEntity,
  type PatientEntity,
} from '#persistence';
import type { z } from 'zod';
import type { AuthUser } from '../common/auth.decorators.js';
import { type VerifiedWitness, WitnessVerifier, witnessEvidence, witnessSignature } from '../auth/witness-verifier.service.js';
import type { WitnessCredentials } from '../auth/witness.dto.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { assertWardAccess, userActor } from './access.js';
import type { AdministrationSchema } from './custody.dto.js';
import { CustodyTransitions } from './custody-transitions.js';
import { doseView, slotView } from './custody-views.js';
import { DoseLocationsService } from './dose-locations.service.js';
import { identificationEvidence } from './manual-entry.js';
import { isRecordedRefusal, type RefusalContext, Refusals } from './refusals.js';

type Input = z.infer<typeof AdministrationSchema>;

@Injectable()
export class BedsideService {
  constructor(
    private readonly repo: CustodyRepository,
    private readonly transitions: CustodyTransitions,
    private readonly witnesses: WitnessVerifier,
    private readonly refusals: Refusals,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * The witness of a two-person act at the bedside (a high-alert administration, the waste of a
   * controlled drug), verified from the credentials presented in the same request: a nurse of
   * the patient's ward or a pharmacist, not the actor, throttled like a sign-in. Null when none
   * was presented; assertWitness then decides whether one was needed (`witness_required`).
   * Throws the specific `witness_*` refusal otherwise (see WitnessVerifier.verify).
   */
  async witnessFor(
    action: 'administration' | 'waste',
    credentials: WitnessCredentials | undefined,
    patientWard: string,
    user: AuthUser,
    address?: string,
  ): Promise<VerifiedWitness | null> {
    if (!credentials) return null;
    return this.witnesses.verify(credentials, { action, actor: user, ward: patientWard, address });
  }

  async administer(input: Input, user: AuthUser, address?: string) {
    if (user.role !== 'nurse' && user.role !== 'admin') throw new ForbiddenError('only nurses record administrations', 'role_forbidden');
    // the patient and the dose are scanned, or chosen from the ward's patients and the patient's
    // doses (`manual`, with a reason): everything after the identification is the same
    const manual = input.manual;
    const manualFields = [...(manual?.patientId ? ['wristband'] : []), ...(manual?.doseId ? ['dose'] : [])];
    const patientField = manual?.patientId ? 'manual.patientId' : 'wristband';
    const doseField = manual?.doseId ? 'manual.doseId' : 'dose';
    let patient: PatientEntity | null;
    let wristGsrn: string | null;
    if (manual?.patientId) {
      patient = await this.repo.patient(manual.patientId);
      wristGsrn = patient?.wristbandGsrn ?? null;
    } else {
      const wrist = parseGs1Barcode(input.wristband ?? '');
      if (!wrist.gsrnRecipient) throw new ValidationError('wristband: not a patient wristband (no GS1 AI 8018)', 'wristband');
      wristGsrn = wrist.gsrnRecipient;
      patient = await this.repo.patientByWristband(wrist.gsrnRecipient);
    }
    let scan: { gtin: string; serial?: string | undefined; lot?: string | undefined };
    let candidates: DoseEntity[];
    if (manual?.doseId) {
      // the chosen dose stands for a scan of its unit: the GS1 data recorded when it was picked
      const chosen = await this.repo.dose(manual.doseId);
      candidates = chosen ? [chosen] : [];
      scan = { gtin: chosen?.gtin ?? '', serial: chosen?.serial ?? undefined, lot: chosen?.lot ?? undefined };
    } else {
      const parsed = parseGs1Barcode(input.dose ?? '');
      if (!parsed.gtin) throw new ValidationError('dose: no GTIN (AI 01) in the scanned code', 'dose');
      scan = { gtin: parsed.gtin, serial: parsed.serial, lot: parsed.lot };
      candidates = await this.repo.dosesByUnit(parsed.gtin, parsed.serial, parsed.lot);
    }
    // prefer the scanned patient's own dose; otherwise the unit belongs to someone else
    const dose =
      candidates.find((d) => d.patientId === patient?.id && ['received', 'held'].includes(d.state)) ??
      candidates.find((d) => ['received', 'held'].includes(d.state));
    // what a refusal concerned: the dose scanned (the patient's own unit first, then any unit
    // the code names, so a quarantined or someone else's dose is found by its id too)
    const refusal = (): RefusalContext => {
      const unit = dose ?? candidates.find((d) => d.patientId === patient?.id) ?? candidates[0];
      return {
        act: 'administration',
        actor: userActor(user),
        // where the refusal happened: the dose's own place if known, else the patient's ward
        location: unit ? placeOrPharmacy(unit.location) : patient ? locationKey.ward(patient.ward) : locationKey.pharmacy(),
        ward: patient?.ward ?? null,
        doseId: unit?.id ?? null,
        orderId: unit?.orderId ?? null,
        deliveryId: unit?.deliveryId ?? null,
        evidence: {
          patientId: patient?.id ?? null,
          wristband: wristGsrn,
          gtin: scan.gtin || null,
          serial: scan.serial ?? null,
          lot: scan.lot ?? null,
          outcome: input.outcome,
          ...identificationEvidence(manual, manualFields),
        },
      };
    };
    try {
      if (!patient) throw new RuleViolationError('wristband not recognised: no admitted patient wears it', 'unknown_wristband', { field: patientField });
      assertWardAccess(user, patient.ward);
      if (!dose) {
        const held = candidates.find((d) => d.patientId === patient.id && d.state === 'quarantined') ?? candidates.find((d) => d.state === 'quarantined');
        if (held) await this.refuseQuarantined(held.id);
        throw new RuleViolationError('this unit is not a dose received on the ward (scan it on receipt first)', 'dose_not_received', { field: doseField });
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
        scannedPatient: { wristband: wristGsrn ?? patient.wristbandGsrn, patientId: patient.id },
        // what the nurse records as given; a held or refused dose gave nothing, so the order stands in (those rights are not enforced)
        scannedDose: input.given
          ? { gtin: scan.gtin, amount: input.given.amount, unit: input.given.unit, route: input.given.route }
          : { gtin: scan.gtin, amount: order.dose.amount, unit: order.dose.unit, route: order.route },
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
        doseTolerance: this.config.custody.doseTolerance,
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
            // the failed rights, and what was ordered against what was given (not for another patient's order)
            rights.failed.includes('patient')
              ? { failed: rights.failed }
              : { failed: rights.failed, ordered: { ...order.dose, route: order.route }, ...(input.given ? { given: input.given } : {}) },
          );
        }
      }
      let witness: VerifiedWitness | null = null;
      if (input.outcome === 'given') {
        witness = await this.witnessFor('administration', input.witness, patient.ward, user, address);
        assertWitness({
          medication: med,
          action: 'administration',
          actor: { userId: user.username },
          ...(witness ? { witness: witnessSignature(witness) } : {}),
        });
      }
      // ---- what was given and wasted (kept apart from the witness block above): every part of
      // the unit is accounted for, and a controlled or high-alert drug's waste has its witness
      let administered: AdministeredRecord | null = null;
      if (input.outcome === 'given' && input.given) {
        const account = accountForUnit({
          given: input.given,
          wasted: input.wasted,
          strength: med.strength,
          ordered: order.dose,
          tolerance: this.config.custody.doseTolerance,
          controlled: med.controlled,
        });
        // a waste declared as 0 (nothing left) discards nothing: no witness for it — except for a
        // controlled unit of unknown content, where the declaration is the only account of the
        // rest of the unit, so a second person confirms it, 0 included
        const wasteWitnessed = !!input.wasted && (input.wasted.amount > 0 || (med.controlled && account.contentFrom !== 'strength'));
        if (wasteWitnessed) {
          assertWitness({
            medication: med,
            action: 'waste',
            actor: { userId: user.username },
            ...(witness ? { witness: witnessSignature(witness) } : {}),
          });
        }
        administered = {
          given: { amount: input.given.amount, unit: input.given.unit, route: input.given.route },
          wasted: input.wasted
            ? { amount: input.wasted.amount, unit: input.wasted.unit, witness: wasteWitnessed ? (witness?.user.username ?? null) : null }
            : null,
        };
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
          location: to === 'administered' ? locationKey.bedside(patient.id) : placeOrPharmacy(fresh.location),
          ward: patient.ward,
          evidence: {
            patientId: patient.id,
            wristband: wristGsrn,
            barcode: { gtin: scan.gtin, serial: scan.serial ?? null, lot: scan.lot ?? null },
            ...identificationEvidence(manual, manualFields),
            rights: rights.rights,
            ...(input.reason ? { reason: input.reason } : {}),
            ...(flagged ? { override: flagged } : {}),
            ...(administered ? { given: administered.given, ...(administered.wasted ? { wasted: administered.wasted } : {}) } : {}),
            ...(witness ? witnessEvidence(witness) : {}),
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
          s.administered = administered;
          // a new override waits for a pharmacist's review (OverrideReviewService)
          s.overrideStatus = flagged ? 'unreviewed' : null;
          s.reviewedBy = null;
          s.reviewedAt = null;
          s.reviewOutcome = null;
          s.reviewNote = null;
          s = await tx.save(s);
        }
        return { dose: fresh, slot: s };
      });
      if (flagged) this.metrics.bedsideOverrides.inc({ right: flagged.rights[0] ?? 'unknown' });
      if (manual)
        for (const f of manualFields) this.metrics.manualEntries.inc({ step: f === 'dose' ? 'bedside_dose' : 'bedside_patient', reason: manual.reason });
      return { dose: doseView(saved.dose), slot: saved.slot ? slotView(saved.slot) : null, rights: rights.rights, flaggedForReview: !!flagged };
    } catch (err) {
      if (isRecordedRefusal(err)) await this.refusals.record(refusal(), err);
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
        location: placeOrPharmacy(fresh.location),
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

  private async slotOf(id: string): Promise<AdministrationSlotEntity | null> {
    return this.repo.transaction((tx) => tx.slot(id));
  }
}
