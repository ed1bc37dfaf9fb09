import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  CheckpointFormatError,
  custodyLogOrigin,
  formatCheckpoint,
  formatVerifierKey,
  generateNoteKey,
  noteKeyId,
  openCheckpoint,
  parseCheckpoint,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signCheckpoint,
  signNote,
  SignedNoteError,
  verifyNote,
} from './checkpoint.js';
import { leafHash, MerkleTree, verifyConsistency } from './merkle.js';

/*
 * The reference key and note of the Go implementation of signed notes,
 * golang.org/x/mod/sumdb/note (note_test.go, TestSign / TestOpen): Ed25519 is deterministic,
 * so signing the same text with the same key must give the published line byte for byte.
 */
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

/** The example body of c2sp.org/tlog-checkpoint. */
const C2SP_BODY = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';

const ORIGIN = custodyLogOrigin('st-marys');
const ROOT = leafHash('some root');
const TIME = '2026-11-26T10:00:00.000Z';

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof CheckpointFormatError || e instanceof SignedNoteError) return e.reason;
    throw e;
  }
  return 'no error';
}

describe('checkpoint body', () => {
  it('reads the C2SP example and writes it back byte for byte', () => {
    const cp = parseCheckpoint(C2SP_BODY);
    expect(cp).toMatchObject({ origin: 'example.com/behind-the-sofa', treeSize: 20852163, extensions: [] });
    expect(cp.rootHash.toString('base64')).toBe('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
    expect(formatCheckpoint(cp)).toBe(C2SP_BODY);
  });

  it("writes MedLoop's time line first after the root and reads it back", () => {
    const body = formatCheckpoint({ origin: ORIGIN, treeSize: 42, rootHash: ROOT, time: new Date(TIME), extensions: ['other ext'] });
    expect(body).toBe(`medloop.st-marys/custody\n42\n${ROOT.toString('base64')}\ntime ${TIME}\nother ext\n`);
    expect(parseCheckpoint(body, { origin: ORIGIN })).toEqual({ origin: ORIGIN, treeSize: 42, rootHash: ROOT, time: TIME, extensions: ['other ext'] });
    expect(formatCheckpoint({ origin: ORIGIN, treeSize: 0, rootHash: ROOT })).toBe(`${ORIGIN}\n0\n${ROOT.toString('base64')}\n`);
  });

  it('round-trips any well-formed checkpoint (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.option(fc.date({ min: new Date('2000-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })),
        (treeSize, root, time) => {
          const cp = { origin: ORIGIN, treeSize, rootHash: Buffer.from(root), ...(time ? { time: time.toISOString() } : {}), extensions: [] };
          return JSON.stringify(parseCheckpoint(formatCheckpoint(cp))) === JSON.stringify(cp);
        },
      ),
    );
  });

  it.each([
    ['not text', 42, 'not_text'],
    ['a carriage return', C2SP_BODY.replace('\n', '\r\n'), 'control_character'],
    ['a tab', C2SP_BODY.replace('sofa', 'so\tfa'), 'control_character'],
    ['no final newline', C2SP_BODY.slice(0, -1), 'missing_final_newline'],
    ['two lines', 'example.com/x\n1\n', 'too_few_lines'],
    ['an empty line', `${C2SP_BODY}\nmore\n`, 'empty_line'],
    ['a leading zero', C2SP_BODY.replace('20852163', '020852163'), 'bad_tree_size'],
    ['a signed size', C2SP_BODY.replace('20852163', '+20852163'), 'bad_tree_size'],
    ['a size beyond 2^53', C2SP_BODY.replace('20852163', '9007199254740993'), 'bad_tree_size'],
    ['a hex root', C2SP_BODY.replace('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=', ROOT.toString('hex')), 'bad_root_hash'],
    ['a short root', C2SP_BODY.replace('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=', 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx'), 'bad_root_hash'],
    ['a non-canonical root', C2SP_BODY.replace('jxq2I=', 'jxq2J='), 'bad_root_hash'],
    ['a bad time', `${C2SP_BODY}time 2026-11-26 10:00:00\n`, 'bad_time'],
    ['a time that is not a date', `${C2SP_BODY}time 2026-02-30T10:00:00.000Z\n`, 'bad_time'],
    ['a second time', `${C2SP_BODY}time ${TIME}\ntime ${TIME}\n`, 'duplicate_time'],
  ])('refuses %s', (_what, body, why) => {
    expect(reason(() => parseCheckpoint(body as string))).toBe(why);
  });

  it('refuses a checkpoint of another log, naming both', () => {
    expect(() => parseCheckpoint(C2SP_BODY, { origin: ORIGIN })).toThrow(
      /checkpoint of 'example.com\/behind-the-sofa', not of 'medloop.st-marys\/custody' \(line 1\)/,
    );
  });

  it('writes nothing it would refuse to read', () => {
    expect(reason(() => formatCheckpoint({ origin: 'has space', treeSize: 1, rootHash: ROOT }))).toBe('bad_origin');
    expect(reason(() => formatCheckpoint({ origin: ORIGIN, treeSize: -1, rootHash: ROOT }))).toBe('bad_tree_size');
    expect(reason(() => formatCheckpoint({ origin: ORIGIN, treeSize: 1, rootHash: ROOT.subarray(1) }))).toBe('bad_root_hash');
    expect(reason(() => formatCheckpoint({ origin: ORIGIN, treeSize: 1, rootHash: ROOT, time: '2026-11-26T10:00:00Z' }))).toBe('bad_time');
    expect(reason(() => formatCheckpoint({ origin: ORIGIN, treeSize: 1, rootHash: ROOT, extensions: ['a\nb'] }))).toBe('bad_extension');
    expect(reason(() => formatCheckpoint({ origin: ORIGIN, treeSize: 1, rootHash: ROOT, extensions: [`time ${TIME}`] }))).toBe('duplicate_time');
    expect(() => custodyLogOrigin('St Marys')).toThrow(/site id/);
  });

  it('is a ValidationError naming the field, for the edge filter', () => {
    try {
      parseCheckpoint('x\n');
    } catch (e) {
      expect(e).toMatchObject({ kind: 'validation', code: 'validation_failed', field: 'checkpoint', details: { reason: 'too_few_lines' } });
    }
    expect.assertions(1);
  });
});

