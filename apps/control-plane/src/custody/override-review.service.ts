/**
 * Review of bedside overrides: a dose given despite a failed right (BedsideService flags it)
 * waits for a pharmacist, who records an outcome and a note. The review is a custody event
 * (`override_reviewed`) on the dose's hash chain, written in the transaction that saves it on
 * the administration slot; a second review is refused. An override left unreviewed longer
 * than OVERRIDE_REVIEW_AFTER_MS raises `custody.override_unreviewed` for the patient's ward
 * (checked at boot and on the custody timer), cleared by the review. Overrides recorded before
 * override review existed are `legacy_unreviewed` (its migration): listed as unreviewed and
 * reviewable alike, but never alarmed — one alarm per historical override at the first boot
 * would flood the nurse stations. The reviewer is independent of the override: neither the one
 * who recorded it nor its witness (`review_not_independent`).
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { OverridesPage, OverrideToReview } from '#contracts';
import { ConflictError, NotFoundError, RuleViolationError, locationKey, wardsInScope } from '#domain';
import { type AdministrationSlotEntity, CustodyRepository } from '#persistence';
import { slotContexts } from './slot-context.js';
import type { z } from 'zod';
import { AlarmsService } from '../alarms/alarms.service.js';
import type { AuthUser } from '../common/auth.decorators.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { userActor } from './access.js';
import { CustodyLedger } from './custody-ledger.service.js';
import type { OverrideReviewSchema, OverridesQuerySchema } from './custody.dto.js';
import { Refusals } from './refusals.js';
import { iso, overrideReviewView, slotView } from './custody-views.js';

export const OVERRIDE_UNREVIEWED_ALARM = 'custody.override_unreviewed';

type ReviewInput = z.infer<typeof OverrideReviewSchema>;
type ListQuery = z.infer<typeof OverridesQuerySchema>;

@Injectable()
export class OverrideReviewService implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly repo: CustodyRepository,
    private readonly ledger: CustodyLedger,
    private readonly alarms: AlarmsService,
    private readonly metrics: MetricsService,
    private readonly refusals: Refusals,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.custody.overrideReviewAfterMs === null) return;
    const check = () => void this.tick(Date.now()).catch((err: unknown) => this.logger.error({ err }, 'overdue override reviews'));
    // at boot too: overrides that became overdue while the server was down alarm at once
    check();
    this.timer = setInterval(check, this.config.custody.tickMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Raises the alarm for every override unreviewed for longer than the configured interval (once per override). */
  async tick(now: number): Promise<void> {
    const after = this.config.custody.overrideReviewAfterMs;
    if (after === null) return;
    const overdue = await this.repo.overridesUnreviewedSince(new Date(now - after));
    this.metrics.overridesOverdue.set(overdue.length);
    for (const s of overdue) {
      if (this.alarms.isOpen(`${OVERRIDE_UNREVIEWED_ALARM}:${s.id}`)) continue;
      const [entry] = await this.entries([s]);
      await this.alarms.raise({
        type: OVERRIDE_UNREVIEWED_ALARM,
        subject: s.id,
        ward: entry?.ward ?? null,
        sourceKind: 'administration_slot',
        sourceId: s.id,
        params: {
          slotId: s.id,
          doseId: s.doseId,
          patientId: s.patientId,
          bed: entry?.patient?.bed ?? null,
          drug: entry?.drug?.name ?? 'a medication',
          rights: s.override?.rights ?? [],
          overriddenBy: s.recordedBy,
          recordedAt: iso(s.recordedAt) ?? new Date(now).toISOString(),
          minutes: s.recordedAt ? Math.round((now - s.recordedAt.getTime()) / 60_000) : 0,
        },
      });
    }
  }

  /** Overrides, newest first, with what a reviewer needs to judge them; `total` counts every match. */
  async list(q: ListQuery, user: AuthUser): Promise<OverridesPage> {
    const page = await this.repo.slotsWithOverrides({
      reviewed: q.reviewed === undefined ? undefined : q.reviewed === 'true',
      // the ward-scope rule, in SQL: a ward-bound caller sees her wards' overrides only
      wards: wardsInScope(user),
      limit: q.limit,
      offset: q.offset,
    });
    return { total: page.total, limit: q.limit, offset: q.offset, items: await this.entries(page.items) };
  }

  /**
   * Records a pharmacist's review of one override. 404 for an unknown slot, 422 `no_override`
   * for a slot given without one, 409 `override_already_reviewed` for a second review, 422
   * `review_not_independent` when the reviewer took part in the override (recorded it, or
   * co-signed it as the witness).
   */
  async review(slotId: string, input: ReviewInput, user: AuthUser) {
    return this.refusals.guard(
      async () => {
        // a refused review (nothing to review, already reviewed) is on the record too
        const s = await this.repo.slot(slotId);
        const patient = s ? await this.repo.patient(s.patientId) : null;
        return {
          act: 'override_review',
          actor: userActor(user),
          location: patient ? locationKey.ward(patient.ward) : locationKey.pharmacy(),
          ward: patient?.ward ?? null,
          doseId: s?.doseId ?? null,
          orderId: s?.orderId ?? null,
          evidence: { slotId, outcome: input.outcome },
        };
      },
      () => this.recordReview(slotId, input, user),
    );
  }

  private async recordReview(slotId: string, input: ReviewInput, user: AuthUser) {
    // who co-signed the administration, from its custody events (append-only: read before the transaction)
    const before = await this.repo.slot(slotId);
    const witnesses = before?.doseId ? await this.administrationWitnesses(before.doseId) : [];
    const saved = await this.ledger.run(async (tx, record) => {
      const s = await tx.slot(slotId);
      if (!s) throw new NotFoundError('Administration slot', slotId);
      if (!s.override || s.overrideStatus === null) {
        throw new RuleViolationError('this administration was recorded without an override: there is nothing to review', 'no_override', { slotId });
      }
      if (s.overrideStatus === 'reviewed') {
        throw new ConflictError(`this override was already reviewed by ${s.reviewedBy ?? 'someone'}`, 'override_already_reviewed', {
          slotId,
          review: overrideReviewView(s),
        });
      }
      // the review is a second person's judgement of the override: not of the nurse who made it
      // (a user whose role changed since), nor of the witness who co-signed it
      const part = s.recordedBy === user.username ? 'recorded' : witnesses.includes(user.username) ? 'witnessed' : null;
      if (part) {
        throw new RuleViolationError(`${user.username} ${part} this override and cannot review it: another pharmacist must`, 'review_not_independent', {
          slotId,
          reviewer: user.username,
          part,
        });
      }
      const patient = await tx.patient(s.patientId);
      const at = new Date();
      s.overrideStatus = 'reviewed';
      s.reviewedBy = user.username;
      s.reviewedAt = at;
      s.reviewOutcome = input.outcome;
      s.reviewNote = input.note;
      record({
        action: 'override_reviewed',
        doseId: s.doseId,
        orderId: s.orderId,
        actor: userActor(user),
        // the review concerns a dose given on the patient's ward (the reviewer's desk is not known)
        location: patient ? locationKey.ward(patient.ward) : locationKey.pharmacy(),
        ward: patient?.ward ?? null,
        evidence: {
          slotId: s.id,
          outcome: input.outcome,
          note: input.note,
          override: s.override,
          overriddenBy: s.recordedBy,
          overriddenAt: iso(s.recordedAt),
        },
      });
      return tx.save(s);
    });
    this.metrics.overrideReviews.inc({ outcome: input.outcome });
    await this.alarms.clear(`${OVERRIDE_UNREVIEWED_ALARM}:${saved.id}`, `override reviewed (${input.outcome}) by ${user.username}`);
    return slotView(saved);
  }

  /** The witnesses named on a dose's administration (and on its waste). */
  private async administrationWitnesses(doseId: string): Promise<string[]> {
    const named = (await this.repo.eventsOfDose(doseId))
      .filter((e) => e.action === 'administered')
      .flatMap((e) => {
        const wasted = e.evidence?.['wasted'] as { witness?: unknown } | undefined;
        return [e.evidence?.['witness'], wasted?.witness];
      });
    return named.filter((w): w is string => typeof w === 'string');
  }

  /** Slots joined with their dose's drug, the patient and the order, in a few queries per page. */
  private async entries(slots: AdministrationSlotEntity[]): Promise<OverrideToReview[]> {
    const contextOf = await slotContexts(this.repo, slots);
    return slots.map((s) => {
      const { patient: p, order: o, medication: m } = contextOf(s);
      return {
        id: s.id,
        doseId: s.doseId,
        orderId: s.orderId,
        drug: m ? { medicationId: m.id, name: m.name, strength: m.strength } : null,
        patient: p ? { id: p.id, name: p.name, mrn: p.mrn, bed: p.bed } : null,
        ward: p?.ward ?? null,
        failed: s.override?.rights ?? [],
        reason: s.override?.reason ?? '',
        overriddenBy: s.recordedBy,
        overriddenAt: iso(s.recordedAt),
        ordered: o ? { amount: o.dose.amount, unit: o.dose.unit, route: o.route } : null,
        administered: s.administered,
        review: overrideReviewView(s),
      };
    });
  }
}
