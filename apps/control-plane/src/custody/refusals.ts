/**
 * Every refusal is a record: a custody-relevant act refused with a domain error (a wrong
 * drug at the pick, a check without its second pharmacist, a dispatch before verification, a
 * wrong dose at the bedside, a release the dose's state forbids, …) is written on the custody
 * chain as a refusal event — actor, act, reason code and message, the dose, order and delivery
 * ids it concerned, the place and the ward, and the error's plain details — before the error
 * is answered. The audit query (`GET /api/audit/events?outcome=refused`) finds it by any of
 * those ids. What is not a refusal is not recorded: a database outage (503) must leave the
 * request free to be retried, and a device that did not answer in time (504) has its own
 * record where it happens (`unlock_failed`).
 *
 * The refusal is written in its own custody transaction (the refused one rolled back); with an
 * Idempotency-Key the key is stored with it, so the retry answers the same refusal. If the
 * refusal cannot be written, the request still answers its refusal, and the miss is logged
 * and counted (`medloop_custody_refusals_total{recorded="false"}`).
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DomainError, locationKey, refusalAction, refusalDetails, type RefusableAct } from '#domain';
import { LOGGER } from '../common/logger.js';
import { type WardRefusal, WardRefusalRecorder } from '../common/ward-scope.guard.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { type Actor, CustodyLedger } from './custody-ledger.service.js';

/** What a refusal concerned, as known when it happened. Ids are set only for records that exist. */
export interface RefusalContext {
  act: RefusableAct;
  actor: Actor;
  location: string;
  ward?: string | null;
  doseId?: string | null;
  orderId?: string | null;
  deliveryId?: string | null;
  /** what the request named (ids not found, a scanned code, …) and anything else worth keeping */
  evidence?: Record<string, unknown>;
}

/** Errors that are answers about the act, not about the system: these are the refusals recorded. */
export const isRecordedRefusal = (err: unknown): err is DomainError =>
  err instanceof DomainError && err.kind !== 'unavailable' && err.kind !== 'device_timeout' && err.kind !== 'not_found';

/** Which act a write route performs, by the end of its template; anything else is an `access` refusal. */
const ACT_OF_ROUTE: readonly [RegExp, RefusableAct][] = [
  [/\/deliveries\/:id\/picks$/, 'pick'],
  [/\/deliveries\/:id\/check$/, 'check'],
  [/\/deliveries\/:id\/load$/, 'load'],
  [/\/deliveries\/:id\/dispatch$/, 'dispatch'],
  [/\/deliveries\/:id\/escalate$/, 'courier_handoff'],
  [/\/deliveries\/:id\/unlock$/, 'unlock'],
  [/\/deliveries\/:id\/receipt(\/complete)?$/, 'receipt'],
  [/\/orders\/:id\/verify$/, 'verification'],
  [/\/doses\/:id\/release$/, 'release'],
  [/\/doses\/:id\/destroy$/, 'destroy'],
  [/\/doses\/:id\/return$/, 'return'],
  [/\/administrations\/:id\/review$/, 'override_review'],
  [/\/pockets\/:pocketId\/remove$/, 'cabinet_removal'],
  [/\/pockets\/:pocketId\/waste$/, 'cabinet_waste'],
];

export function actOfRoute(route: string): RefusableAct {
  return ACT_OF_ROUTE.find(([re]) => re.test(route))?.[1] ?? 'access';
}

@Injectable()
export class Refusals implements WardRefusalRecorder {
  constructor(
    private readonly ledger: CustodyLedger,
    private readonly metrics: MetricsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Runs `work`; when it throws a refusal, records it with the context `describe` gives (read
   * after the failure, so it can say what the request concerned as far as it exists), then
   * rethrows the original error.
   */
  async guard<T>(describe: () => RefusalContext | Promise<RefusalContext>, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (isRecordedRefusal(err)) await this.record(await this.safely(describe), err);
      throw err;
    }
  }

  /** Writes one refusal event on the chain; never throws (the refusal itself is what is answered). */
  async record(ctx: RefusalContext | null, err: DomainError): Promise<void> {
    if (!ctx) return;
    try {
      await this.ledger.run(async (_tx, record) => {
        record({
          action: refusalAction(ctx.act),
          doseId: ctx.doseId ?? null,
          orderId: ctx.orderId ?? null,
          deliveryId: ctx.deliveryId ?? null,
          actor: ctx.actor,
          location: ctx.location,
          ward: ctx.ward ?? null,
          evidence: { ...(ctx.evidence ?? {}), code: err.code, message: err.message.slice(0, 500), ...detailsOf(err) },
        });
      });
      this.metrics.custodyRefusals.inc({ act: ctx.act, code: err.code, recorded: 'true' });
    } catch (writeErr) {
      this.metrics.custodyRefusals.inc({ act: ctx.act, code: err.code, recorded: 'false' });
      this.logger.error({ act: ctx.act, code: err.code, err: writeErr }, 'a refusal could not be written on the custody chain');
    }
  }

  /** A write refused by the ward-scope guard (another ward's delivery, dose, order, cabinet …). */
  async recordWardRefusal(r: WardRefusal, err: DomainError): Promise<void> {
    const column = r.resource === 'dose' ? 'doseId' : r.resource === 'delivery' ? 'deliveryId' : r.resource === 'order' ? 'orderId' : null;
    await this.record(
      {
        act: actOfRoute(r.route),
        actor: { type: 'user', id: r.user.username, role: r.user.role },
        location: r.ward ? locationKey.ward(r.ward) : locationKey.pharmacy(),
        ward: r.ward,
        ...(column ? { [column]: r.id } : {}),
        evidence: { method: r.method, route: r.route, resource: r.resource, ...(column ? {} : { resourceId: r.id }) },
      },
      err,
    );
  }

  private async safely(describe: () => RefusalContext | Promise<RefusalContext>): Promise<RefusalContext | null> {
    try {
      return await describe();
    } catch (err) {
      this.logger.error({ err }, 'the context of a refusal could not be read; it is not recorded');
      return null;
    }
  }
}

function detailsOf(err: DomainError): Record<string, unknown> {
  const d = refusalDetails(err.details);
  return Object.keys(d).length ? { details: d } : {};
}
