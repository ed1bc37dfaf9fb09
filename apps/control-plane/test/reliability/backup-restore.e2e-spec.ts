/**
 * Backup and restore, round trip on a live database: the built server runs as a child process
 * and keeps recording custody events over HTTP while the built `backup` command copies its
 * database; the built `restore` command puts the copy into an empty data dir (SQLite) or an
 * empty schema (PostgreSQL with TEST_DATABASE_URL), verifies the whole custody chain and
 * reports the head; a server started on the restored database serves the same records and
 * its own chain verification agrees. A backup holding an edited custody event fails the
 * restore, which names the link and leaves the target empty; a non-empty target is refused.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { CustodyEventEntity, dataSourceOptions } from '#persistence';
import { waitForAsync } from '#testing';
import { withoutAppendOnlyGuard } from '../support/append-only.js';
import { createTestDatabase, type TestDatabase } from '../support/test-app.js';
import { loadConfig } from '../../src/config/config.js';
import { type Run, runNode } from './anchor-support.js';
import { CustodyFixture, ServerProcess } from './support.js';

const BACKUP = resolve('dist/apps/control-plane/src/backup/backup.js');
const RESTORE = resolve('dist/apps/control-plane/src/backup/restore.js');
const ADMIN_PASSWORD = `backup-admin-${randomBytes(6).toString('hex')}`;
const JWT_SECRET = randomBytes(32).toString('hex');
const onPostgres = !!process.env['TEST_DATABASE_URL'];

/** Runs a built command with only the given environment, from an empty directory (no .env). */
const runCommand = (script: string, args: string[], env: Record<string, string>, cwd: string): Promise<Run> => runNode(script, args, { cwd, env });

const BACKUP_LINE = /^backup (\/\S+): .* \((\d+) bytes\), custody chain head #(\d+) ([0-9a-f]{64})\n$/;
const RESTORE_LINE = /^restored \S+ into .*: custody chain verified, (\d+) events, head #(\d+) ([0-9a-f]{64})\n$/;

/** The database a test env names, opened beside the server (no migrations). */
async function openDatabase(env: Record<string, string>): Promise<DataSource> {
  const ds = new DataSource({ ...dataSourceOptions(loadConfig(env).database), migrationsRun: false } as DataSourceOptions);
  return ds.initialize();
}

/** What a target database holds: entries of the data dir, or tables of the schema. */
async function targetContents(env: Record<string, string>): Promise<string[]> {
  if (!onPostgres) return existsSync(env['DATA_DIR']!) ? readdirSync(env['DATA_DIR']!) : [];
  const ds = await new DataSource({ type: 'postgres', url: env['DATABASE_URL']! }).initialize();
  try {
    const rows = (await ds.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, [env['DATABASE_SCHEMA']])) as {
      table_name: string;
    }[];
    return rows.map((r) => r.table_name);
  } finally {
    await ds.destroy();
  }
}

