/**
 * The custody ledger: every custody transition is written as an append-only event in the
 * same database transaction as the state change it records, and chained by hash (libs/domain
 * audit). Writes go through one queue so the chain has a single, gap-free order; the head
 * lives only in the database (read and locked inside each writing transaction, so a truncated
 * log fails verification and a lost COMMIT reply can never leave a stale copy behind).
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { canonicalJson, chainHashOfCanonical, DomainError, GENESIS_HASH } from '#domain';
import { type CustodyEventEntity, CustodyRepository, type CustodyTx, storageUnavailable } from '#persistence';
import { type IdempotencyScope, idempotencyRow, pendingIdempotencyScope } from '../common/idempotency.js';
import { LOGGER } from '../common/logger.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { eventContent, verifyCustodyChain, type AuditReport } from './chain-verify.js';

export type Actor = { type: 'user' | 'device' | 'system'; id: string; role?: string };

export interface CustodyEventDraft {
  action: string;
  doseId?: string | null;
  deliveryId?: string | null;
  orderId?: string | null;
  fromState?: string | null;
  toState?: string | null;
  actor: Actor;
  /** where it happened (libs/domain dose-location grammar): every event names a place, refusals included */
  location: string;
  /** the ward the event concerns (the delivery's, the patient's): the audit query filters by it */
  ward?: string | null;
  evidence?: Record<string, unknown>;
}

/** How an idempotency key lists the custody events its request committed. */
function eventSummary(e: CustodyEventEntity): Record<string, unknown> {
  return { seq: e.seq, action: e.action, doseId: e.doseId, deliveryId: e.deliveryId, orderId: e.orderId, toState: e.toState };
}

// what the hash covers and the whole-chain verification live in chain-verify.ts (shared with
// the restore command); re-exported for the modules that import them from here
export { eventContent, type AuditReport } from './chain-verify.js';

/** Told of each commit's custody events, in chain order (see CustodyLedger.onCommitted). */
export type CommittedListener = (events: readonly CustodyEventEntity[], contents: readonly string[]) => void;

@Injectable()
export class CustodyLedger {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<CommittedListener>();

