/**
 * The custody ledger: every custody transition is written as an append-only event in the
 * same database transaction as the state change it records, and chained by hash (libs/domain
 * audit). Writes go through one queue so the chain has a single, gap-free order; the head is
 * kept in memory and in the database (so a truncated log fails verification).
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { chainHash, GENESIS_HASH, verifyChain, type ChainVerdict } from '#domain';
import { type CustodyEventEntity, CustodyRepository, type CustodyTx } from '#persistence';
import { EventBus } from '../common/events.js';
import { LOGGER } from '../common/logger.js';

export type Actor = { type: 'user' | 'device' | 'system'; id: string; role?: string };

export interface CustodyEventDraft {
  action: string;
  doseId?: string | null;
  deliveryId?: string | null;
  orderId?: string | null;
  fromState?: string | null;
  toState?: string | null;
  actor: Actor;
  location?: string | null;
  evidence?: Record<string, unknown>;
}

/** What the hash covers: everything stored about the event except the hash fields. */
export function eventContent(
  e: Pick<
    CustodyEventEntity,
    'seq' | 'id' | 'at' | 'doseId' | 'deliveryId' | 'orderId' | 'action' | 'fromState' | 'toState' | 'actor' | 'location' | 'evidence'
  >,
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
    evidence: e.evidence,
  };
}

export interface AuditReport {
  ok: boolean;
  events: number;
  head: { seq: number; hash: string } | null;
  brokenAt?: { seq: number; expectedSeq: number; reason: string; detail: string };
}

@Injectable()
export class CustodyLedger implements OnModuleInit {
  private head = { seq: 0, hash: GENESIS_HASH };
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly repo: CustodyRepository,
    private readonly bus: EventBus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const h = await this.repo.head();
    if (h) this.head = { seq: h.seq, hash: h.hash };
  }

  /**
   * Runs `work` in one transaction with a `record` function; the recorded events are chained
   * and inserted in that transaction, so a state change and its custody event commit together
   * or not at all. Serialised: one custody write at a time.
   */
  run<T>(work: (tx: CustodyTx, record: (e: CustodyEventDraft) => void) => Promise<T>): Promise<T> {
    const job = this.queue.then(() => this.execute(work));
    this.queue = job.then(
      () => undefined,
      () => undefined,
    );
    return job;
  }

  private async execute<T>(work: (tx: CustodyTx, record: (e: CustodyEventDraft) => void) => Promise<T>): Promise<T> {
    const drafts: CustodyEventDraft[] = [];
    let committed: CustodyEventEntity[] = [];
    let newHead = this.head;
    const result = await this.repo.transaction(async (tx) => {
      const out = await work(tx, (e) => drafts.push(e));
      let { seq, hash } = this.head;
      const now = new Date();
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
          location: d.location ?? null,
          evidence: (d.evidence ?? {}) as Record<string, any>,
          prevHash: hash,
          hash: '',
        } satisfies CustodyEventEntity;
        e.hash = chainHash(hash, eventContent(e));
        hash = e.hash;
        return e;
      });
      newHead = { seq, hash };
      if (committed.length) await tx.appendEvents(committed, newHead);
      return out;
    });
    this.head = newHead;
    for (const e of committed) {
      this.bus.emit('custody.event', {
        seq: e.seq,
        action: e.action,
        doseId: e.doseId,
        deliveryId: e.deliveryId,
        toState: e.toState,
        location: e.location,
        at: e.at.toISOString(),
      });
    }
    return result;
  }

  /** Recomputes the whole chain from the database and compares it with the stored head. */
  async verify(): Promise<AuditReport> {
    const PAGE = 2000;
    let after = 0;
    let start = { seq: 0, hash: GENESIS_HASH };
    let total = 0;
    for (;;) {
      const page = await this.repo.eventsAfter(after, PAGE);
      if (page.length === 0) break;
      const verdict: ChainVerdict = verifyChain(
        page.map((e) => ({ seq: e.seq, prevHash: e.prevHash, hash: e.hash, content: eventContent(e) })),
        start,
      );
      if (!verdict.ok) {
        return { ok: false, events: total + verdict.events, head: null, brokenAt: verdict.brokenAt };
      }
      total += verdict.events;
      const last = page[page.length - 1]!;
      start = { seq: last.seq, hash: verdict.head };
      after = last.seq;
    }
    const stored = await this.repo.head();
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
    this.logger.debug({ events: total }, 'custody chain verified');
    return { ok: true, events: total, head: start };
  }
}