async function stagingSchemas(): Promise<number> {
  if (!onPostgres) return 0;
  const ds = await new DataSource({ type: 'postgres', url: process.env['TEST_DATABASE_URL']! }).initialize();
  try {
    return Number((await ds.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname LIKE 'medloop_restore_%'`))[0].n);
  } finally {
    await ds.destroy();
  }
}

describe(`backup and restore of a live database (${onPostgres ? 'PostgreSQL' : 'SQLite'})`, () => {
  const databases: TestDatabase[] = [];
  const servers: ServerProcess[] = [];
  let workDir: string;

  const freshDatabase = async () => {
    const db = await createTestDatabase();
    databases.push(db);
    return db;
  };
  // no custody timer during the test (it would record slot_due events on its own): every
  // custody event comes from the HTTP calls below, so the restored server's chain stays put
  const startServer = async (db: TestDatabase) => {
    const s = await ServerProcess.start({ ...db.env, ADMIN_PASSWORD, JWT_SECRET, CUSTODY_TICK_MS: '3600000' });
    servers.push(s);
    return s;
  };
  /** a pharmacist on `server` and the custody fixture it drives */
  const pharmacy = async (server: ServerProcess) => {
    const admin = await server.login('admin', ADMIN_PASSWORD);
    const username = `pharm-${randomBytes(3).toString('hex')}`;
    const password = `pw-${randomBytes(10).toString('hex')}`;
    expect((await server.api('POST', '/api/users', { token: admin, body: { username, password, role: 'pharmacist' } })).status).toBe(201);
    const pharmacist = await server.login(username, password);
    const api = (token: string, method: string, path: string, body?: unknown) => server.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
    return { admin, fx: await CustodyFixture.create(api, pharmacist, undefined, admin) };
  };

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'medloop-backup-e2e-'));
  });

  afterAll(async () => {
    for (const s of servers) await s.kill9();
    for (const db of databases) await db.drop().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  });

  it('backs up while custody writes continue; the restore verifies the chain, and a server on it serves the same records', async () => {
    const sourceDb = await freshDatabase();
    const source = await startServer(sourceDb);
    const { admin, fx } = await pharmacy(source);
    const patient = await fx.patient('W-CARD');
    const orders = [await fx.verifiedOrder(patient.id), await fx.verifiedOrder(patient.id), await fx.verifiedOrder(patient.id)];
    const picked = await fx.delivery('W-CARD', [orders[0]!], 'picked');
    const checked = await fx.delivery('W-CARD', orders.slice(1), 'checked');

    // custody writes that go on before, during and after the backup (bounded in count), for
    // another patient, so the first one's records are complete before the backup starts
    const busy = await fx.patient('W-CARD');
    const acked: string[] = [];
    let stop = false;
    const writer = (async () => {
      for (let i = 0; i < 2000 && !stop; i++) acked.push(await fx.verifiedOrder(busy.id));
    })();
    try {
      await waitForAsync(async () => acked.length >= 3, 20_000, 'writes under way');
      const ackedBeforeBackup = [...acked];
      const backupDir = join(workDir, 'backups');
      const backup = await runCommand(BACKUP, [], { ...sourceDb.env, BACKUP_DIR: backupDir }, workDir);
      expect(backup).toMatchObject({ code: 0, stderr: '' });
      const [, file, bytes, seq, hash] = BACKUP_LINE.exec(backup.stdout) ?? [];
      expect(file).toBeDefined();
      expect(statSync(file!).size).toBe(Number(bytes));
      const afterBackup = acked.length;
      // the server kept writing after the copy was taken
      await waitForAsync(async () => acked.length >= afterBackup + 2, 20_000, 'writes after the backup');
      stop = true;
      await writer;
      await waitForAsync(async () => (await source.api('GET', '/api/audit/verify', { token: admin })).body?.ok === true, 10_000, 'source chain verifies');
      const live = (await source.api('GET', '/api/audit/verify', { token: admin })).body;
      expect(live.head.seq).toBeGreaterThan(Number(seq));

      // a consistent snapshot: the backup's head is the live chain's event at that position,
      // and it holds at least every write acknowledged before the backup started
      const sourceDs = await openDatabase(sourceDb.env);
      try {
        const atHead = await sourceDs.getRepository(CustodyEventEntity).findOneByOrFail({ seq: Number(seq) });
        expect(atHead.hash).toBe(hash);
      } finally {
        await sourceDs.destroy();
      }

      // restore into an empty data dir / schema
      const targetDb = await freshDatabase();
      const restore = await runCommand(RESTORE, [file!], targetDb.env, workDir);
      expect(restore).toMatchObject({ code: 0, stderr: '' });
      const [, events, restoredSeq, restoredHash] = RESTORE_LINE.exec(restore.stdout) ?? [];
      expect({ events: Number(events), seq: Number(restoredSeq), hash: restoredHash }).toEqual({ events: Number(seq), seq: Number(seq), hash });

      // a target that is no longer empty is refused, naming it
      const again = await runCommand(RESTORE, [file!], targetDb.env, workDir);
      expect(again.code).toBe(2);
      expect(again.stdout).toBe('');
      expect(again.stderr.trim().split('\n')).toHaveLength(1);
      expect(again.stderr).toContain(onPostgres ? `schema "${targetDb.env['DATABASE_SCHEMA']}"` : targetDb.env['DATA_DIR']!);
      expect(again.stderr).toContain('is not empty');

      // the server on the restored database: same chain, same records
      const restored = await startServer(targetDb);
      const rAdmin = await restored.login('admin', ADMIN_PASSWORD);
      // the restored server anchors the database as restored (a data dir of its own: no
      // checkpoint file yet, so it signs at boot), and its states replay
      expect((await restored.api('GET', '/api/audit/verify', { token: rAdmin })).body).toMatchObject({
        ok: true,
        chainOk: true,
        events: Number(seq),
        head: { seq: Number(seq), hash },
        states: { mismatches: [] },
      });
      const same = async (path: string) => {
        const [a, b] = await Promise.all([source.api('GET', path, { token: admin }), restored.api('GET', path, { token: rAdmin })]);
        expect([path, b.status]).toEqual([path, 200]);
        expect([path, b.body]).toEqual([path, a.body]);
      };
      for (const id of [...orders, ...ackedBeforeBackup]) await same(`/api/orders/${id}`);
      for (const d of [picked, checked]) {
        await same(`/api/deliveries/${d.id}`);
        for (const dose of d.doseIds) await same(`/api/doses/${dose}/timeline`);
      }
      await same(`/api/patients/${patient.id}/medication`);
      // nothing the backup could not have seen: every restored order exists on the source
      const restoredOrders = (await restored.api('GET', '/api/orders', { token: rAdmin })).body as { id: string }[];
      expect(restoredOrders.length).toBeGreaterThanOrEqual(orders.length + ackedBeforeBackup.length);
      const unknown: string[] = [];
      for (const o of restoredOrders) if ((await source.api('GET', `/api/orders/${o.id}`, { token: admin })).status !== 200) unknown.push(o.id);
      expect(unknown).toEqual([]);
      process.stdout.write(
        `backup-restore: backup of ${seq} events (${bytes} bytes) taken while writing; live chain at ${live.head.seq} afterwards; restored and verified\n`,
      );
    } finally {
      stop = true;
      await writer.catch(() => undefined);
    }
  }, 180_000);

  it('refuses to restore a backup whose custody event was edited, names the broken link and leaves the target empty', async () => {
    const sourceDb = await freshDatabase();
    const source = await startServer(sourceDb);
    const { fx } = await pharmacy(source);
    const patient = await fx.patient('W-CARD');
    for (let i = 0; i < 4; i++) await fx.verifiedOrder(patient.id);
    await source.stop();

    // an edit made behind the application's back, as in audit-tampering (the append-only
    // guard dropped first, as such an edit must)
    const ds = await openDatabase(sourceDb.env);
    try {
      const before = await ds.getRepository(CustodyEventEntity).count();
      expect(before).toBeGreaterThanOrEqual(8);
      await withoutAppendOnlyGuard(ds, () =>
        ds.createQueryBuilder().update(CustodyEventEntity).set({ location: 'ward:W-ELSEWHERE' }).where('seq = :seq', { seq: 5 }).execute(),
      );
    } finally {
      await ds.destroy();
    }

    const backup = await runCommand(BACKUP, [`--dir=${join(workDir, 'tampered')}`], sourceDb.env, workDir);
    expect(backup.code).toBe(0);
    const [, file] = BACKUP_LINE.exec(backup.stdout) ?? [];
    expect(file).toBeDefined();

    const stagingBefore = await stagingSchemas();
    const targetDb = await freshDatabase();
    const restore = await runCommand(RESTORE, [file!], targetDb.env, workDir);
    expect(restore.code).toBe(1);
    expect(restore.stdout).toBe('');
    expect(restore.stderr.trim().split('\n')).toHaveLength(1);
    expect(restore.stderr).toContain('broken at event #5 (hash_mismatch: event #5 was altered after it was recorded)');
    expect(restore.stderr).toContain('nothing restored');
    expect(await targetContents(targetDb.env)).toEqual([]);
    expect(await stagingSchemas()).toBe(stagingBefore);
  }, 120_000);
});
