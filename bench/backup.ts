/**
 * Backup and restore: how long `npm run backup` and `npm run restore` (the built commands, run
 * as an operator runs them: a fresh Node process each) take on a database of N custody
 * events, on SQLite and on PostgreSQL (127.0.0.1:5432, database `test`, fresh schemas dropped
 * afterwards), and what a backup costs the writers while it runs.
 *   - populate: N hash-chained custody events, written straight through CustodyRepository in
 *     transactions of `--batch` events (realistic evidence payloads), on a migrated database
 *   - backup (idle): the backup command; reference in the same run: a plain copy of the file
 *     (SQLite, after a checkpoint) or pg_dump alone (PostgreSQL), and `backup --help` (the
 *     command's fixed start-up cost)
 *   - restore + verify: the restore command into an empty data dir / schema (copy or load,
 *     integrity check, whole-chain re-hash, put in place); reference: the chain verification
 *     alone, in-process, on the restored database
 *   - backup under load: one writer appending 1 event per transaction, awaited, in this
 *     process, measured alone, while `backup --help` runs (the share of a Node process
 *     starting on the same cores) and while the backup command runs; the backup taken under
 *     load is restored and must verify with the head it printed
 *
 *   node dist/bench/backup.js [--smoke] [--events=200000] [--batch=500]
 *        [--databases=sqlite,postgres] [--pg-url=postgres://postgres@127.0.0.1:5432/test]
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { chainHash, GENESIS_HASH } from '#domain';
import { CustodyRepository, dataSourceOptions, ensurePostgresSchema, type CustodyEventEntity, type DatabaseSettings } from '#persistence';
import { eventContent, verifyCustodyChain } from '../apps/control-plane/src/custody/chain-verify.js';
import { num, parseArgs, str } from './lib/args.js';
import { canConnect } from './lib/ports.js';
import { fmtBytes, Recorder, repoRoot } from './lib/results.js';
import { ratio, round, summarize } from './lib/stats.js';
import { printTable } from './lib/table.js';

const args = parseArgs();
const smoke = args.smoke;
const P = {
  events: num(args, 'events', 200_000, 5_000),
  batch: num(args, 'batch', 500, 500),
  databases: str(args, 'databases', 'sqlite,postgres').split(','),
  pgUrl: str(args, 'pg-url', 'postgres://postgres@127.0.0.1:5432/test'),
  /** a command that runs longer than this is killed and the scenario fails */
  commandCapMs: smoke ? 60_000 : 600_000,
  writerMaxEvents: 2_000_000,
};
const tag = randomBytes(3).toString('hex');
const rec = new Recorder('backup', 'Backup and restore', smoke ? 'smoke' : 'full', { ...P, tag });
const COMMANDS = join(repoRoot(), 'dist', 'apps', 'control-plane', 'src', 'backup');

type Head = { seq: number; hash: string };

/** A custody event as the ledger would write it, with evidence the size of a real pick. */
function chained(prev: Head, i: number): CustodyEventEntity {
  const seq = prev.seq + 1;
  const e: CustodyEventEntity = {
    seq,
    id: randomUUID(),
    at: new Date(),
    doseId: randomUUID(),
    deliveryId: randomUUID(),
    orderId: randomUUID(),
    action: 'picked',
    fromState: 'verified',
    toState: 'picked',
    actor: { type: 'user', id: randomUUID(), role: 'pharmacist' },
    location: `pharmacy:bench-${i % 8}`,
    ward: null,
    evidence: { scan: { gtin: '09506000134352', serial: `S-${i}`, lot: 'LOT42', expiry: '2027-12-31' }, compartment: `C${i % 4}`, note: 'backup benchmark' },
    prevHash: prev.hash,
    hash: '',
  };
  e.hash = chainHash(prev.hash, eventContent(e));
  return e;
}

async function append(repo: CustodyRepository, head: Head, n: number, base: number): Promise<Head> {
  const events: CustodyEventEntity[] = [];
  let h = head;
  for (let k = 0; k < n; k++) {
    const e = chained(h, base + k);
    events.push(e);
    h = { seq: e.seq, hash: e.hash };
  }
  await repo.transaction((tx) => tx.appendEvents(events, h));
  return h;
}

