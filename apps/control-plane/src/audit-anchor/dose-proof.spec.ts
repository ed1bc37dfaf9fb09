import { describe, expect, it } from '@jest/globals';
import { canonicalJson, generateNoteKey, MerkleTree, signCheckpoint } from '#domain';
import { eventContent } from '../custody/chain-verify.js';
import { custodyLeaf } from './anchor-check.js';
import { buildDoseProof, contentLeaf, type DoseProofBundle, verifyDoseProof } from './dose-proof.js';

const ORIGIN = 'medloop.proof-test/custody';
const DOSE = '7d5f2a10-0000-4000-8000-000000000001';
const OTHER = '7d5f2a10-0000-4000-8000-000000000002';

/** A log of 13 events, every third about DOSE (one with a ward and non-ASCII evidence), signed at 11. */
function fixture() {
  const key = generateNoteKey(ORIGIN);
  const events = Array.from({ length: 13 }, (_, i) => ({
    seq: i + 1,
    id: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
    at: new Date(Date.UTC(2026, 10, 26, 10, 0, i)),
    doseId: i % 3 === 0 ? DOSE : OTHER,
    deliveryId: null,
    orderId: 'ord-1',
    action: i === 0 ? 'picked' : 'checked',
    fromState: null,
    toState: 'picked',
    actor: { type: 'user' as const, id: 'pharm-1', role: 'pharmacist' },
    location: 'pharmacy',
    ward: i === 3 ? 'W-CARD' : null,
    evidence: i === 3 ? { note: 'Zäpfchen — 2×', n: 3 } : {},
  }));
  const tree = new MerkleTree();
  for (const e of events) tree.append(custodyLeaf(e));
  const signed = 11;
  const note = signCheckpoint({ origin: ORIGIN, treeSize: signed, rootHash: tree.root(signed), time: new Date('2026-11-26T10:01:00.000Z') }, key);
  const bundle = buildDoseProof({
    origin: ORIGIN,
    doseId: DOSE,
    note,
    treeSize: signed,
    events: events.filter((e) => e.doseId === DOSE).map((e) => ({ seq: e.seq, content: canonicalJson(eventContent(e)) })),
    inclusionProof: (i, n) => tree.inclusionProof(i, n),
  });
  return { key, events, tree, bundle, note };
}

const copy = (b: DoseProofBundle): DoseProofBundle => JSON.parse(JSON.stringify(b));

/** `text` with the character at `i` replaced by another (never the same one). */
const flipChar = (text: string, i: number): string => text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1);

/** base64 of the hash with one bit of byte `i` flipped. */
const flipHash = (b64: string, i: number): string => {
  const b = Buffer.from(b64, 'base64');
  b[i] = b[i]! ^ 0x01;
  return b.toString('base64');
};

