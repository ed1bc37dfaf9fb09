/**
 * Proofs per dose and offline verification (issue #17). A dose's custody events come with their
 * inclusion proofs to the latest signed checkpoint (GET /api/doses/:id/proof), which an auditor
 * checks with the log's verifier key alone; its FHIR Provenance names that checkpoint; and
 * `npm run audit -- verify` checks a database against the checkpoint file with the server
 * stopped, naming the event a consistent rewrite changed.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { MEDLOOP_SYSTEMS, validateFhirBundle } from '#domain';
import { CustodyEventEntity, dataSourceOptions } from '#persistence';
import { type DoseProofBundle, verifyDoseProof } from '../../src/audit-anchor/dose-proof.js';
import { loadConfig } from '../../src/config/config.js';
import { withoutAppendOnlyGuard } from '../support/append-only.js';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from '../support/test-app.js';
import { allSigned, anchorHealth, rehashFrom, type Run, runNode } from './anchor-support.js';
import { CustodyFixture } from './support.js';

const CLI = resolve('dist/apps/control-plane/src/audit-anchor/audit-cli.js');
const ANCHOR_ENV = { CHECKPOINT_EVERY_EVENTS: '5', CHECKPOINT_EVERY_SECONDS: '1', SITE_ID: 'proof-test' };
const ORIGIN = 'medloop.proof-test/custody';

/** Runs the built CLI with no environment but PATH, from an empty directory (no .env, no DATA_DIR). */
const audit = (args: string[], cwd: string): Promise<Run> => runNode(CLI, args, { cwd });