  constructor(
    private readonly repo: CustodyRepository,
    private readonly metrics: MetricsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Runs `work` in one transaction with a `record` function; the recorded events are chained
   * onto the head read (and on PostgreSQL locked) inside that transaction and inserted in it,
   * so a state change and its custody event commit together or not at all. Serialised in
   * this process (one custody write at a time); the lock serialises writers across processes.
   * When the request carries an Idempotency-Key, the key is stored in the same transaction.
   */
  run<T>(work: (tx: CustodyTx, record: (e: CustodyEventDraft) => void) => Promise<T>): Promise<T> {
    return this.runCommitted(work).then((r) => r.result);
  }

  /**
   * `run`, also answering the custody events the transaction committed (in chain order; empty
   * when it recorded none). A commit whose reply was lost but which is found in the database
   * answers its events too. What custody announces after a write is derived from this list
   * (custody-transitions.ts), so nothing is announced that did not commit.
   */
  runCommitted<T>(
    work: (tx: CustodyTx, record: (e: CustodyEventDraft) => void) => Promise<T>,
  ): Promise<{ result: T; committed: readonly CustodyEventEntity[] }> {
    // a refusal audited after a 4xx stores the key with the refusal (its retry replays the
    // refusal); callers skip the audit of a 503, which must leave the key free for the retry
    const idem = pendingIdempotencyScope();
    const job = this.queue.then(() => this.execute(work, idem));
    this.queue = job.then(
      () => undefined,
      () => undefined,
    );
    return job;
  }

  private async execute<T>(
    work: (tx: CustodyTx, record: (e: CustodyEventDraft) => void) => Promise<T>,
    idem: IdempotencyScope | undefined,
  ): Promise<{ result: T; committed: readonly CustodyEventEntity[] }> {
    const drafts: CustodyEventDraft[] = [];
    let committed: CustodyEventEntity[] = [];
    /** each event's canonical content, as hashed (the anchor's leaves are made of the same strings) */
    let contents: string[] = [];
    let commitSent = false;
    let workOut: T | undefined;
    let result!: T;
    try {
      result = await this.repo.transaction(async (tx) => {
        // the head first: on PostgreSQL its lock serialises custody writers of every process
        // before any of them reads the state its checks rely on
        let { seq, hash } = (await tx.lockedHead()) ?? { seq: 0, hash: GENESIS_HASH };
        const out = await work(tx, (e) => drafts.push(e));
        workOut = out;
        if (drafts.length === 0) return out;
        const now = new Date();
        contents = [];
        committed = drafts.map((d) => {
          seq += 1;
          const e = {
            seq,
            id: randomUUID(),
            at: now,
            doseId: d.doseId ?? null,
            deliveryId: d.deliveryId ?? null,
            orderId: d.orderId ?? null,
            action: d.action,
            fromState: d.fromState ?? null,
            toState: d.toState ?? null,
            actor: d.actor,
            location: d.location,
            ward: d.ward ?? null,
            evidence: (d.evidence ?? {}) as Record<string, any>,
            prevHash: hash,
            hash: '',
          } satisfies CustodyEventEntity;
          // one canonical string per event: the chain hash and the anchor's Merkle leaf share it
          const canonical = canonicalJson(eventContent(e));
          contents.push(canonical);
          e.hash = chainHashOfCanonical(hash, canonical);
          hash = e.hash;
          return e;
        });
        await tx.appendEvents(committed, { seq, hash });
        // checked again here: another write of the same request may have stored it meanwhile
        if (idem && !idem.stored && !idem.closed) await tx.insertIdempotencyKey(idempotencyRow(idem, committed.map(eventSummary)));
        commitSent = true;
        return out;
      });
    } catch (err) {
      // the reply to COMMIT was lost (connection cut after the work was done): whether it
      // committed is a fact in the database, not a guess — read the first event back
      if (!commitSent || committed.length === 0 || !(err instanceof DomainError && err.code === 'storage_unavailable')) throw err;
      const found = await this.repo.eventByIdAfterWriters(committed[0]!.id).then(
        (e) => (e ? 'committed' : 'not_committed'),
        () => 'unknown' as const,
      );
      this.metrics.storageOutcomeUnknown.inc({ resolved: found });
      this.logger.warn({ outcome: found, events: committed.length, firstSeq: committed[0]!.seq }, 'custody commit reply lost; outcome read back');
      if (found === 'unknown') throw storageUnavailable(String((err.details as { cause?: string } | undefined)?.cause ?? 'connection_lost'), 'unknown');
      if (found === 'not_committed') throw err;
      // committed: the work's result stands (its entities are the ones written)
      result = workOut as T;
    }
    if (idem && committed.length) idem.stored = true;
    if (committed.length) this.tellCommitted(committed, contents);
    return { result, committed };
  }

  /**
   * Calls `listener` with the events of every commit in this process, in chain order, inside
   * the write queue (so one commit's call ends before the next commit's): the signed-checkpoint
   * anchor (audit-anchor/) appends them to its Merkle tree. A write whose reply was lost but
   * which committed is told too; a rolled-back one never. The listener must be synchronous and
   * quick; what it throws is logged, never the write's failure. Returns the unsubscribe.
   */
  onCommitted(listener: CommittedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private tellCommitted(events: readonly CustodyEventEntity[], contents: readonly string[]): void {
    for (const l of this.listeners) {
      try {
        l(events, contents);
      } catch (err) {
        this.logger.error({ err, firstSeq: events[0]!.seq, events: events.length }, 'a custody commit listener failed (the write stands)');
      }
    }
  }

  /** Recomputes the whole chain from the database and compares it with the stored head. */
  async verify(): Promise<AuditReport> {
    const report = await verifyCustodyChain(this.repo);
    if (report.ok) this.logger.debug({ events: report.events }, 'custody chain verified');
    return report;
  }
}
