/**
 * An outside witness of the custody log (issue #17): the checkpoints also go where the
 * database's holder cannot rewrite them. A real witness process on a real port takes the app's
 * checkpoints (c2sp.org/tlog-witness add-checkpoint), cosigns and keeps them; a checkpoint of a
 * forked tree signed with the log's own key — what whoever holds the database and the key can
 * make after rewriting history — is refused with the consistency proof's failure, and the
 * witness keeps the good one, across its restarts. A witness down does not make /health fail; it
 * is counted, alarmed after a few pushes, and caught up when back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { CustodyEventEntity } from '#persistence';
import { generateNoteKey, leafHash, MerkleTree, openCheckpoint, parseVerifierKey, signCheckpoint, verifyNote } from '#domain';
import { loadAnchorKeys } from '../../src/audit-anchor/anchor-keys.js';
import { runWitness } from '../../src/witness/witness-main.js';
import type { WitnessServer } from '../../src/witness/witness.js';
import { withoutAppendOnlyGuard } from '../support/append-only.js';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from '../support/test-app.js';
import { rehashFrom } from './anchor-support.js';
import { CustodyFixture, sleep } from './support.js';

const SITE = 'witness-test';
const ORIGIN = `medloop.${SITE}/custody`;
const APP_ENV = { CHECKPOINT_EVERY_EVENTS: '3', CHECKPOINT_EVERY_SECONDS: '1', SITE_ID: SITE, WITNESS_ALARM_AFTER_FAILURES: '2', WITNESS_TIMEOUT_MS: '1000' };

interface WitnessHealth {
  url: string;
  status: string;
  size: number | null;
  lastOkAt: string | null;
  failures: number;
  error?: string;
}
async function anchorHealth(t: TestApp) {
  const r = await t.api('GET', '/health');
  return {
    http: r.status,
    ...(r.body.checks.anchor as { status: string; treeSize: number; signedSize: number; unsignedEvents: number; witnesses: WitnessHealth[] }),
  };
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const post = async (url: string, body: string | Uint8Array) => {
  const r = await fetch(`${url}/add-checkpoint`, { method: 'POST', body });
  return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
};
const held = async (url: string, origin = ORIGIN) => {
  const r = await fetch(`${url}/checkpoint/${encodeURIComponent(origin)}`);
  return { status: r.status, text: await r.text() };
};
const sizeOf = (note: string): number => Number(note.split('\n')[1]);

describe('an outside witness of the custody log', () => {
  let dir: string;
  let db: TestDatabase;
  let t: TestApp;
  let witness: WitnessServer;
  let witnessEnv: Record<string, string>;
  let signer: ReturnType<typeof loadAnchorKeys>['signer'];
  let fx: CustodyFixture;

  const moreEvents = async () => {
    for (let i = 0; i < 2; i++) await fx.verifiedOrder((await fx.patient('W-CARD')).id);
  };
  const allSigned = () =>
    until('every event signed', async () => {
      const a = await anchorHealth(t);
      return a.status === 'up' && a.treeSize > 0 && a.unsignedEvents === 0 && a;
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medloop-witness-'));
    db = await createTestDatabase();
    // the log's key before the app's first boot (which would generate it): the witness must know it
    const keys = loadAnchorKeys({ origin: ORIGIN, keyFile: join(db.env['DATA_DIR']!, 'keys', 'custody.key'), publicKeysFile: null });
    signer = keys.signer;
    witnessEnv = { WITNESS_PORT: '0', WITNESS_DIR: join(dir, 'witness'), WITNESS_LOG_KEYS: signer.verifierKey, LOG_LEVEL: 'silent' };
    witness = await runWitness(witnessEnv);
    t = await startTestApp({ ...APP_ENV, WITNESS_URLS: `${witness.url}/` }, db);
    const pharmacist = await t.userToken('pharmacist');
    const api = (token: string, method: string, path: string, body?: unknown) => t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
    fx = await CustodyFixture.create(api, pharmacist.token, undefined, t.adminToken);
    const orders: string[] = [];
    for (let i = 0; i < 3; i++) orders.push(await fx.verifiedOrder((await fx.patient('W-CARD')).id));
    await fx.delivery('W-CARD', orders, 'checked');
  }, 90_000);
  afterAll(async () => {
    await t?.stop();
    await witness?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds the app’s latest checkpoint, cosigned by its own key; /health shows it', async () => {
    const a = await allSigned();
    const latest = await until('the witness to hold the latest checkpoint', async () => {
      const note = (await t.api('GET', '/api/audit/checkpoint', { token: t.adminToken })).text;
      const h = await held(witness.url);
      return h.status === 200 && h.text.startsWith(note) && { note, record: h.text };
    });
    expect(sizeOf(latest.note)).toBe(a.signedSize);
    // the record: the log's note plus one signature line by the witness's key
    const extra = latest.record.slice(latest.note.length);
    expect(extra).toMatch(/^\u2014 medloop-witness [A-Za-z0-9+/=]+\n$/);
    expect(openCheckpoint(latest.record, [parseVerifierKey(signer.verifierKey)], { origin: ORIGIN })).toMatchObject({
      ok: true,
      checkpoint: { treeSize: a.signedSize },
    });
    const wk = loadAnchorKeys({
      origin: 'medloop-witness',
      keyFile: join(dir, 'witness', 'witness.key'),
      publicKeysFile: null,
      variables: { keyFile: 'WITNESS_KEY_FILE', name: 'WITNESS_NAME' },
    });
    expect(verifyNote(latest.record, [parseVerifierKey(wk.signer.verifierKey)])).toMatchObject({ ok: true, verified: [{ name: 'medloop-witness' }] });
    const h = await until('health to show the witness ok', async () => {
      const x = await anchorHealth(t);
      return x.witnesses[0]?.status === 'ok' && x;
    });
    expect(h.http).toBe(200);
    expect(h.witnesses).toEqual([{ url: witness.url, status: 'ok', size: a.signedSize, lastOkAt: expect.any(String), failures: 0 }]);
    const metrics = await (await fetch(`${t.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`medloop_audit_witness_total\\{witness="${witness.url}",outcome="ok"\\} [1-9]`));
  }, 30_000);

  it('refuses a forked tree signed with the log’s own key (consistency proof failed) and keeps the good one', async () => {
    const before = await held(witness.url);
    const size = sizeOf(before.text);
    // another history: the same key signs a tree of other leaves, bigger than the one held
    const forked = new MerkleTree();
    for (let i = 0; i < size + 10; i++) forked.append(leafHash(`rewritten event ${i}`));
    const note = signCheckpoint({ origin: ORIGIN, treeSize: forked.size, rootHash: forked.root(), time: new Date() }, signer);
    const r = await post(
      witness.url,
      `old ${size}\n${forked
        .consistencyProof(size, forked.size)
        .map((h) => `${h.toString('base64')}\n`)
        .join('')}\n${note}`,
    );
    expect(r.status).toBe(422);
    expect(r.text).toContain(`consistency proof failed from ${size} to ${size + 10}`);
    // the same size with another root: a fork too
    const same = new MerkleTree();
    for (let i = 0; i < size; i++) same.append(leafHash(`other ${i}`));
    const r2 = await post(witness.url, `old ${size}\n\n${signCheckpoint({ origin: ORIGIN, treeSize: size, rootHash: same.root(), time: new Date() }, signer)}`);
    expect(r2.status).toBe(422);
    expect(r2.text).toContain('consistency proof failed');
    // a smaller tree: a log going backwards
    const smaller = new MerkleTree();
    for (let i = 0; i < size - 1; i++) smaller.append(leafHash(`e ${i}`));
    const r3 = await post(witness.url, `old ${size}\n\n${signCheckpoint({ origin: ORIGIN, treeSize: size - 1, rootHash: smaller.root() }, signer)}`);
    expect(r3.status).toBe(422);
    expect(r3.text).toContain('smaller');
    expect(await held(witness.url)).toEqual(before);
  });

  it('answers 409 with its size to a wrong old size, 403 to another key, 404 to another log', async () => {
    const h = await held(witness.url);
    const size = sizeOf(h.text);
    // the witness's own record is a note the log's key opens
    const note = h.text;
    for (const old of [0, size - 1, size + 1]) {
      const r = await post(witness.url, `old ${old}\n\n${note}`);
      expect(r).toEqual({ status: 409, type: 'text/x.tlog.size', text: `${size}\n` });
    }
    // another key under the log's name: not the log's key
    const impostor = generateNoteKey(ORIGIN);
    const tree = new MerkleTree();
    for (let i = 0; i < size + 1; i++) tree.append(leafHash(`x ${i}`));
    const foreign = signCheckpoint({ origin: ORIGIN, treeSize: tree.size, rootHash: tree.root() }, impostor);
    const r = await post(witness.url, `old ${size}\n\n${foreign}`);
    expect(r.status).toBe(403);
    expect(r.text).toContain('not signed by a known key');
    const other = generateNoteKey('medloop.elsewhere/custody');
    const r2 = await post(witness.url, `old 0\n\n${signCheckpoint({ origin: 'medloop.elsewhere/custody', treeSize: 1, rootHash: leafHash('y') }, other)}`);
    expect(r2.status).toBe(404);
    expect(await held(witness.url)).toEqual(h);
  });

  it('answers garbage 400 (or 413, 404, 405) and stays up', async () => {
    const h = await held(witness.url);
    const garbage: (string | Uint8Array)[] = [
      '',
      'hello',
      'old\n\n',
      'old 1\n\n',
      'old 1\nnot base64!\n\nx\n',
      `old 0\n\n${'x'.repeat(1000)}`,
      'old 0\n\nmedloop.witness-test/custody\n1\nAAAA\n\n\u2014 medloop.witness-test/custody AAAAAAAA\n',
      `old 0\n\n${h.text.replace('\u2014', '-')}`,
      `old 0\n\n${h.text}\u0000`,
      new Uint8Array([0x6f, 0x6c, 0x64, 0x20, 0x30, 0x0a, 0x0a, 0xff, 0xfe, 0xfd]),
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)),
    ];
    for (const body of garbage) {
      const r = await post(witness.url, body);
      expect({ body: String(body).slice(0, 40), status: r.status }).toEqual({ body: String(body).slice(0, 40), status: 400 });
    }
    expect((await post(witness.url, 'old 0\n\n' + 'a'.repeat(70 * 1024))).status).toBe(413);
    expect((await fetch(`${witness.url}/add-checkpoint`)).status).toBe(405);
    expect((await fetch(`${witness.url}/nothing`)).status).toBe(404);
    expect((await held(witness.url, 'medloop.unknown/custody')).status).toBe(404);
    expect((await fetch(`${witness.url}/checkpoint/%E0%A4%A`)).status).toBe(400);
    expect(await held(witness.url)).toEqual(h);
  });

  it('a witness down leaves /health 200, is counted and alarmed; back on the same port it restarts from its file and catches up', async () => {
    const before = await held(witness.url);
    const port = witness.port;
    await witness.close();
    await moreEvents();
    const down = await until('two failed pushes', async () => {
      const a = await anchorHealth(t);
      return a.witnesses[0]!.failures >= 2 && a;
    });
    expect(down.http).toBe(200);
    expect(down.status).toBe('up');
    expect(down.witnesses[0]).toMatchObject({ status: 'failing', size: sizeOf(before.text) });
    const alarms = (await t.api('GET', '/api/alarms?state=raised', { token: t.adminToken })).body as { type: string; severity: string }[];
    expect(alarms.filter((x) => x.type === 'audit.witness_unreachable')).toEqual([expect.objectContaining({ severity: 'warning' })]);
    expect(await (await fetch(`${t.baseUrl}/metrics`)).text()).toMatch(/medloop_audit_witness_total\{witness="[^"]+",outcome="unreachable"\} [1-9]/);

    witness = await runWitness({ ...witnessEnv, WITNESS_PORT: String(port) });
    // it holds what it held before it stopped
    expect(witness.held(ORIGIN)?.note).toBe(before.text);
    const signed = await allSigned();
    await until('the witness to catch up', async () => {
      const h = await held(witness.url);
      return sizeOf(h.text) === signed.signedSize && h;
    });
    const up = await until('the witness ok again', async () => {
      const a = await anchorHealth(t);
      return a.witnesses[0]!.status === 'ok' && a;
    });
    expect(up.witnesses[0]!.failures).toBe(0);
    const open = (await t.api('GET', '/api/alarms?state=raised', { token: t.adminToken })).body as { type: string }[];
    expect(open.filter((x) => x.type === 'audit.witness_unreachable')).toEqual([]);
  }, 40_000);

  it('a witness that holds a bigger tree of this log raises the conflict alarm; /health stays 200', async () => {
    // a second witness that was fed a forked tree bigger than the log: from nothing, any tree is consistent
    const other = await runWitness({ ...witnessEnv, WITNESS_DIR: join(dir, 'witness-2') });
    try {
      const a = await anchorHealth(t);
      const forked = new MerkleTree();
      for (let i = 0; i < a.treeSize + 50; i++) forked.append(leafHash(`another history ${i}`));
      const fed = await post(other.url, `old 0\n\n${signCheckpoint({ origin: ORIGIN, treeSize: forked.size, rootHash: forked.root() }, signer)}`);
      expect(fed.status).toBe(200);
      await t.stop();
      t = await startTestApp({ ...APP_ENV, WITNESS_URLS: `${witness.url},${other.url}` }, db);
      const h = await until('the conflict to show', async () => {
        const x = await anchorHealth(t);
        return x.witnesses[1]?.status === 'conflict' && x.witnesses[0]?.status === 'ok' && x;
      });
      expect(h.http).toBe(200);
      expect(h.witnesses[1]).toMatchObject({ url: other.url, size: forked.size });
      const alarms = (await t.api('GET', '/api/alarms?state=raised', { token: t.adminToken })).body as { type: string; severity: string; message: string }[];
      expect(alarms.filter((x) => x.type === 'audit.witness_conflict')).toEqual([expect.objectContaining({ severity: 'critical' })]);
      // the first witness still holds the log's own history
      expect(sizeOf((await held(witness.url)).text)).toBe(h.signedSize);
    } finally {
      await other.close();
    }
  }, 40_000);
});

/**
 * The point of a witness: whoever holds the database and the server's own files rewrites an
 * event, rehashes to the end and deletes the checkpoint file, so the server re-anchors the
 * rewritten log at its next boot. The witness still holds what was signed before: it refuses
 * the new tree, and GET /api/audit/verify, which asks it, says the database is not what it holds.
 */
