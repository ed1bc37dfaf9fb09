/**
 * The tamper-evident custody chain. Each event's hash covers the previous event's hash and
 * the event's canonical content (keys sorted, no whitespace), so editing, deleting or
 * reordering any stored event breaks every link after it; verification names the first
 * broken one. Pure: the caller supplies events in sequence order.
 */
import { createHash } from 'node:crypto';

/** The hash before the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** Deterministic JSON: object keys sorted at every level, arrays in order, no undefined. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function chainHash(prevHash: string, content: unknown): string {
  return chainHashOfCanonical(prevHash, canonicalJson(content));
}

/** chainHash of content already in canonical JSON (the ledger shares the string with the Merkle leaf). */
export function chainHashOfCanonical(prevHash: string, canonical: string): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

export interface ChainedRecord<C> {
  seq: number;
  prevHash: string;
  hash: string;
  content: C;
}

export type ChainVerdict =
  | { ok: true; events: number; head: string }
  | {
      ok: false;
      events: number;
      brokenAt: { seq: number; expectedSeq: number; reason: 'sequence_gap' | 'prev_hash_mismatch' | 'hash_mismatch'; detail: string };
    };

/**
 * Recomputes the chain from the first record. `content` must include `seq` so that swapping
 * two events' positions is caught even when their contents are otherwise alike.
 */
export function verifyChain<C>(records: Iterable<ChainedRecord<C>>, start: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH }): ChainVerdict {
  let expectedSeq = start.seq + 1;
  let prev = start.hash;
  let n = 0;
  for (const r of records) {
    n++;
    if (r.seq !== expectedSeq) {
      return {
        ok: false,
        events: n,
        brokenAt: {
          seq: r.seq,
          expectedSeq,
          reason: 'sequence_gap',
          detail: `expected event #${expectedSeq}, found #${r.seq} (an event was deleted or reordered)`,
        },
      };
    }
    if (r.prevHash !== prev) {
      return {
        ok: false,
        events: n,
        brokenAt: { seq: r.seq, expectedSeq, reason: 'prev_hash_mismatch', detail: `event #${r.seq} does not point at the hash of event #${r.seq - 1}` },
      };
    }
    const h = chainHash(prev, r.content);
    if (h !== r.hash) {
      return {
        ok: false,
        events: n,
        brokenAt: { seq: r.seq, expectedSeq, reason: 'hash_mismatch', detail: `event #${r.seq} was altered after it was recorded` },
      };
    }
    prev = h;
    expectedSeq++;
  }
  return { ok: true, events: n, head: prev };
}
