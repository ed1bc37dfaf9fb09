/**
 * The custody log anchored outside the database (issue #17). Before: whoever could write to the
 * database and knew the hash rule rewrote history consistently — deleted the last events and
 * moved the head, or changed an actor and rehashed to the end — and /api/audit/verify said ok,
 * before and after a restart. Now the server signs checkpoints of an RFC 9162 Merkle tree over
 * the events (Ed25519, the key in a 0600 file outside the database) into an append-only file
 * of its own; at boot the tree rebuilt from the database must agree with the last checkpoint,
 * or the anchor is failed: /health 503, the critical alarm, and nothing more is signed.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { chainHash, MerkleTree, openCheckpoint, parseVerifierKey } from '#domain';
import { CustodyChainHeadEntity, CustodyEventEntity } from '#persistence';
import { custodyLeaf } from '../../src/audit-anchor/anchor-check.js';
import { eventContent } from '../../src/custody/chain-verify.js';
import { parseCheckpointFile } from '../../src/audit-anchor/checkpoint-file.js';
import { withoutAppendOnlyGuard } from '../support/append-only.js';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from '../support/test-app.js';
import { allSigned, anchorHealth, rehashFrom } from './anchor-support.js';
import { CustodyFixture, sleep } from './support.js';

const ANCHOR_ENV = { CHECKPOINT_EVERY_EVENTS: '5', CHECKPOINT_EVERY_SECONDS: '1', SITE_ID: 'anchor-test' };
const ORIGIN = 'medloop.anchor-test/custody';

/** An app on its own database with a populated custody log, every event signed. */
async function populated(): Promise<{ t: TestApp; db: TestDatabase; dir: string }> {
  const db = await createTestDatabase();
  const t = await startTestApp(ANCHOR_ENV, db);
  const pharmacist = await t.userToken('pharmacist');
  const api = (token: string, method: string, path: string, body?: unknown) => t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
  const fx = await CustodyFixture.create(api, pharmacist.token, undefined, t.adminToken);
  const orders: string[] = [];
  for (let i = 0; i < 3; i++) orders.push(await fx.verifiedOrder((await fx.patient('W-CARD')).id));
  await fx.delivery('W-CARD', orders, 'checked');
  await allSigned(t);
  return { t, db, dir: db.env['DATA_DIR']! };
}

const checkpoints = (dir: string) => parseCheckpointFile(readFileSync(join(dir, 'checkpoints', 'custody.log'), 'utf8')).notes;