describe('note keys', () => {
  it('computes the key id and key texts of the Go reference', () => {
    const signer = parseSignerKey(GO_SKEY);
    const verifier = parseVerifierKey(GO_VKEY);
    expect(signer.keyId).toBe('c74f20a3');
    expect(noteKeyId('PeterNeumann', verifier.publicKey)).toBe('c74f20a3');
    expect(formatVerifierKey('PeterNeumann', signer.privateKey)).toBe(GO_VKEY);
  });

  it('refuses mangled verifier keys, as the Go reference does', () => {
    // TestNewVerifier: every proper substring and every single-byte increment is refused
    const bad: string[] = [];
    for (let i = 0; i < GO_VKEY.length; i++) {
      for (let j = i + 1; j <= GO_VKEY.length; j++) if (i !== 0 || j !== GO_VKEY.length) bad.push(GO_VKEY.slice(i, j));
      bad.push(GO_VKEY.slice(0, i) + String.fromCharCode(GO_VKEY.charCodeAt(i) + 1) + GO_VKEY.slice(i + 1));
    }
    bad.push(
      'PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==',
      'PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    );
    const accepted = bad.filter((k) => {
      try {
        parseVerifierKey(k);
        return true;
      } catch (e) {
        if (e instanceof SignedNoteError) return false;
        throw e;
      }
    });
    expect(accepted).toEqual([]);
  });

  it('generates keys whose verifier line reads back to the same key', () => {
    const k = generateNoteKey(ORIGIN);
    const back = parseVerifierKey(k.verifierKey);
    expect(back.keyId).toBe(k.keyId);
    expect(back.name).toBe(ORIGIN);
    expect(formatVerifierKey(ORIGIN, back.publicKey)).toBe(k.verifierKey);
    expect(reason(() => generateNoteKey('a+b'))).toBe('bad_key_name');
  });

  it('takes PEM key files and refuses keys of another algorithm', () => {
    const k = generateNoteKey(ORIGIN);
    const pem = k.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const note = signNote('hello\n', { name: ORIGIN, privateKey: pem });
    expect(verifyNote(note, [{ name: ORIGIN, publicKey: k.publicKey.export({ format: 'pem', type: 'spki' }) as string }])).toMatchObject({ ok: true });
    expect(reason(() => signNote('hello\n', { name: ORIGIN, privateKey: 'not a key' }))).toBe('bad_key');
    expect(reason(() => signNote('hello\n', { name: ORIGIN, privateKey: k.publicKey }))).toBe('bad_key');
  });
});

describe('signed note', () => {
  const go = parseSignerKey(GO_SKEY);
  const goKey = parseVerifierKey(GO_VKEY);

  it('signs the Go reference text byte for byte and verifies the published note', () => {
    expect(signNote(GO_TEXT, go)).toBe(GO_NOTE);
    expect(verifyNote(GO_NOTE, [goKey])).toEqual({ ok: true, text: GO_TEXT, verified: [{ name: 'PeterNeumann', keyId: 'c74f20a3' }], unknown: [] });
  });

  it('fails with one altered byte anywhere in the text or the signature', () => {
    const results = new Set<string>();
    const sigStart = GO_NOTE.lastIndexOf(' ') + 1;
    for (let i = 0; i < GO_NOTE.length - 1; i++) {
      if (GO_NOTE[i] === '\n' || (i >= GO_TEXT.length && i < sigStart)) continue;
      const c = GO_NOTE[i]!;
      const altered = GO_NOTE.slice(0, i) + (c === 'A' ? 'B' : 'A') + GO_NOTE.slice(i + 1);
      const v = verifyNote(altered, [goKey]);
      results.add(v.ok ? 'ok' : v.reason);
    }
    // a changed text or signature byte fails the signature; a changed key-id byte makes it unknown
    expect([...results].sort()).toEqual(['bad_signature', 'unknown_key']);
    expect(verifyNote(GO_NOTE.replace('AM=\n', 'AN=\n'), [goKey])).toMatchObject({ ok: false, reason: 'malformed' }); // non-canonical base64
  });

  it('reports a signature by another key of the same name as an unknown key, and a forged id as a bad signature', () => {
    const other = generateNoteKey('PeterNeumann');
    const byOther = signNote(GO_TEXT, other);
    const v = verifyNote(byOther, [goKey]);
    expect(v).toMatchObject({ ok: false, reason: 'unknown_key', unknown: [{ name: 'PeterNeumann', keyId: other.keyId }] });
    expect(!v.ok && v.detail).toMatch(/a key of a known name but not a known key/);

    // the other key's signature relabelled with the known key's id: a forgery, not an unknown key
    const sig = Buffer.from(byOther.trimEnd().split(' ').pop()!, 'base64');
    Buffer.from('c74f20a3', 'hex').copy(sig);
    const forged = `${GO_TEXT}\n— PeterNeumann ${sig.toString('base64')}\n`;
    expect(verifyNote(forged, [goKey])).toMatchObject({ ok: false, reason: 'bad_signature', key: { name: 'PeterNeumann', keyId: 'c74f20a3' } });
    expect(verifyNote(GO_NOTE, [])).toMatchObject({ ok: false, reason: 'unknown_key' });
  });

  it('ignores unknown signatures next to a known one, and refuses a note with one bad known signature', () => {
    const other = generateNoteKey('witness.example/w1');
    const both = signNote(GO_TEXT, [go, other]);
    expect(verifyNote(both, [goKey])).toMatchObject({
      ok: true,
      verified: [{ name: 'PeterNeumann' }],
      unknown: [{ name: 'witness.example/w1', keyId: other.keyId }],
    });
    expect(verifyNote(both, [goKey, other])).toMatchObject({ ok: true, verified: [{ name: 'PeterNeumann' }, { name: 'witness.example/w1' }], unknown: [] });
    const lines = both.split('\n');
    const tampered = [...lines.slice(0, -2), lines[lines.length - 2]!.replace(/.{4}$/, 'AAA='), ''].join('\n');
    expect(verifyNote(tampered, [goKey, other])).toMatchObject({ ok: false, reason: 'bad_signature', key: { name: 'witness.example/w1' } });
  });

  it.each([
    ['no blank line', `${GO_TEXT}— PeterNeumann x08g=\n`],
    ['no signature', `${GO_TEXT}\n`],
    ['no final newline', GO_NOTE.slice(0, -1)],
    ['a hyphen for the em dash', GO_NOTE.replace('—', '-')],
    ['no space after the name', GO_NOTE.replace('PeterNeumann ', 'PeterNeumann')],
    ['a signature of 4 bytes', `${GO_TEXT}\n— PeterNeumann x08gow==\n`],
    ['a control character', GO_NOTE.replace('answer', 'ans\u0007wer')],
    ['a lone surrogate', GO_NOTE.replace('answer', 'ans\ud800wer')],
    ['a lone low surrogate', GO_NOTE.replace('answer', 'ans\udc00wer')],
    [
      '101 signatures',
      `${GO_TEXT}\n${'— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n'.repeat(101)}`,
    ],
  ])('calls a note with %s malformed', (_what, note) => {
    expect(verifyNote(note, [goKey])).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('separates the text at the last blank line and keeps blank lines in the text', () => {
    const text = 'para one 💊\n\npara two\n';
    const note = signNote(text, go);
    expect(parseNote(note).text).toBe(text);
    expect(verifyNote(note, [goKey])).toMatchObject({ ok: true, text });
    expect(reason(() => signNote('no newline', go))).toBe('malformed_note');
    expect(reason(() => signNote(GO_TEXT, [go, go]))).toBe('ambiguous_key');
  });
});

describe('signed checkpoints of the custody log', () => {
  const key = generateNoteKey(ORIGIN);
  const known = [parseVerifierKey(key.verifierKey)];
  const tree = MerkleTree.fromLeafHashes(Array.from({ length: 20 }, (_, i) => leafHash(`event ${i}`)));

  it('opens a signed checkpoint and the witness checks the next one extends it', () => {
    const older = signCheckpoint({ origin: ORIGIN, treeSize: 12, rootHash: tree.root(12), time: TIME }, key);
    const newer = signCheckpoint({ origin: ORIGIN, treeSize: 20, rootHash: tree.root(20), time: '2026-11-26T10:05:00.000Z' }, key);
    const a = openCheckpoint(older, known, { origin: ORIGIN });
    const b = openCheckpoint(newer, known, { origin: ORIGIN });
    if (!a.ok || !b.ok) throw new Error('checkpoints did not open');
    expect(b.checkpoint).toMatchObject({ treeSize: 20, time: '2026-11-26T10:05:00.000Z' });
    expect(verifyConsistency(12, 20, a.checkpoint.rootHash, b.checkpoint.rootHash, tree.consistencyProof(12, 20))).toEqual({ ok: true });
  });

  it('refuses a checkpoint of another origin, a malformed body and one by a rotated-out key', () => {
    expect(
      openCheckpoint(signCheckpoint({ origin: 'medloop.other/custody', treeSize: 1, rootHash: ROOT }, { name: ORIGIN, privateKey: key.privateKey }), known, {
        origin: ORIGIN,
      }),
    ).toMatchObject({
      ok: false,
      reason: 'wrong_origin',
    });
    expect(openCheckpoint(signNote(`${ORIGIN}\n01\n${ROOT.toString('base64')}\n`, key), known)).toMatchObject({ ok: false, reason: 'malformed_checkpoint' });
    const next = generateNoteKey(ORIGIN);
    const rotated = signCheckpoint({ origin: ORIGIN, treeSize: 1, rootHash: ROOT }, next);
    expect(openCheckpoint(rotated, known)).toMatchObject({ ok: false, reason: 'unknown_key', unknown: [{ name: ORIGIN, keyId: next.keyId }] });
    // after a rotation the verifier keeps both public keys: old and new checkpoints open
    expect(openCheckpoint(rotated, [...known, parseVerifierKey(next.verifierKey)])).toMatchObject({ ok: true });
  });
});