describe('a witness against a rewrite that took the checkpoint file with it', () => {
  it('refuses the re-anchored tree and makes verify fail, naming the witness', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medloop-witness-rewrite-'));
    const db = await createTestDatabase();
    const keys = loadAnchorKeys({ origin: ORIGIN, keyFile: join(db.env['DATA_DIR']!, 'keys', 'custody.key'), publicKeysFile: null });
    const witness = await runWitness({ WITNESS_PORT: '0', WITNESS_DIR: join(dir, 'witness'), WITNESS_LOG_KEYS: keys.signer.verifierKey, LOG_LEVEL: 'silent' });
    let t = await startTestApp({ ...APP_ENV, WITNESS_URLS: witness.url }, db);
    try {
      const pharmacist = await t.userToken('pharmacist');
      const api = (token: string, method: string, path: string, body?: unknown) => t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
      const fx = await CustodyFixture.create(api, pharmacist.token, undefined, t.adminToken);
      for (let i = 0; i < 3; i++) await fx.verifiedOrder((await fx.patient('W-CARD')).id);
      const a = await until('the witness to hold every event', async () => {
        const x = await anchorHealth(t);
        return x.unsignedEvents === 0 && x.witnesses[0]?.status === 'ok' && x;
      });
      const before = (await t.api('GET', '/api/audit/verify', { token: t.adminToken })).body;
      expect(before).toMatchObject({ ok: true, witnesses: [{ url: witness.url, status: 'consistent', signedSize: a.signedSize }] });
      // the rewrite, the head moved, and the server's own anchor files gone
      const ds = t.cp.app.get(DataSource);
      await withoutAppendOnlyGuard(ds, async () => {
        await ds
          .createQueryBuilder()
          .update(CustodyEventEntity)
          .set({ actor: { type: 'user', id: 'nurse.framed' } })
          .where('seq = 3')
          .execute();
        await rehashFrom(ds, 3);
      });
      await t.stop();
      rmSync(join(db.env['DATA_DIR']!, 'checkpoints'), { recursive: true, force: true });
      t = await startTestApp({ ...APP_ENV, WITNESS_URLS: witness.url }, db);
      // the server anchored the rewritten log afresh; the witness will have none of it
      const h = await until('the witness to refuse the new tree', async () => {
        const x = await anchorHealth(t);
        return x.witnesses[0]?.status === 'conflict' && x;
      });
      expect(h.status).toBe('up');
      const report = (await t.api('GET', '/api/audit/verify', { token: t.adminToken })).body;
      expect(report).toMatchObject({ ok: false, chainOk: true, anchor: { status: 'consistent' }, witnesses: [{ url: witness.url, status: 'differs' }] });
      expect(sizeOf((await held(witness.url)).text)).toBe(a.signedSize);
    } finally {
      await t.stop();
      await witness.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
