import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { canonicalJson, chainHash, GENESIS_HASH, verifyChain, type ChainedRecord } from './hash-chain.js';

function build(contents: Record<string, unknown>[]): ChainedRecord<Record<string, unknown>>[] {
  let prev = GENESIS_HASH;
  return contents.map((c, i) => {
    const content = { ...c, seq: i + 1 };
    const hash = chainHash(prev, content);
    const r = { seq: i + 1, prevHash: prev, hash, content };
    prev = hash;
    return r;
  });
}

describe('canonical JSON', () => {
  it('sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[2,{"y":2,"z":1}]},"b":1}');
  });
});

describe('verifyChain', () => {
  const events = build(Array.from({ length: 20 }, (_, i) => ({ action: 'scan', dose: `d${i}`, at: `2026-11-26T10:00:${String(i).padStart(2, '0')}.000Z` })));

  it('accepts an intact chain and returns its head', () => {
    const v = verifyChain(events);
    expect(v).toEqual({ ok: true, events: 20, head: events[19]!.hash });
  });

  it('names the first altered event', () => {
    const tampered = events.map((e) => (e.seq === 7 ? { ...e, content: { ...e.content, dose: 'other' } } : e));
    const v = verifyChain(tampered);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.brokenAt).toMatchObject({ seq: 7, reason: 'hash_mismatch' });
  });

  it('catches a deletion as a sequence gap at the event after it', () => {
    const v = verifyChain(events.filter((e) => e.seq !== 5));
    expect(!v.ok && v.brokenAt).toMatchObject({ seq: 6, expectedSeq: 5, reason: 'sequence_gap' });
  });

  it('catches a re-hashed forgery by the next event’s back-link', () => {
    // an attacker edits event 9 and recomputes its own hash: event 10 no longer points at it
    const forged = events.map((e) => {
      if (e.seq !== 9) return e;
      const content = { ...e.content, dose: 'forged' };
      return { ...e, content, hash: chainHash(e.prevHash, content) };
    });
    const v = verifyChain(forged);
    expect(!v.ok && v.brokenAt).toMatchObject({ seq: 10, reason: 'prev_hash_mismatch' });
  });

  it('detects every random single edit, deletion or swap (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 19 }), fc.integer({ min: 0, max: 2 }), fc.string({ minLength: 1, maxLength: 8 }), (i, kind, text) => {
        let mutated = events.slice();
        if (kind === 0) mutated[i] = { ...mutated[i]!, content: { ...mutated[i]!.content, dose: `${String(mutated[i]!.content['dose'])}${text}` } };
        else if (kind === 1) mutated.splice(i, 1);
        else {
          const j = (i + 1) % 20;
          [mutated[i], mutated[j]] = [mutated[j]!, mutated[i]!];
          mutated = mutated.slice();
        }
        const v = verifyChain(mutated);
        if (kind === 1 && i === 19) return v.ok; // dropping the last event leaves a valid (shorter) chain: the head check catches it
        return !v.ok && v.brokenAt.seq >= 1;
      }),
      { numRuns: 300 },
    );
  });
});