type Run = { code: number | null; stdout: string; stderr: string; seconds: number };

function command(script: 'backup' | 'restore', cmdArgs: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(COMMANDS, `${script}.js`), ...cmdArgs], { cwd, env: { PATH: process.env['PATH'] ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), P.commandCapMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

function backupLine(r: Run, what: string): { path: string; bytes: number; head: Head } {
  const m = /^backup (\/\S+): .* \((\d+) bytes\), custody chain head #(\d+) (\S+)/.exec(r.stdout);
  if (r.code !== 0 || !m) throw new Error(`${what}: exit ${r.code}: ${r.stdout}${r.stderr}`);
  return { path: m[1]!, bytes: Number(m[2]), head: { seq: Number(m[3]), hash: m[4]! } };
}

function restoreLine(r: Run, what: string): { events: number; head: Head } {
  const m = /custody chain verified, (\d+) events, head #(\d+) (\S+)/.exec(r.stdout);
  if (r.code !== 0 || !m) throw new Error(`${what}: exit ${r.code}: ${r.stdout}${r.stderr}`);
  return { events: Number(m[1]), head: { seq: Number(m[2]), hash: m[3]! } };
}

function runTool(cmd: string, cmdArgs: string[]): Promise<{ code: number | null; seconds: number; stderr: string }> {
  const t0 = performance.now();
  const child = spawn(cmd, cmdArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), P.commandCapMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, seconds: (performance.now() - t0) / 1000, stderr });
    });
  });
}

async function dropSchemas(url: string, schemas: string[]): Promise<void> {
  const admin = new DataSource({ type: 'postgres', url });
  await admin.initialize();
  try {
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await admin.destroy();
  }
}

interface DbResult {
  main: Record<string, string | number | null>;
  load: Record<string, string | number | null>;
  ok: boolean;
}