describe('custody log anchored by signed checkpoints', () => {
  let t: TestApp;
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    ({ t, db, dir } = await populated());
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    await db?.drop();
  });

  it('signs checkpoints that open with the published key and commit to the database’s events', async () => {
    const keys = (await t.api('GET', '/api/audit/keys', { token: t.adminToken })).body;
    expect(keys).toMatchObject({ origin: ORIGIN, current: { name: ORIGIN }, retired: [] });
    const notes = checkpoints(dir);
    expect(notes.length).toBeGreaterThanOrEqual(2);
    const vkey = parseVerifierKey(keys.current.verifierKey);
    const events = await t.cp.app
      .get(DataSource)
      .getRepository(CustodyEventEntity)
      .find({ order: { seq: 'ASC' } });
    const tree = new MerkleTree();
    for (const e of events) tree.append(custodyLeaf(e));
    let size = 0;
    for (const note of notes) {
      const opened = openCheckpoint(note, [vkey], { origin: ORIGIN });
      expect(opened.ok).toBe(true);
      if (!opened.ok) return;
      // each a later tree head, and the root of the events as stored
      expect(opened.checkpoint.treeSize).toBeGreaterThan(size);
      size = opened.checkpoint.treeSize;
      expect(opened.checkpoint.rootHash.equals(tree.root(size))).toBe(true);
    }
    expect(size).toBe(events.length);
    // served as the file holds it, and as fields
    const text = await t.api('GET', '/api/audit/checkpoint', { token: t.adminToken });
    expect(text.text).toBe(notes[notes.length - 1]);
    const json = await t.api('GET', '/api/audit/checkpoint', { token: t.adminToken, headers: { accept: 'application/json' } });
    expect(json.body).toMatchObject({ origin: ORIGIN, treeSize: size, keyName: ORIGIN, keyId: keys.current.keyId, anchor: { status: 'up' } });
    // the key: a file only the server's user reads, never answered
    expect(statSync(join(dir, 'keys', 'custody.key')).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(keys)).not.toContain('PRIVATE');
  });

  it('fails the anchor at restart after a consistent rewrite the hash chain alone accepts, and signs nothing more', async () => {
    const ds = t.cp.app.get(DataSource);
    const victim = (await ds.getRepository(CustodyEventEntity).find({ order: { seq: 'ASC' } }))[7]!;
    // the database refuses the edit (append-only triggers): the attacker drops them first
    await withoutAppendOnlyGuard(ds, async () => {
      await ds
        .createQueryBuilder()
        .update(CustodyEventEntity)
        .set({ actor: { ...victim.actor, id: 'nurse.framed' } })
        .where('seq = :seq', { seq: victim.seq })
        .execute();
      await rehashFrom(ds, victim.seq);
    });
    // the chain is consistent again: the database alone cannot tell; the checkpoints can, and
    // the leaves file they sign names the event
    const report = (await t.api('GET', '/api/audit/verify', { token: t.adminToken })).body;
    expect(report).toMatchObject({ ok: false, chainOk: true, anchor: { status: 'differs', firstDifference: { seq: victim.seq } } });
    expect(report.anchor.detail).toContain(`event #${victim.seq} is not the event signed`);
    await t.stop();
    const signedBefore = checkpoints(dir).length;
    t = await startTestApp(ANCHOR_ENV, db);
    const health = await t.api('GET', '/health');
    expect(health.status).toBe(503);
    expect(health.body.checks.anchor).toMatchObject({ status: 'failed', reason: 'root_mismatch' });
    const alarms = (await t.api('GET', '/api/alarms?state=raised', { token: t.adminToken })).body as { type: string; severity: string }[];
    expect(alarms.filter((a) => a.type === 'audit.anchor_mismatch')).toEqual([expect.objectContaining({ severity: 'critical' })]);
    // new custody events go on being recorded, but no checkpoint vouches for the rewritten history
    const pharmacist = await t.userToken('pharmacist');
    const api = (token: string, method: string, path: string, body?: unknown) => t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
    const fx = await CustodyFixture.create(api, pharmacist.token, '0950600013442', t.adminToken);
    await fx.verifiedOrder((await fx.patient('W-CARD')).id);
    await sleep(2500);
    expect(checkpoints(dir).length).toBe(signedBefore);
    expect(await anchorHealth(t)).toMatchObject({ status: 'failed' });
  }, 60_000);
});

