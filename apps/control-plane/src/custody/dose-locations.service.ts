/**
 * Where doses are and were: the interval history of one dose (libs/domain dose-location,
 * read from its custody events), the doses that stayed at a place during a window, the time
 * a refrigerated dose has spent out of the cold, and the pharmacist's review of a quarantined
 * dose (release with a reason, or destruction), each on the custody record.
 */
import { Injectable } from '@nestjs/common';
import {
  ConflictError,
  DEFAULT_TIME_OUT_OF_REFRIGERATION_MINUTES,
  NotFoundError,
  RuleViolationError,
  locationHistory,
  locationKey,
  placeOrPharmacy,
  doseMinutesOutOfRefrigeration,
  parseLocation,
  seesEveryWard,
  wasAt,
  type LocationInterval,
} from '#domain';
import { CustodyRepository, type DoseEntity, type MedicationEntity } from '#persistence';
import type { AuthUser } from '../common/auth.decorators.js';
import { assertWardAccess, canActOnWard, userActor } from './access.js';
import { CustodyTransitions } from './custody-transitions.js';
import { doseView } from './custody-views.js';
import { type RefusalContext, Refusals } from './refusals.js';
import { StorageDirectory } from './storages.js';

/** One stay as the API answers it. */
export interface LocationIntervalView {
  location: string;
  kind: string;
  id: string | null;
  from: string | null;
  to: string | null;
  refrigerated: boolean;
  seq: number | null;
  action: string;
}

const intervalView = (i: LocationInterval): LocationIntervalView => ({
  location: i.location.key,
  kind: i.location.kind,
  id: i.location.id,
  from: i.from,
  to: i.to,
  refrigerated: i.refrigerated,
  seq: i.seq,
  action: i.action,
});

/** States of a dose out of the pharmacy, not given, that can be handed back (the dose machine allows `returned` from each). */
const RETURNABLE = new Set(['received', 'held', 'refused', 'escalated_manual', 'receipt_discrepancy', 'recalled_returning']);

/** Places a released dose can be back in use from: on the ward; in the pharmacy it is taken back into stock. */
const ON_THE_WARD = new Set(['ward', 'storage', 'cabinet', 'bedside']);

@Injectable()
export class DoseLocationsService {
  constructor(
    private readonly repo: CustodyRepository,
    private readonly transitions: CustodyTransitions,
    private readonly storages: StorageDirectory,
    private readonly refusals: Refusals,
  ) {}

  /** The interval history of a dose, from its own custody events. */
  async history(doseId: string): Promise<LocationInterval[]> {
    return locationHistory(await this.repo.eventsOfDose(doseId));
  }

  /** The allowance of time out of refrigeration of a medication, in minutes; null when it need not be kept cold. */
  static allowanceMinutes(med: Pick<MedicationEntity, 'refrigerated' | 'torAllowanceMinutes'>): number | null {
    if (!med.refrigerated) return null;
    return med.torAllowanceMinutes ?? DEFAULT_TIME_OUT_OF_REFRIGERATION_MINUTES;
  }

  /** GET /api/doses/:id/locations — where the dose has been, and where it is. A nurse reads only her wards' doses. */
  async locations(doseId: string, user: AuthUser) {
    const dose = await this.dose(doseId);
    const patient = await this.repo.patient(dose.patientId);
    if (patient) assertWardAccess(user, patient.ward);
    const med = await this.repo.medication(dose.medicationId);
    const events = await this.repo.eventsOfDose(doseId);
    const history = locationHistory(events);
    const allowance = med ? DoseLocationsService.allowanceMinutes(med) : null;
    const now = new Date();
    return {
      dose: doseView(dose),
      current: history.length && history[history.length - 1]!.to === null ? intervalView(history[history.length - 1]!) : null,
      intervals: history.map(intervalView),
      coldChain:
        allowance === null
          ? null
          : { allowanceMinutes: allowance, minutesOutOfRefrigeration: Math.round(doseMinutesOutOfRefrigeration(events, now) * 10_000) / 10_000 },
    };
  }