async function scenario(db: 'sqlite' | 'postgres'): Promise<DbResult | null> {
  const work = mkdtempSync(join(tmpdir(), 'medloop-bench-backup-'));
  const schemas = [`bench_backup_${tag}`, `bench_backup_${tag}_r1`, `bench_backup_${tag}_r2`];
  let source: DatabaseSettings;
  let env: (i: 0 | 1 | 2) => Record<string, string>;
  if (db === 'sqlite') {
    source = { type: 'sqlite', path: join(work, 'data0', 'medloop.sqlite') };
    env = (i) => ({ DATA_DIR: join(work, `data${i}`) });
  } else {
    const u = new URL(P.pgUrl);
    if (!(await canConnect(Number(u.port || 5432), u.hostname))) {
      rec.note(`PostgreSQL is not reachable at ${u.host}: skipped`);
      rmSync(work, { recursive: true, force: true });
      return null;
    }
    source = { type: 'postgres', url: P.pgUrl, schema: schemas[0]! };
    await ensurePostgresSchema(source);
    env = (i) => ({ DATABASE_URL: P.pgUrl, DATABASE_SCHEMA: schemas[i]! });
  }
  const ds = new DataSource(dataSourceOptions(source));
  try {
    mkdirSync(join(work, 'data0'), { recursive: true });
    await ds.initialize(); // the app's migrations
    const repo = new CustodyRepository(ds);
    let head: Head = { seq: 0, hash: GENESIS_HASH };
    const tp = performance.now();
    for (let done = 0; done < P.events; done += P.batch) head = await append(repo, head, Math.min(P.batch, P.events - done), done);
    const populateS = (performance.now() - tp) / 1000;
    console.log(`${db}: ${P.events} events written in ${populateS.toFixed(1)} s`);

    // reference: what a plain copy costs (SQLite, checkpointed so the file holds everything) or pg_dump alone
    let refS: number;
    let refWhat: string;
    if (source.type === 'sqlite') {
      await ds.query('PRAGMA wal_checkpoint(TRUNCATE)');
      const t = performance.now();
      copyFileSync(source.path, join(work, 'plain-copy.sqlite'));
      refS = (performance.now() - t) / 1000;
      refWhat = `file copy, ${fmtBytes(statSync(source.path).size)}`;
    } else {
      const u = new URL(P.pgUrl);
      const r = await runTool('pg_dump', ['--format=custom', `--schema=${schemas[0]}`, `--file=${join(work, 'plain.pgdump')}`, `--dbname=${u.toString()}`]);
      if (r.code !== 0) throw new Error(`pg_dump: ${r.stderr}`);
      refS = r.seconds;
      refWhat = 'pg_dump alone';
    }
    const startup = await command('backup', ['--help'], env(0), work);

    const b = await command('backup', [`--dir=${join(work, 'backups')}`], env(0), work);
    const backup = backupLine(b, `${db} backup`);
    const headOk = backup.head.seq === head.seq && backup.head.hash === head.hash;
    console.log(`${db}: backup ${b.seconds.toFixed(2)} s, ${fmtBytes(backup.bytes)}, head #${backup.head.seq} ${headOk ? 'as written' : 'DIFFERS'}`);

    const r = await command('restore', [backup.path], env(1), work);
    const restored = restoreLine(r, `${db} restore`);
    const restoreOk = restored.events === P.events && restored.head.hash === head.hash;
    console.log(`${db}: restore + verify ${r.seconds.toFixed(2)} s, ${restored.events} events verified`);

    // the verification alone, in-process, on the restored database
    const restoredAt: DatabaseSettings =
      source.type === 'sqlite' ? { type: 'sqlite', path: join(work, 'data1', 'medloop.sqlite') } : { type: 'postgres', url: P.pgUrl, schema: schemas[1]! };
    const restoredDs = new DataSource({ ...dataSourceOptions(restoredAt), migrationsRun: false });
    await restoredDs.initialize();
    const tv = performance.now();
    const report = await verifyCustodyChain(new CustodyRepository(restoredDs));
    const verifyS = (performance.now() - tv) / 1000;
    await restoredDs.destroy();

    // the writer alone, then the same writer while a backup runs
    let writing = true;
    let latencies: number[] = [];
    const writer = async (seconds: number | null): Promise<number> => {
      let n = 0;
      latencies = [];
      const deadline = seconds === null ? Infinity : performance.now() + seconds * 1000;
      const hardStop = performance.now() + P.commandCapMs;
      while (writing && performance.now() < deadline && performance.now() < hardStop && n < P.writerMaxEvents) {
        const t = performance.now();
        head = await append(repo, head, 1, P.events + n);
        latencies.push(performance.now() - t);
        n++;
        // better-sqlite3 answers synchronously: without a turn of the event loop this loop
        // would starve everything else in the process (the backup command's exit included),
        // as a server never does between two requests
        await new Promise((r) => setImmediate(r));
      }
      return n;
    };
    const window = Math.max(1, Math.min(b.seconds, smoke ? 2 : 10));
    const tw = performance.now();
    const alone = await writer(window);
    const aloneRate = alone / ((performance.now() - tw) / 1000);
    const aloneLatency = summarize(latencies);
    // the share of Node start-up: the same writer while `backup --help` starts and exits
    writing = true;
    const ts = performance.now();
    const startupWriter = writer(null);
    await command('backup', ['--help'], env(0), work);
    writing = false;
    const startupRate = (await startupWriter) / ((performance.now() - ts) / 1000);
    writing = true;
    const tl = performance.now();
    const during = writer(null);
    const lb = await command('backup', [`--dir=${join(work, 'backups')}`], env(0), work);
    writing = false;
    const duringN = await during;
    const duringRate = duringN / ((performance.now() - tl) / 1000);
    const duringLatency = summarize(latencies);
    const loaded = backupLine(lb, `${db} backup under load`);
    const lr = await command('restore', [loaded.path], env(2), work);
    const loadedRestore = restoreLine(lr, `${db} restore of the backup taken under load`);
    const loadOk = loadedRestore.head.seq === loaded.head.seq && loadedRestore.head.hash === loaded.head.hash && loaded.head.seq > P.events;
    console.log(
      `${db}: writer ${Math.round(aloneRate)} events/s alone, ${Math.round(duringRate)} during a ${lb.seconds.toFixed(2)} s backup; that backup restores (${loadOk ? 'ok' : 'FAILED'})`,
    );

    rec.target(`${db}: backup holds the head written`, 'yes', headOk ? 'yes' : 'no', headOk);
    rec.target(`${db}: restore verifies every event`, `${P.events}`, restored.events, restoreOk && report.ok);
    rec.target(`${db}: a backup taken under writes restores and verifies`, 'yes', loadOk ? 'yes' : 'no', loadOk);
    rec.raw[db] = { populateS, refS, startupS: startup.seconds, backup: b, restore: r, verifyS, alone, duringN, loadedBackup: lb, loadedRestore: lr };
    return {
      ok: headOk && restoreOk && report.ok && loadOk,
      main: {
        database: db,
        events: P.events,
        'backup size': fmtBytes(backup.bytes),
        'backup s': round(b.seconds, 2),
        'backup events/s': Math.round(P.events / b.seconds),
        'backup MB/s': round(backup.bytes / 1e6 / b.seconds, 1),
        'reference s': round(refS, 2),
        reference: refWhat,
        'backup / ref': round(ratio(b.seconds, refS), 1),
        'start-up s': round(startup.seconds, 2),
        'restore+verify s': round(r.seconds, 2),
        'restore events/s': Math.round(P.events / r.seconds),
        'verify alone s': round(verifyS, 2),
        'verify events/s': Math.round(report.events / verifyS),
        'verify / restore': round(ratio(verifyS, r.seconds), 2),
      },
      load: {
        database: db,
        'writer alone events/s': Math.round(aloneRate),
        'writer during backup events/s': Math.round(duringRate),
        'during / alone': round(ratio(duringRate, aloneRate), 2),
        'during start-up only / alone': round(ratio(startupRate, aloneRate), 2),
        'commit p99 / max ms alone': `${round(aloneLatency.p99, 1)} / ${round(aloneLatency.max, 1)}`,
        'commit p99 / max ms during': `${round(duringLatency.p99, 1)} / ${round(duringLatency.max, 1)}`,
        'backup under load s': round(lb.seconds, 2),
        'events written during it': duringN,
        'head in that backup': loaded.head.seq,
        'restored and verified': loadOk ? 'yes' : 'NO',
      },
    };
  } finally {
    if (ds.isInitialized) await ds.destroy();
    if (db === 'postgres') await dropSchemas(P.pgUrl, schemas);
    rmSync(work, { recursive: true, force: true });
  }
}