describe('custody log anchored by signed checkpoints: truncation and the key', () => {
  it('fails the anchor when signed events were deleted and the head moved back', async () => {
    const { t, db } = await populated();
    let app = t;
    try {
      const ds = app.cp.app.get(DataSource);
      const events = await ds.getRepository(CustodyEventEntity).find({ order: { seq: 'ASC' } });
      const keep = events.length - 3;
      await withoutAppendOnlyGuard(ds, () => ds.getRepository(CustodyEventEntity).delete(events.slice(keep).map((e) => ({ seq: e.seq }))));
      await ds
        .createQueryBuilder()
        .update(CustodyChainHeadEntity)
        .set({ seq: events[keep - 1]!.seq, hash: events[keep - 1]!.hash })
        .execute();
      const report = (await app.api('GET', '/api/audit/verify', { token: app.adminToken })).body;
      expect(report).toMatchObject({ ok: false, chainOk: true, anchor: { status: 'missing', missing: { fromSeq: keep + 1, toSeq: events.length } } });
      await app.stop();
      app = await startTestApp(ANCHOR_ENV, db);
      expect(await anchorHealth(app)).toMatchObject({ status: 'failed', reason: 'log_shorter_than_checkpoint', treeSize: keep, signedSize: events.length });
    } finally {
      await app.stop();
      await db.drop();
    }
  }, 60_000);

  it('names the first event of a deletion mid-log renumbered and rehashed to the end', async () => {
    const { t, db } = await populated();
    try {
      const ds = t.cp.app.get(DataSource);
      const events = await ds.getRepository(CustodyEventEntity).find({ order: { seq: 'ASC' } });
      await withoutAppendOnlyGuard(ds, async () => {
        await ds.getRepository(CustodyEventEntity).delete({ seq: 8 });
        for (const e of events.slice(8))
          await ds
            .createQueryBuilder()
            .update(CustodyEventEntity)
            .set({ seq: e.seq - 1 })
            .where('seq = :seq', { seq: e.seq })
            .execute();
        await rehashFrom(ds, 8);
      });
      const report = (await t.api('GET', '/api/audit/verify', { token: t.adminToken })).body;
      expect(report).toMatchObject({ ok: false, chainOk: true, anchor: { status: 'missing', firstDifference: { seq: 8 } } });
    } finally {
      await t.stop();
      await db.drop();
    }
  }, 60_000);

  it('reports events after the last checkpoint as an unanchored tail (the window no checkpoint vouches for)', async () => {
    const db = await createTestDatabase();
    // checkpoints only at shutdown and boot here: the tail stays unsigned while the test looks
    const env = { ...ANCHOR_ENV, CHECKPOINT_EVERY_EVENTS: '100000', CHECKPOINT_EVERY_SECONDS: '3600' };
    let app = await startTestApp(env, db);
    try {
      const pharmacist = await app.userToken('pharmacist');
      const api = (token: string, method: string, path: string, body?: unknown) => app.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
      const fx = await CustodyFixture.create(api, pharmacist.token, undefined, app.adminToken);
      await fx.verifiedOrder((await fx.patient('W-CARD')).id);
      await app.stop(); // signs what is there
      app = await startTestApp(env, db);
      const signed = (await anchorHealth(app)).signedSize;
      const fx2 = await CustodyFixture.create(api, (await app.userToken('pharmacist')).token, '0950600013442', app.adminToken);
      await fx2.verifiedOrder((await fx2.patient('W-CARD')).id);
      const report = (await app.api('GET', '/api/audit/verify', { token: app.adminToken })).body;
      expect(report.ok).toBe(true);
      expect(report.anchor).toMatchObject({ status: 'consistent', signedSize: signed });
      expect(report.anchor.unanchoredTail).toBe(report.events - signed);
      expect(report.anchor.unanchoredTail).toBeGreaterThan(0);
      expect(report.anchor.detail).toContain(`unanchored tail: ${report.anchor.unanchoredTail} event(s)`);
    } finally {
      await app.stop();
      await db.drop();
    }
  }, 60_000);

  it('agrees with its checkpoints across a restart, and refuses to start with a key others may read', async () => {
    const { t, db, dir } = await populated();
    let app = t;
    try {
      await app.stop();
      app = await startTestApp(ANCHOR_ENV, db);
      expect(await anchorHealth(app)).toMatchObject({ status: 'up', unsignedEvents: 0 });
      expect((await app.api('GET', '/health')).status).toBe(200);
      await app.stop();
      chmodSync(join(dir, 'keys', 'custody.key'), 0o644);
      await expect(startTestApp(ANCHOR_ENV, db)).rejects.toThrow(/AUDIT_KEY_FILE.*readable by group or others/s);
    } finally {
      await app.stop();
      await db.drop();
    }
  }, 60_000);
});

/** A forged event, chain-consistent, appended in the database (INSERT is not refused) with the head moved. */
async function appendForged(ds: DataSource): Promise<number> {
  const last = (await ds.getRepository(CustodyEventEntity).find({ order: { seq: 'DESC' }, take: 1 }))[0]!;
  const forged: CustodyEventEntity = {
    ...last,
    seq: last.seq + 1,
    id: randomUUID(),
    at: new Date(),
    action: 'administered',
    actor: { type: 'user', id: 'nurse.framed', role: 'nurse' },
    prevHash: last.hash,
    hash: '',
  };
  forged.hash = chainHash(last.hash, eventContent(forged));
  await ds.getRepository(CustodyEventEntity).insert(forged);
  await ds.createQueryBuilder().update(CustodyChainHeadEntity).set({ seq: forged.seq, hash: forged.hash }).execute();
  return forged.seq;
}

