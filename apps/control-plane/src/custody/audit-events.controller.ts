/**
 * The safety officer's audit query: every custody event — accepted acts and refusals alike —
 * filtered by action, outcome, actor, ward, dose, order, delivery and time, newest first, a
 * page at a time. A refusal is an event whose action the domain names a refusal
 * (libs/domain audit/refusals.ts); each carries its reason code.
 */
import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { isRefusalAction, REFUSAL_ACTION_NAMES } from '#domain';
import { CustodyRepository, type CustodyEventEntity } from '#persistence';
import { Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { ZodPipe } from '../common/zod.pipe.js';

const uuid = (what: string) => z.uuid({ message: `${what} must be a UUID` });
const instant = (what: string) => z.iso.datetime({ offset: true, message: `${what} must be an ISO 8601 instant` }).transform((v) => new Date(v));

export const AuditEventsQuery = z
  .strictObject({
    /** one action or several, comma-separated (`pick_refused,administration_blocked`) */
    action: z
      .string()
      .regex(/^[a-z_]{1,48}(,[a-z_]{1,48}){0,19}$/, 'action: one or more action names (a-z and _), comma-separated')
      .transform((v) => v.split(','))
      .optional(),
    outcome: z.enum(['refused', 'accepted'], { message: "outcome must be 'refused' or 'accepted'" }).optional(),
    /** the actor's id: a username, a device id, or a system part such as `cold-chain` */
    actor: z.string().min(1).max(64).optional(),
    ward: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'ward ids use letters, digits and _ . : -')
      .optional(),
    doseId: uuid('doseId').optional(),
    orderId: uuid('orderId').optional(),
    deliveryId: uuid('deliveryId').optional(),
    from: instant('from').optional(),
    to: instant('to').optional(),
    /** page size, newest first (default 100) */
    limit: z.coerce.number().int().min(1).max(500).default(100),
    /** the cursor: events with a lower sequence number than this (the previous page's `nextBefore`) */
    before: z.coerce.number().int().min(1).optional(),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, { message: 'from must be before to', path: ['from'] });

export type AuditEventsQueryInput = z.infer<typeof AuditEventsQuery>;

function codeOf(evidence: Record<string, unknown> | null | undefined): { code?: string } {
  const c = evidence?.['code'] ?? evidence?.['reason'];
  return typeof c === 'string' ? { code: c } : {};
}

export function auditEventView(e: CustodyEventEntity) {
  const refused = isRefusalAction(e.action);
  return {
    seq: e.seq,
    id: e.id,
    at: e.at.toISOString(),
    action: e.action,
    outcome: refused ? ('refused' as const) : ('accepted' as const),
    // a person's refusal names its code; a robot's own (`unlock_failed`, a refused order) its reason
    ...(refused ? codeOf(e.evidence) : {}),
    actor: e.actor,
    location: e.location,
    ward: e.ward,
    doseId: e.doseId,
    orderId: e.orderId,
    deliveryId: e.deliveryId,
    fromState: e.fromState,
    toState: e.toState,
    evidence: e.evidence,
    hash: e.hash,
  };
}

@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/audit')
export class AuditEventsController {
  constructor(private readonly repo: CustodyRepository) {}

  /**
   * Custody events matching every filter given, newest first: `events`, `total` (how many match
   * in all) and `nextBefore` (pass as `before` for the next page; null on the last).
   */
  @Roles('admin', 'safety_officer', 'pharmacist', 'ward_pharmacist')
  @ApiOperation({ summary: 'Search custody events, newest first, a page at a time' })
  @Get('events')
  @WardScope.allWards('the audit trail of the whole hospital: only roles that see every ward read it')
  async events(@Query(new ZodPipe(AuditEventsQuery, 'query')) q: AuditEventsQueryInput) {
    const { events, total } = await this.repo.queryEvents({
      refusalActions: REFUSAL_ACTION_NAMES,
      ...(q.action ? { actions: q.action } : {}),
      ...(q.outcome ? { outcome: q.outcome } : {}),
      ...(q.actor ? { actorId: q.actor } : {}),
      ...(q.ward ? { ward: q.ward } : {}),
      ...(q.doseId ? { doseId: q.doseId } : {}),
      ...(q.orderId ? { orderId: q.orderId } : {}),
      ...(q.deliveryId ? { deliveryId: q.deliveryId } : {}),
      ...(q.from ? { from: q.from } : {}),
      ...(q.to ? { to: q.to } : {}),
      ...(q.before ? { beforeSeq: q.before } : {}),
      limit: q.limit,
    });
    const last = events.at(-1);
    return { events: events.map(auditEventView), total, nextBefore: events.length === q.limit && last && last.seq > 1 ? last.seq : null };
  }
}