  /**
   * The doses that stayed at `location` (a key, or a prefix ending in `:` or `/`: `robot:R1:`
   * is every compartment of R1) at some instant of [from, to]; `to` absent: up to now.
   * Nurses see the doses of their wards only.
   */
  async dosesAt(location: string, from: Date, to: Date | null, user?: AuthUser) {
    const doses: { dose: ReturnType<typeof doseView>; intervals: LocationIntervalView[] }[] = [];
    for (const doseId of await this.doseIdsAt(location)) {
      const history = await this.history(doseId);
      const end = to ? to.getTime() : Number.POSITIVE_INFINITY;
      if (!wasAt(history, location, from.getTime(), end)) continue;
      const dose = await this.repo.dose(doseId);
      if (!dose) continue;
      if (user && !seesEveryWard(user)) {
        const patient = await this.repo.patient(dose.patientId);
        if (!patient || !canActOnWard(user, patient.ward)) continue;
      }
      const here = history.filter((i) => i.location.key === location || (/[:/]$/.test(location) && i.location.key.startsWith(location)));
      doses.push({ dose: doseView(dose), intervals: here.map(intervalView) });
    }
    return { location, from: from.toISOString(), to: to ? to.toISOString() : null, doses };
  }

  /** Ids of every dose with an event at `location` (exactly, or under it for a prefix ending in `:` or `/`). */
  async doseIdsAt(location: string): Promise<string[]> {
    const prefix = /[:/]$/.test(location);
    const ids = new Set<string>();
    for (const e of await this.repo.eventsAtLocation(location)) {
      // storage:F1 is not storage:F10
      if (e.doseId && (prefix || parseLocation(e.location)?.key === location)) ids.add(e.doseId);
    }
    return [...ids];
  }

  /**
   * A pharmacist releases a quarantined dose with a reason (a sensor fault, a stability check
   * that allows the exposure): back into use on the ward where it is, or back into the
   * pharmacy's stock. A dose still aboard a robot or with a courier is released once it has
   * been taken out on the ward or back at the pharmacy.
   */
  async release(doseId: string, reason: string, user: AuthUser) {
    return this.refusals.guard(
      () => this.refusalAt('release', doseId, reason, user),
      () => this.releaseDose(doseId, reason, user),
    );
  }

  /** What a refused release, return or destruction concerned: the dose where it is. */
  private async refusalAt(act: 'release' | 'return' | 'destroy', doseId: string, reason: string, user: AuthUser): Promise<RefusalContext> {
    const dose = await this.repo.dose(doseId);
    const patient = dose ? await this.repo.patient(dose.patientId) : null;
    return {
      act,
      actor: userActor(user),
      location: placeOrPharmacy(dose?.location),
      ward: patient?.ward ?? null,
      doseId: dose?.id ?? null,
      orderId: dose?.orderId ?? null,
      deliveryId: dose?.deliveryId ?? null,
      evidence: { reason, ...(dose ? { doseState: dose.state } : { doseId }) },
    };
  }

  private async releaseDose(doseId: string, reason: string, user: AuthUser) {
    const saved = await this.transitions.run(async (w) => {
      const dose = await this.quarantined(await w.tx.dose(doseId), doseId);
      const place = parseLocation(dose.location);
      this.storages.assertNotInQuarantinedStorage(dose.location, 'id');
      const evidence = { reason, quarantine: await this.lastQuarantine(doseId) };
      if (place && ON_THE_WARD.has(place.kind)) {
        const patient = await w.tx.patient(dose.patientId);
        return w.moveDose(dose, 'received', {
          action: 'quarantine_released',
          actor: userActor(user),
          location: placeOrPharmacy(dose.location),
          ward: patient?.ward ?? null,
          evidence,
        });
      }
      if (place?.kind === 'pharmacy') {
        return w.moveDose(dose, 'returned', {
          action: 'quarantine_released',
          actor: userActor(user),
          location: locationKey.pharmacy(),
          ward: null,
          evidence: { ...evidence, returnedToStock: true },
        });
      }
      throw new ConflictError(
        `dose ${doseId} is at ${dose.location ?? 'an unknown place'}; release it once it is taken out on the ward or back in the pharmacy`,
        'dose_not_in_hand',
        { location: dose.location },
      );
    });
    return doseView(saved);
  }