let failed = false;
const rows: Record<string, string | number | null>[] = [];
const loadRows: Record<string, string | number | null>[] = [];
for (const db of P.databases as ('sqlite' | 'postgres')[]) {
  try {
    const r = await scenario(db);
    if (!r) continue;
    rows.push(r.main);
    loadRows.push(r.load);
    if (!r.ok) failed = true;
  } catch (err) {
    failed = true;
    console.error(`${db}: ${(err as Error).message}`);
    rec.note(`${db}: FAILED: ${(err as Error).message}`);
  }
}
const title = `Backup, restore + verify of ${P.events.toLocaleString('en-US')} custody events (the built commands, one process each)`;
rec.table(title, rows);
printTable(title, rows);
const loadTitle = 'A backup while a writer appends 1 event per transaction (awaited)';
rec.table(loadTitle, loadRows);
printTable(loadTitle, loadRows);
rec.note(
  'backup s and restore+verify s are wall times of `node dist/apps/control-plane/src/backup/{backup,restore}.js`, Node start-up included (start-up s: `backup --help`)',
);
rec.note(
  'SQLite: backup = VACUUM INTO on a read-only connection, then the head read back from the file; restore = copy, PRAGMA integrity_check, chain verification, rename',
);
rec.note(
  'PostgreSQL: backup = pg_dump --format=custom of the schema, then the head read back with pg_restore; restore = pg_restore | psql --single-transaction into a staging schema, verification, move into the target',
);
rec.note("SQLite runs with the app's pragmas from dataSourceOptions (the writer's rate depends on its synchronous setting)");
rec.report(failed);