describe('custody log anchored by signed checkpoints: the file and events behind the server’s back', () => {
  it('refuses a checkpoint file rolled back to an older record, at runtime and at boot', async () => {
    const { t, db, dir } = await populated();
    let app = t;
    try {
      const file = join(dir, 'checkpoints', 'custody.log');
      const notes = checkpoints(dir);
      // a copy of the first record appended: the file's last checkpoint is now an old one
      appendFileSync(file, `${notes[0]}\n`);
      let report = (await app.api('GET', '/api/audit/verify', { token: app.adminToken })).body;
      expect(report).toMatchObject({ ok: false, anchor: { status: 'unverifiable' } });
      expect(report.anchor.detail).toContain('rolled back or spliced');
      await app.stop();
      app = await startTestApp(ANCHOR_ENV, db);
      expect(await anchorHealth(app)).toMatchObject({ http: 503, status: 'failed', reason: 'checkpoint_rolled_back' });
      // the file cut back to its first record while the server runs: it knows what it signed
      await app.stop();
      writeFileSync(file, notes.slice(0, -1).join('\n') + '\n');
      app = await startTestApp(ANCHOR_ENV, db);
      expect(await anchorHealth(app)).toMatchObject({ status: 'up' });
      await allSigned(app);
      writeFileSync(file, `${notes[0]}\n`);
      report = (await app.api('GET', '/api/audit/verify', { token: app.adminToken })).body;
      expect(report).toMatchObject({ ok: false, anchor: { status: 'unverifiable' } });
      expect(report.anchor.detail).toContain('holds less than this server signed');
    } finally {
      await app.stop();
      await db.drop();
    }
  }, 60_000);

  it('signs no event inserted behind the server’s back, running or stopped', async () => {
    const { t, db } = await populated();
    const app = t;
    try {
      const seq = await appendForged(app.cp.app.get(DataSource));
      // within two rounds (CHECKPOINT_EVERY_SECONDS=1)
      for (let i = 0; i < 50 && (await anchorHealth(app)).status !== 'failed'; i++) await sleep(100);
      const h = await anchorHealth(app);
      expect(h).toMatchObject({ http: 503, status: 'failed', reason: 'unannounced_events' });
      expect(h.signedSize).toBeLessThan(seq);
      await app.stop();
      // after a clean shutdown, an event found beyond its checkpoint was written by someone else:
      // inserted here just before the stop, with no round in between to notice it, it is not in
      // the tree the shutdown checkpoint (marked `stopped`) signs
      const db2 = await createTestDatabase();
      let other = await startTestApp({ ...ANCHOR_ENV, CHECKPOINT_EVERY_SECONDS: '3600' }, db2);
      try {
        const pharmacist = await other.userToken('pharmacist');
        const api = (token: string, method: string, path: string, body?: unknown) =>
          other.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
        const fx = await CustodyFixture.create(api, pharmacist.token, undefined, other.adminToken);
        await fx.verifiedOrder((await fx.patient('W-CARD')).id);
        await appendForged(other.cp.app.get(DataSource));
        await other.stop();
        other = await startTestApp(ANCHOR_ENV, db2);
        expect(await anchorHealth(other)).toMatchObject({ http: 503, status: 'failed', reason: 'unannounced_events' });
      } finally {
        await other.stop();
        await db2.drop();
      }
    } finally {
      await app.stop();
      await db.drop();
    }
  }, 90_000);

  it('raises audit.anchored_afresh when it finds events and no checkpoint file', async () => {
    const { t, db, dir } = await populated();
    let app = t;
    try {
      await app.stop();
      rmSync(join(dir, 'checkpoints'), { recursive: true, force: true });
      app = await startTestApp(ANCHOR_ENV, db);
      const alarms = (await app.api('GET', '/api/alarms?state=raised', { token: app.adminToken })).body as { type: string; severity: string }[];
      expect(alarms.filter((a) => a.type === 'audit.anchored_afresh')).toEqual([expect.objectContaining({ severity: 'warning' })]);
    } finally {
      await app.stop();
      await db.drop();
    }
  }, 60_000);
});
