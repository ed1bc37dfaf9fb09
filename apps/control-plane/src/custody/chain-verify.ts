/**
 * Verification of the whole custody chain as stored: what each event's hash covers, and the
 * paged walk that re-hashes every event in sequence order (libs/domain `verifyChain`) and then
 * compares the result with the stored chain head, so an edited, deleted, reordered or
 * truncated log is named at its first broken link. Shared by the ledger (`GET
 * /api/audit/verify`) and the restore command, which checks a restored database before it
 * is put in place.
 */
import { GENESIS_HASH, verifyChain } from '#domain';
import type { CustodyEventEntity } from '#persistence';

/**
 * What the hash covers: everything stored about the event except the hash fields. The ward
 * (added for the audit query) is covered when set, and left out when null, so events written
 * before it existed hash as they always did.
 */
export function eventContent(
  e: Pick<
    CustodyEventEntity,
    'seq' | 'id' | 'at' | 'doseId' | 'deliveryId' | 'orderId' | 'action' | 'fromState' | 'toState' | 'actor' | 'location' | 'evidence'
  > & { ward?: string | null },
) {
  return {
    seq: e.seq,
    id: e.id,
    at: e.at.toISOString(),
    doseId: e.doseId,
    deliveryId: e.deliveryId,
    orderId: e.orderId,
    action: e.action,
    fromState: e.fromState,
    toState: e.toState,
    actor: e.actor,
    location: e.location,
    ...(e.ward != null ? { ward: e.ward } : {}),
    evidence: e.evidence,
  };
}

export interface AuditReport {
  ok: boolean;
  events: number;
  head: { seq: number; hash: string } | null;
  brokenAt?: { seq: number; expectedSeq: number; reason: string; detail: string };
}

/** The two reads verification needs (CustodyRepository has both). */
export interface CustodyChainSource {
  head(): Promise<{ seq: number; hash: string } | null>;
  eventsAfter(seq: number, limit: number): Promise<CustodyEventEntity[]>;
}

/** Recomputes the whole chain from the database and compares it with the stored head. */
export async function verifyCustodyChain(source: CustodyChainSource, pageSize = 2000): Promise<AuditReport> {
  let after = 0;
  let start = { seq: 0, hash: GENESIS_HASH };
  let total = 0;
  // bounded: each page advances `after` past at least one event, and the log is finite
  for (;;) {
    const page = await source.eventsAfter(after, pageSize);
    if (page.length === 0) break;
    const verdict = verifyChain(
      page.map((e) => ({ seq: e.seq, prevHash: e.prevHash, hash: e.hash, content: eventContent(e) })),
      start,
    );
    if (!verdict.ok) return { ok: false, events: total + verdict.events, head: null, brokenAt: verdict.brokenAt };
    total += verdict.events;
    const last = page[page.length - 1]!;
    start = { seq: last.seq, hash: verdict.head };
    after = last.seq;
  }
  const stored = await source.head();
  if ((stored?.seq ?? 0) !== start.seq || (stored?.hash ?? GENESIS_HASH) !== start.hash) {
    const missing = (stored?.seq ?? 0) - start.seq;
    return {
      ok: false,
      events: total,
      head: start,
      brokenAt: {
        seq: start.seq + 1,
        expectedSeq: start.seq + 1,
        reason: 'truncated',
        detail:
          missing > 0
            ? `the log ends at event #${start.seq} but the chain head records #${stored?.seq}: ${missing} event(s) removed from the end`
            : 'the stored chain head does not match the log',
      },
    };
  }
  return { ok: true, events: total, head: start };
}