  /**
   * An unused dose comes back to the pharmacy (from the ward, from a courier, off a robot that
   * was recalled): the pharmacist who takes it back records it, and its location is the
   * pharmacy again. A quarantined dose comes back through `release` (into stock) instead.
   */
  async returnToPharmacy(doseId: string, reason: string, user: AuthUser) {
    return this.refusals.guard(
      () => this.refusalAt('return', doseId, reason, user),
      () => this.returnDose(doseId, reason, user),
    );
  }

  private async returnDose(doseId: string, reason: string, user: AuthUser) {
    const saved = await this.transitions.run(async (w) => {
      const dose = await w.tx.dose(doseId);
      if (!dose) throw new NotFoundError('Dose', doseId);
      if (!RETURNABLE.has(dose.state))
        throw new RuleViolationError(`dose ${doseId} is ${dose.state}; only a dose out of the pharmacy and not given comes back`, 'dose_not_returnable', {
          state: dose.state,
        });
      const patient = await w.tx.patient(dose.patientId);
      dose.custodian = 'pharmacy';
      return w.moveDose(dose, 'returned', {
        action: 'returned',
        actor: userActor(user),
        location: locationKey.pharmacy(),
        ward: patient?.ward ?? null,
        evidence: { reason, from: dose.location },
      });
    });
    return doseView(saved);
  }

  /** A pharmacist destroys a quarantined dose, with the reason, where it is. */
  async destroy(doseId: string, reason: string, user: AuthUser) {
    return this.refusals.guard(
      () => this.refusalAt('destroy', doseId, reason, user),
      () => this.destroyDose(doseId, reason, user),
    );
  }

  private async destroyDose(doseId: string, reason: string, user: AuthUser) {
    const saved = await this.transitions.run(async (w) => {
      const dose = await this.quarantined(await w.tx.dose(doseId), doseId);
      const patient = await w.tx.patient(dose.patientId);
      return w.moveDose(dose, 'wasted', {
        action: 'quarantine_destroyed',
        actor: userActor(user),
        location: placeOrPharmacy(dose.location),
        ward: patient?.ward ?? null,
        evidence: { reason, quarantine: await this.lastQuarantine(doseId) },
      });
    });
    return doseView(saved);
  }

  private async quarantined(dose: DoseEntity | null, doseId: string): Promise<DoseEntity> {
    if (!dose) throw new NotFoundError('Dose', doseId);
    if (dose.state !== 'quarantined')
      throw new RuleViolationError(`dose ${doseId} is ${dose.state}, not quarantined`, 'dose_not_quarantined', { state: dose.state });
    return dose;
  }

  /** What quarantined the dose (the latest quarantine event's evidence), for the review's record. */
  private async lastQuarantine(doseId: string): Promise<Record<string, unknown> | null> {
    const events = await this.repo.eventsOfDose(doseId);
    const q = [...events].reverse().find((e) => e.toState === 'quarantined' && e.fromState !== 'quarantined');
    return q ? { seq: q.seq, at: q.at.toISOString(), reason: q.evidence?.['reason'] ?? null, excursionId: q.evidence?.['excursionId'] ?? null } : null;
  }

  private async dose(doseId: string): Promise<DoseEntity> {
    const dose = await this.repo.dose(doseId);
    if (!dose) throw new NotFoundError('Dose', doseId);
    return dose;
  }
}