/** Changes the actor of event `seq` and rehashes the chain to the end: the chain alone accepts it. */
async function frame(ds: DataSource, seq: number): Promise<void> {
  const victim = (await ds.getRepository(CustodyEventEntity).findOneBy({ seq }))!;
  await withoutAppendOnlyGuard(ds, async () => {
    await ds
      .createQueryBuilder()
      .update(CustodyEventEntity)
      .set({ actor: { ...victim.actor, id: 'nurse.framed' } })
      .where('seq = :seq', { seq })
      .execute();
    await rehashFrom(ds, seq);
  });
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const copy = (b: DoseProofBundle): DoseProofBundle => JSON.parse(JSON.stringify(b));

describe('dose proofs and the offline audit command', () => {
  let t: TestApp;
  let db: TestDatabase;
  let dir: string;
  let work: string;
  let doseId: string;
  let doseEvents: number[];
  let vkey: string;
  let dbArgs: string[];

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp(ANCHOR_ENV, db);
    dir = db.env['DATA_DIR']!;
    work = mkdtempSync(join(tmpdir(), 'medloop-audit-cli-'));
    const pharmacist = await t.userToken('pharmacist');
    const api = (token: string, method: string, path: string, body?: unknown) => t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
    const fx = await CustodyFixture.create(api, pharmacist.token, undefined, t.adminToken);
    const orders: string[] = [];
    for (let i = 0; i < 3; i++) orders.push(await fx.verifiedOrder((await fx.patient('W-CARD')).id));
    const delivery = await fx.delivery('W-CARD', orders, 'checked');
    doseId = delivery.doseIds[1]!;
    await allSigned(t);
    doseEvents = (
      await t.cp.app
        .get(DataSource)
        .getRepository(CustodyEventEntity)
        .find({ where: { doseId }, order: { seq: 'ASC' } })
    ).map((e) => e.seq);
    vkey = (await t.api('GET', '/api/audit/keys', { token: t.adminToken })).body.current.verifierKey;
    dbArgs = db.env['DATABASE_URL'] ? ['--db', db.env['DATABASE_URL'], '--schema', db.env['DATABASE_SCHEMA']!] : ['--db', join(dir, 'medloop.sqlite')];
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    await db?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('gives a dose’s events with inclusion proofs that verify offline with the published key alone', async () => {
    const r = await t.api('GET', `/api/doses/${doseId}/proof`, { token: t.adminToken });
    expect(r.status).toBe(200);
    const bundle = r.body as DoseProofBundle;
    const note = (await t.api('GET', '/api/audit/checkpoint', { token: t.adminToken })).text;
    expect(bundle).toMatchObject({ format: 'medloop-dose-proof/v1', origin: ORIGIN, doseId, checkpoint: note, unanchored: [] });
    expect(bundle.events.map((e) => e.seq)).toEqual(doseEvents);
    expect(doseEvents.length).toBeGreaterThanOrEqual(2);
    for (const e of bundle.events) expect(JSON.parse(e.content)).toMatchObject({ seq: e.seq, doseId });
    expect(verifyDoseProof(copy(bundle), [vkey])).toMatchObject({
      ok: true,
      doseId,
      events: doseEvents.length,
      treeSize: bundle.treeSize,
      keyId: vkey.split('+')[1],
    });

    // one byte flipped in a content, in a proof hash: refused, naming the event
    const content = copy(bundle);
    const ev = content.events[1]!;
    ev.content = ev.content.replace('"action":"', '"action":"x');
    expect(verifyDoseProof(content, [vkey])).toMatchObject({ ok: false, reason: 'not_included', seq: ev.seq });
    const proof = copy(bundle);
    const h = Buffer.from(proof.events[0]!.inclusionProof[0]!, 'base64');
    h[13] = h[13]! ^ 0x01;
    proof.events[0]!.inclusionProof[0] = h.toString('base64');
    expect(verifyDoseProof(proof, [vkey])).toMatchObject({ ok: false, reason: 'not_included', seq: proof.events[0]!.seq });

    // the same through the command, from files
    writeFileSync(join(work, 'proof.json'), JSON.stringify(bundle));
    writeFileSync(join(work, 'altered.json'), JSON.stringify(content));
    writeFileSync(join(work, 'keys.json'), JSON.stringify((await t.api('GET', '/api/audit/keys', { token: t.adminToken })).body));
    const ok = await audit(['verify-proof', 'proof.json', '--public-key', vkey], work);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toContain(`dose ${doseId}: ${doseEvents.length} custody event(s) proven`);
    expect((await audit(['verify-proof', 'proof.json', '--public-key', 'keys.json'], work)).code).toBe(0);
    const bad = await audit(['verify-proof', 'altered.json', '--public-key', vkey], work);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`not_included (event #${ev.seq})`);
  });

  it('ties the dose’s FHIR Provenance to the signed checkpoint, and the FHIR stays valid', async () => {
    const fhir = (await t.api('GET', `/api/doses/${doseId}/fhir`, { token: t.adminToken })).body;
    expect(validateFhirBundle(fhir)).toEqual([]);
    const cp = (await t.api('GET', '/api/audit/checkpoint', { token: t.adminToken, headers: { accept: 'application/json' } })).body;
    const provs = (fhir.entry as { resource: { resourceType: string; extension: { url: string; extension: { url: string; [k: string]: unknown }[] }[] } }[])
      .map((e) => e.resource)
      .filter((r) => r.resourceType === 'Provenance');
    expect(provs.length).toBeGreaterThanOrEqual(doseEvents.length);
    for (const p of provs) {
      const anchor = p.extension.find((x) => x.url === MEDLOOP_SYSTEMS.checkpointExtension);
      expect(anchor).toBeDefined();
      const parts = Object.fromEntries(
        anchor!.extension.map((x) => [x.url, x['valueString'] ?? x['valueInteger'] ?? x['valueBase64Binary'] ?? x['valueInstant']]),
      );
      const seq = p.extension[0]!.extension.find((x) => x.url === 'seq')!['valueInteger'] as number;
      expect(parts).toMatchObject({ origin: ORIGIN, treeSize: cp.treeSize, rootHash: cp.rootHash, time: cp.time, note: cp.note, leafIndex: seq - 1 });
      expect(cp.note.endsWith(`\n\n${parts['signature']}\n`)).toBe(true);
    }
  });

  it('refuses a proof the database no longer backs: an event rewritten behind the running server', async () => {
    // undone afterwards: the command is tested below on the database as the server left it
    const ds = t.cp.app.get(DataSource);
    const seq = doseEvents[1]!;
    const before = (await ds.getRepository(CustodyEventEntity).findOneBy({ seq }))!;
    await frame(ds, seq);
    try {
      const r = await t.api('GET', `/api/doses/${doseId}/proof`, { token: t.adminToken });
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ error: 'dose_proof_unverifiable', details: { reason: 'not_included', seq } });
      expect(r.text).toContain(`event #${seq}`);
    } finally {
      await withoutAppendOnlyGuard(ds, async () => {
        await ds.createQueryBuilder().update(CustodyEventEntity).set({ actor: before.actor }).where('seq = :seq', { seq }).execute();
        await rehashFrom(ds, seq);
      });
    }
    expect((await t.api('GET', `/api/doses/${doseId}/proof`, { token: t.adminToken })).status).toBe(200);
  });

  it('verifies the stopped server’s database against its checkpoint file, read-only, and names the event a consistent rewrite changed', async () => {
    await t.stop();
    const checkpoints = join(dir, 'checkpoints', 'custody.log');
    const args = ['verify', ...dbArgs, '--checkpoints', checkpoints, '--public-key', vkey];
    const sqlite = join(dir, 'medloop.sqlite');
    const beforeDb = db.env['DATABASE_URL'] ? null : sha(sqlite);

    const ok = await audit(args, work);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toContain('hash chain: intact');
    expect(ok.stdout).toContain('anchor: consistent');
    expect(ok.stdout).toContain('result: CONSISTENT');
    const json = await audit([...args, '--json'], work);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ ok: true, origin: ORIGIN, chain: { ok: true }, anchor: { status: 'consistent', unanchoredTail: 0 } });
    expect(report.anchor.signedSize).toBe(report.anchor.events);
    if (beforeDb) expect(sha(sqlite)).toBe(beforeDb);

    // a key that did not sign the file: the checkpoint does not open
    const other = (await import('#domain')).generateNoteKey(ORIGIN).verifierKey;
    const unknown = await audit(['verify', ...dbArgs, '--checkpoints', checkpoints, '--public-key', other], work);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain('anchor: KEY UNKNOWN');

    // the consistent rewrite: the chain verifies, the checkpoint names the event
    const ds = await new DataSource({ ...dataSourceOptions(loadConfig({ ...db.env }).database), migrationsRun: false } as DataSourceOptions).initialize();
    const seq = doseEvents[1]!;
    try {
      await frame(ds, seq);
    } finally {
      await ds.destroy();
    }
    const rewritten = await audit(args, work);
    expect(rewritten.code).toBe(1);
    expect(rewritten.stdout).toContain('hash chain: intact');
    expect(rewritten.stdout).toContain(`anchor: DIFFERS: first differing event #${seq}`);
    expect(rewritten.stdout).toContain('result: NOT CONSISTENT');
    expect(JSON.parse((await audit([...args, '--json'], work)).stdout)).toMatchObject({ ok: false, anchor: { status: 'differs', firstDifference: { seq } } });

    // restarted on the rewritten database the anchor fails: no proof, and the FHIR names no checkpoint
    t = await startTestApp(ANCHOR_ENV, db);
    expect(await anchorHealth(t)).toMatchObject({ status: 'failed' });
    const refused = await t.api('GET', `/api/doses/${doseId}/proof`, { token: t.adminToken });
    expect(refused).toMatchObject({ status: 409, body: { error: 'anchor_failed', details: { reason: 'root_mismatch' } } });
    const fhir = JSON.stringify((await t.api('GET', `/api/doses/${doseId}/fhir`, { token: t.adminToken })).body);
    expect(fhir).toContain(MEDLOOP_SYSTEMS.custodyExtension);
    expect(fhir).not.toContain(MEDLOOP_SYSTEMS.checkpointExtension);

    // what cannot run says so, with status 2
    const missing = await audit(['verify', ...dbArgs, '--checkpoints', join(work, 'absent.log'), '--public-key', vkey], work);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('absent.log cannot be read');
  }, 60_000);
});