describe('dose proof bundles', () => {
  const { key, events, bundle, note } = fixture();

  it('hashes the content string to the very leaf the anchor signs (custodyLeaf)', () => {
    for (const e of events) expect(contentLeaf(canonicalJson(eventContent(e))).equals(custodyLeaf(e))).toBe(true);
  });

  it('lists the dose’s events the checkpoint covers with proofs, and those after it as unanchored', () => {
    expect(bundle).toMatchObject({ format: 'medloop-dose-proof/v1', origin: ORIGIN, doseId: DOSE, checkpoint: note, treeSize: 11, unanchored: [13] });
    expect(bundle.events.map((e) => [e.seq, e.leafIndex])).toEqual([
      [1, 0],
      [4, 3],
      [7, 6],
      [10, 9],
    ]);
    expect(JSON.parse(bundle.events[1]!.content)).toMatchObject({ seq: 4, doseId: DOSE, ward: 'W-CARD', evidence: { note: 'Zäpfchen — 2×' } });
  });

  it('verifies with the verifier key alone', () => {
    expect(verifyDoseProof(copy(bundle), [key.verifierKey])).toEqual({
      ok: true,
      doseId: DOSE,
      treeSize: 11,
      events: 4,
      unanchored: 1,
      checkpointTime: '2026-11-26T10:01:00.000Z',
      keyId: key.keyId,
      origin: ORIGIN,
    });
  });

  it('fails on one altered byte of an event’s content, naming the event', () => {
    for (const ev of [0, 1, 3]) {
      const content = bundle.events[ev]!.content;
      // every position of the content string: each changes the leaf, or the JSON, or the dose
      for (let i = 0; i < content.length; i++) {
        const b = copy(bundle);
        b.events[ev]!.content = flipChar(content, i);
        const v = verifyDoseProof(b, [key.verifierKey]);
        expect(v.ok).toBe(false);
        if (v.ok) return;
        expect(['not_included', 'bad_content', 'other_dose']).toContain(v.reason);
        expect(v.seq).toBe(bundle.events[ev]!.seq);
      }
    }
    const b = copy(bundle);
    b.events[1]!.content = b.events[1]!.content.replace('pharm-1', 'pharm-2');
    expect(verifyDoseProof(b, [key.verifierKey])).toMatchObject({ ok: false, reason: 'not_included', seq: 4 });
  });

  it('fails on one altered byte of any inclusion proof hash', () => {
    for (const [ev, e] of bundle.events.entries()) {
      for (const [p, h] of e.inclusionProof.entries()) {
        for (const byte of [0, 17, 31]) {
          const b = copy(bundle);
          b.events[ev]!.inclusionProof[p] = flipHash(h, byte);
          expect(verifyDoseProof(b, [key.verifierKey])).toMatchObject({ ok: false, reason: 'not_included', seq: e.seq });
        }
      }
    }
    const b = copy(bundle);
    b.events[0]!.inclusionProof.pop();
    expect(verifyDoseProof(b, [key.verifierKey])).toMatchObject({ ok: false, reason: 'not_included', detail: expect.stringContaining('proof_too_short') });
  });

  it('fails on one altered byte of the checkpoint: its root, its size, its signature', () => {
    const [body, sigs] = note.split('\n\n') as [string, string];
    const lines = body.split('\n');
    const altered = (b: string, s: string) => ({ ...copy(bundle), checkpoint: `${b}\n\n${s}` });
    const root = flipHash(lines[2]!, 5);
    const v1 = verifyDoseProof(altered([lines[0], lines[1], root, ...lines.slice(3)].join('\n'), sigs), [key.verifierKey]);
    expect(v1).toMatchObject({ ok: false, reason: 'checkpoint_unverifiable', checkpointReason: 'bad_signature' });
    const v2 = verifyDoseProof(altered([lines[0], '12', ...lines.slice(2)].join('\n'), sigs), [key.verifierKey]);
    expect(v2).toMatchObject({ ok: false, reason: 'checkpoint_unverifiable', checkpointReason: 'bad_signature' });
    // the signature bytes after the key id: every byte position changes the verdict
    const line = sigs.trimEnd();
    const prefix = line.slice(0, line.lastIndexOf(' ') + 1);
    const raw = Buffer.from(line.slice(prefix.length), 'base64');
    for (let i = 4; i < raw.length; i += 7) {
      const r = Buffer.from(raw);
      r[i] = r[i]! ^ 0x80;
      const v = verifyDoseProof(altered(body, `${prefix}${r.toString('base64')}\n`), [key.verifierKey]);
      expect(v).toMatchObject({ ok: false, reason: 'checkpoint_unverifiable', checkpointReason: 'bad_signature' });
    }
    // the key id bytes: the signature is then by a key nobody knows
    const r = Buffer.from(raw);
    r[0] = r[0]! ^ 0x01;
    expect(verifyDoseProof(altered(body, `${prefix}${r.toString('base64')}\n`), [key.verifierKey])).toMatchObject({
      ok: false,
      reason: 'checkpoint_unverifiable',
      checkpointReason: 'unknown_key',
    });
  });

  it('fails a bundle signed by another key, and one whose tree size or events are not the signed ones', () => {
    const other = generateNoteKey(ORIGIN);
    expect(verifyDoseProof(copy(bundle), [other.verifierKey])).toMatchObject({ ok: false, reason: 'checkpoint_unverifiable', checkpointReason: 'unknown_key' });
    // a retired key next to the current one: the right one is found among them
    expect(verifyDoseProof(copy(bundle), [other.verifierKey, key.verifierKey])).toMatchObject({ ok: true, keyId: key.keyId });
    expect(verifyDoseProof(copy(bundle), ['not a key'])).toMatchObject({ ok: false, reason: 'bad_key' });
    expect(verifyDoseProof({ ...copy(bundle), treeSize: 12 }, [key.verifierKey])).toMatchObject({ ok: false, reason: 'tree_size_mismatch' });
    expect(verifyDoseProof({ ...copy(bundle), origin: 'medloop.elsewhere/custody' }, [key.verifierKey])).toMatchObject({
      ok: false,
      reason: 'checkpoint_unverifiable',
      checkpointReason: 'wrong_origin',
    });
    // another dose's bundle claimed for this one: every event names its dose
    expect(verifyDoseProof({ ...copy(bundle), doseId: OTHER }, [key.verifierKey])).toMatchObject({ ok: false, reason: 'other_dose', seq: 1 });
    const shifted = copy(bundle);
    shifted.events[2]!.leafIndex = 5;
    expect(verifyDoseProof(shifted, [key.verifierKey])).toMatchObject({ ok: false, reason: 'leaf_index_mismatch', seq: 7 });
    expect(verifyDoseProof({ ...copy(bundle), format: 'other' }, [key.verifierKey])).toMatchObject({ ok: false, reason: 'malformed_bundle' });
    expect(verifyDoseProof(null, [key.verifierKey])).toMatchObject({ ok: false, reason: 'malformed_bundle' });
  });
});
