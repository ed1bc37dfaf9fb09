/**
 * Scenario 4 — custody write rate. Hash-chained custody events per second through the real
 * CustodyLedger (apps/control-plane/src/custody/custody-ledger.service.ts) over its real
 * CustodyRepository and a migrated DataSource, in this process, on SQLite (the app's pragmas:
 * WAL, busy timeout) with synchronous=FULL (the default: the WAL is synced at every commit)
 * and with synchronous=NORMAL (synced at checkpoints only), measured in the same run and
 * compared, and on PostgreSQL (127.0.0.1:5432, database `test`, user `postgres`, a fresh
 * schema dropped afterwards, the server's own fsync / synchronous_commit):
 *   - 1 event per run() awaited one after another (one transaction per event)
 *   - 10 events per run() (one transaction per 10 events)
 *   - 1 event per run() with 64 calls outstanding (the ledger's queue serialises them: this
 *     shows what concurrent callers get)
 * then the chain is verified (ledger.verify(), which re-hashes every event). For reference,
 * end to end through HTTP: POST /api/orders on the control plane as a child process (one
 * order row + one custody event per request), 8 requests in flight, then GET /api/audit/verify.
 * Each SQLite setting runs once per round, in reversed order every other round (FULL NORMAL,
 * NORMAL FULL, …) so a drift of the machine over the run weighs on both alike; every run has a
 * fresh database file under --data-dir (fsync costs nothing on tmpfs: measure on the disk the
 * data will live on).
 *
 *   node dist/bench/custody.js [--smoke] [--duration=5000] [--http-duration=5000]
 *        [--databases=sqlite,postgres] [--sqlite-synchronous=FULL,NORMAL] [--rounds=2]
 *        [--data-dir=<os tmpdir>] [--pg-url=postgres://postgres@127.0.0.1:5432/test]
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DataSource } from 'typeorm';
import { CustodyRepository, dataSourceOptions, ensurePostgresSchema, SQLITE_SYNCHRONOUS, type SqliteSynchronous } from '#persistence';
import { MetricsService } from '../apps/control-plane/src/metrics/metrics.service.js';
import { CustodyLedger, type AuditReport } from '../apps/control-plane/src/custody/custody-ledger.service.js';
import { num, parseArgs, str } from './lib/args.js';
import { MedloopServer } from './lib/medloop.js';
import { canConnect } from './lib/ports.js';
import { Recorder } from './lib/results.js';
import { ratio, round, summarize } from './lib/stats.js';
import { printTable } from './lib/table.js';

const args = parseArgs();
const smoke = args.smoke;
const P = {
  durationMs: num(args, 'duration', 5000, 700),
  httpDurationMs: num(args, 'http-duration', 5000, 700),
  maxEventsPerMode: 2_000_000,
  batch: 10,
  outstanding: 64,
  httpConcurrency: 8,
  databases: str(args, 'databases', 'sqlite,postgres').split(','),
  sqliteSynchronous: str(args, 'sqlite-synchronous', SQLITE_SYNCHRONOUS.join(','))
    .split(',')
    .map((v) => v.toUpperCase()) as SqliteSynchronous[],
  rounds: num(args, 'rounds', 2, 1),
  dataDir: str(args, 'data-dir', tmpdir()),
  pgUrl: str(args, 'pg-url', 'postgres://postgres@127.0.0.1:5432/test'),
};
for (const d of P.databases) if (d !== 'sqlite' && d !== 'postgres') throw new Error(`--databases: sqlite or postgres, got '${d}'`);
for (const v of P.sqliteSynchronous)
  if (!SQLITE_SYNCHRONOUS.includes(v)) throw new Error(`--sqlite-synchronous: ${SQLITE_SYNCHRONOUS.join(' or ')}, got '${v}'`);
if (!Number.isInteger(P.rounds) || P.rounds < 1 || P.rounds > 10) throw new Error(`--rounds must be 1-10, got ${P.rounds}`);
const tag = randomBytes(3).toString('hex');
const rec = new Recorder('custody', 'Scenario 4: custody write rate', smoke ? 'smoke' : 'full', { ...P, tag });
const TARGET_SQLITE = 2000;

/** What one run measures: SQLite with one synchronous setting, or PostgreSQL. */
type Variant = { db: 'sqlite'; synchronous: SqliteSynchronous } | { db: 'postgres' };
const variantLabel = (v: Variant) => (v.db === 'sqlite' ? `sqlite ${v.synchronous}` : 'postgres');

/** The runs in order: the SQLite settings once per round, reversed every other round; PostgreSQL once. */
function schedule(): { round: number; v: Variant }[] {
  const out: { round: number; v: Variant }[] = [];
  for (const db of P.databases) {
    if (db === 'postgres') {
      out.push({ round: 1, v: { db } });
      continue;
    }
    for (let r = 1; r <= P.rounds; r++) {
      const order = r % 2 === 1 ? P.sqliteSynchronous : [...P.sqliteSynchronous].reverse();
      for (const synchronous of order) out.push({ round: r, v: { db: 'sqlite', synchronous } });
    }
  }
  return out;
}

const FS_TYPES: Record<number, string> = {
  0xef53: 'ext2/3/4',
  0x01021994: 'tmpfs',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x794c7630: 'overlayfs',
  0x2fc12fc1: 'zfs',
  0x6969: 'nfs',
};
function fileSystemOf(dir: string): string {
  try {
    const t = statfsSync(dir).type;
    return FS_TYPES[t] ?? `type 0x${t.toString(16)}`;
  } catch {
    return 'unknown file system';
  }
}

interface ModeResult {
  db: string;
  mode: string;
  events: number;
  runs: number;
  seconds: number;
  eventsPerS: number;
  runLatencyMs: ReturnType<typeof summarize>;
}

const draft = (i: number) => ({
  action: 'bench_event',
  doseId: null,
  orderId: null,
  toState: 'recorded',
  actor: { type: 'system' as const, id: 'bench' },
  location: `ward:W-${i % 4}`,
  evidence: { i, note: 'custody write-rate benchmark' },
});

async function measureMode(ledger: CustodyLedger, db: string, mode: 'single' | 'batch' | 'outstanding'): Promise<ModeResult> {
  const perRun = mode === 'batch' ? P.batch : 1;
  const lat: number[] = [];
  let events = 0;
  let runs = 0;
  const t0 = performance.now();
  const deadline = t0 + P.durationMs;
  const one = async () => {
    const s = performance.now();
    const base = events;
    events += perRun;
    runs++;
    await ledger.run(async (_tx, record) => {
      for (let k = 0; k < perRun; k++) record(draft(base + k));
    });
    lat.push(performance.now() - s);
  };
  if (mode === 'outstanding') {
    const lane = async () => {
      while (performance.now() < deadline && events < P.maxEventsPerMode) await one();
    };
    await Promise.all(Array.from({ length: P.outstanding }, lane));
  } else {
    while (performance.now() < deadline && events < P.maxEventsPerMode) await one();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { db, mode, events, runs, seconds, eventsPerS: events / seconds, runLatencyMs: summarize(lat) };
}

async function ledgerOn(ds: DataSource): Promise<CustodyLedger> {
  return new CustodyLedger(new CustodyRepository(ds), new MetricsService(), pino({ level: 'silent' }));
}

async function inProcess(v: Variant): Promise<{ modes: ModeResult[]; verify: AuditReport; verifyS: number } | null> {
  const db = variantLabel(v);
  let ds: DataSource;
  let cleanup: () => Promise<void>;
  if (v.db === 'sqlite') {
    const dir = mkdtempSync(join(P.dataDir, 'medloop-bench-custody-'));
    ds = new DataSource(dataSourceOptions({ type: 'sqlite', path: join(dir, 'medloop.sqlite'), synchronous: v.synchronous }));
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const u = new URL(P.pgUrl);
    if (!(await canConnect(Number(u.port || 5432), u.hostname))) {
      rec.note(`PostgreSQL is not reachable at ${u.host}: skipped`);
      return null;
    }
    const schema = `bench_custody_${tag}`;
    const settings = { type: 'postgres' as const, url: P.pgUrl, schema };
    await ensurePostgresSchema(settings);
    ds = new DataSource(dataSourceOptions(settings));
    cleanup = async () => {
      const admin = new DataSource({ type: 'postgres', url: P.pgUrl });
      await admin.initialize();
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.destroy();
      }
    };
  }
  try {
    await ds.initialize(); // runs the app's migrations
    const ledger = await ledgerOn(ds);
    // warm-up (JIT, prepared statements, connection pool), not counted
    for (let i = 0; i < (smoke ? 20 : 200); i++) await ledger.run(async (_tx, record) => record(draft(i)));
    const modes: ModeResult[] = [];
    for (const mode of ['single', 'batch', 'outstanding'] as const) {
      const m = await measureMode(ledger, db, mode);
      modes.push(m);
      console.log(`${db} ${mode.padEnd(11)} ${Math.round(m.eventsPerS).toString().padStart(7)} events/s  (${m.events} events in ${m.seconds.toFixed(2)} s)`);
    }
    const tv = performance.now();
    // a fresh ledger instance: the head comes from the database, as after a restart
    const verify = await (await ledgerOn(ds)).verify();
    const verifyS = (performance.now() - tv) / 1000;
    return { modes, verify, verifyS };
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await cleanup();
  }
}

async function overHttp(v: Variant): Promise<Record<string, unknown> | null> {
  const db = variantLabel(v);
  const env: Record<string, string> = v.db === 'sqlite' ? { SQLITE_SYNCHRONOUS: v.synchronous } : {};
  let schema: string | null = null;
  if (v.db === 'postgres') {
    const u = new URL(P.pgUrl);
    if (!(await canConnect(Number(u.port || 5432), u.hostname))) return null;
    schema = `bench_custody_http_${tag}`;
    Object.assign(env, { DATABASE_URL: P.pgUrl, DATABASE_SCHEMA: schema });
  }
  const server = await MedloopServer.start({ env, ...(v.db === 'sqlite' ? { dataDir: mkdtempSync(join(P.dataDir, 'medloop-bench-custody-http-')) } : {}) });
  try {
    const med = await server.api('POST', '/api/medications', {
      gtin: '09506000134352',
      name: 'Benchmarkol',
      strength: '5 mg',
      route: 'oral',
    });
    if (med.status !== 201) throw new Error(`create medication: ${med.status} ${JSON.stringify(med.body)}`);
    const patient = await server.api('POST', '/api/patients', {
      mrn: `BENCH-${tag}`,
      wristbandGsrn: '801234567890123458',
      name: 'Bench Patient',
      ward: 'W-CARD',
    });
    if (patient.status !== 201) throw new Error(`create patient: ${patient.status} ${JSON.stringify(patient.body)}`);
    const order = {
      patientId: patient.body.id as string,
      medicationId: med.body.id as string,
      dose: { amount: 5, unit: 'mg' },
      route: 'oral',
      schedule: { times: ['2026-01-01T08:00:00Z'] },
    };
    for (let i = 0; i < (smoke ? 10 : 100); i++) await server.api('POST', '/api/orders', order); // warm-up
    const lat: number[] = [];
    let ok = 0;
    let failed = 0;
    const t0 = performance.now();
    const deadline = t0 + P.httpDurationMs;
    const lane = async () => {
      while (performance.now() < deadline && ok + failed < 1_000_000) {
        const s = performance.now();
        const r = await server.api('POST', '/api/orders', order);
        lat.push(performance.now() - s);
        if (r.status === 201) ok++;
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: P.httpConcurrency }, lane));
    const seconds = (performance.now() - t0) / 1000;
    const tv = performance.now();
    const v = await server.api('GET', '/api/audit/verify');
    const verifyS = (performance.now() - tv) / 1000;
    const s = summarize(lat);
    console.log(`${db} http POST /api/orders ${Math.round(ok / seconds)} orders/s (${failed} failed), verify ${JSON.stringify(v.body)}`);
    return {
      db,
      'orders (= events) /s': Math.round(ok / seconds),
      requests: ok,
      failed,
      'p50 ms': round(s.p50, 2),
      'p99 ms': round(s.p99, 2),
      'chain verified': v.status === 200 && v.body?.ok === true ? `ok (${v.body.events} events)` : `FAILED ${v.status} ${JSON.stringify(v.body)}`,
      'verify s': round(verifyS, 2),
    };
  } finally {
    await server.stop();
    server.removeDataDir();
    if (schema) {
      const admin = new DataSource({ type: 'postgres', url: P.pgUrl });
      await admin.initialize();
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.destroy();
      }
    }
  }
}

let failed = false;
const MODES = ['single', 'batch', 'outstanding'] as const;
const modeName = (mode: (typeof MODES)[number]) =>
  mode === 'single'
    ? '1 event per run(), awaited'
    : mode === 'batch'
      ? `${P.batch} events per run(), awaited`
      : `1 event per run(), ${P.outstanding} outstanding`;
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / (xs.length || 1);
const verifyRows: Record<string, string | number | null>[] = [];
/** per variant label, the modes measured in each of its rounds */
const perVariant = new Map<string, ModeResult[][]>();
const brokenChains = new Map<string, number>();
for (const { round: r, v } of schedule()) {
  const res = await inProcess(v);
  if (!res) continue;
  const label = variantLabel(v);
  perVariant.set(label, [...(perVariant.get(label) ?? []), res.modes]);
  verifyRows.push({
    database: label,
    round: r,
    'chain verified': res.verify.ok ? 'ok' : `BROKEN at ${JSON.stringify(res.verify.brokenAt)}`,
    'events re-hashed': res.verify.events,
    'head seq': res.verify.head?.seq ?? null,
    'verify s': round(res.verifyS, 2),
    'verify events/s': Math.round(res.verify.events / res.verifyS),
  });
  brokenChains.set(label, (brokenChains.get(label) ?? 0) + (res.verify.ok ? 0 : 1));
  if (!res.verify.ok) failed = true;
}

/** one mode of one variant over its rounds (events/s and latencies: the mean of the rounds) */
function modeStats(label: string, mode: (typeof MODES)[number]) {
  const ms = (perVariant.get(label) ?? []).map((rounds) => rounds.find((m) => m.mode === mode)!);
  if (ms.length === 0) return null;
  return {
    eventsPerS: mean(ms.map((m) => m.eventsPerS)),
    perRound: ms.map((m) => m.eventsPerS),
    transactionsPerS: mean(ms.map((m) => m.runs / m.seconds)),
    events: ms.reduce((n, m) => n + m.events, 0),
    p50: mean(ms.map((m) => m.runLatencyMs.p50)),
    p99: mean(ms.map((m) => m.runLatencyMs.p99)),
  };
}

const rows: Record<string, string | number | null>[] = [];
for (const label of perVariant.keys()) {
  const single = modeStats(label, 'single')!;
  for (const mode of MODES) {
    const m = modeStats(label, mode)!;
    rows.push({
      database: label,
      mode: modeName(mode),
      'events/s': Math.round(m.eventsPerS),
      'per round': m.perRound.map((x) => Math.round(x)).join(' / '),
      'transactions/s': Math.round(m.transactionsPerS),
      events: m.events,
      'run() p50 ms': round(m.p50, 3),
      'run() p99 ms': round(m.p99, 3),
      'vs 1/run': round(ratio(m.eventsPerS, single.eventsPerS), 2),
    });
  }
  const broken = brokenChains.get(label) ?? 0;
  const runs = perVariant.get(label)!.length;
  rec.target(
    `${label}: chain verifies after every run`,
    'ok',
    broken === 0 ? `ok (${runs} run${runs > 1 ? 's' : ''})` : `BROKEN in ${broken} of ${runs}`,
    broken === 0,
  );
}
const defaultSqlite = perVariant.has('sqlite FULL') ? 'sqlite FULL' : [...perVariant.keys()].find((k) => k.startsWith('sqlite'));
if (defaultSqlite) {
  const single = modeStats(defaultSqlite, 'single')!;
  rec.target(
    `SQLite custody events/s, 1 event per run() (${defaultSqlite.replace('sqlite ', 'synchronous=')})`,
    `>= ${TARGET_SQLITE}`,
    Math.round(single.eventsPerS),
    single.eventsPerS >= TARGET_SQLITE,
  );
}
const sq = defaultSqlite ? modeStats(defaultSqlite, 'single') : null;
const pg = modeStats('postgres', 'single');
if (sq && pg) rec.note(`1 event per run(): ${defaultSqlite} / PostgreSQL = ${round(ratio(sq.eventsPerS, pg.eventsPerS), 2)}`);
const title = 'Custody ledger in-process (CustodyLedger.run over CustodyRepository, migrated schema; mean of the rounds)';
rec.table(title, rows);
printTable(title, rows);

// the cost of durability: FULL against NORMAL, round by round (each pair ran back to back)
const durabilityRows: Record<string, string | number | null>[] = [];
if (perVariant.has('sqlite FULL') && perVariant.has('sqlite NORMAL')) {
  for (const mode of MODES) {
    const full = modeStats('sqlite FULL', mode)!;
    const normal = modeStats('sqlite NORMAL', mode)!;
    durabilityRows.push({
      mode: modeName(mode),
      'FULL events/s': Math.round(full.eventsPerS),
      'NORMAL events/s': Math.round(normal.eventsPerS),
      'FULL / NORMAL': round(ratio(full.eventsPerS, normal.eventsPerS), 2),
      'per round': full.perRound.map((f, i) => round(ratio(f, normal.perRound[i] ?? NaN), 2)).join(' / '),
      'FULL run() p50 ms': round(full.p50, 3),
      'NORMAL run() p50 ms': round(normal.p50, 3),
      'FULL run() p99 ms': round(full.p99, 3),
      'NORMAL run() p99 ms': round(normal.p99, 3),
    });
  }
  const single = durabilityRows[0]!;
  rec.note(
    `SQLite synchronous=FULL / NORMAL, 1 event per run(): ${single['FULL / NORMAL']} (${single['FULL events/s']} vs ${single['NORMAL events/s']} events/s; per round ${single['per round']})`,
  );
  const durabilityTitle = 'SQLite durability cost: synchronous=FULL (default) vs NORMAL, same run';
  rec.table(durabilityTitle, durabilityRows);
  printTable(durabilityTitle, durabilityRows);
}
rec.table('Chain verification after each run (fresh ledger, head from the database)', verifyRows);
printTable('Chain verification after each run', verifyRows);

const httpRows: Record<string, unknown>[] = [];
for (const { round: r, v } of schedule()) {
  const res = await overHttp(v);
  if (!res) continue;
  httpRows.push({ ...res, round: r });
  if (!String(res['chain verified']).startsWith('ok')) failed = true;
  if (Number(res['failed']) > 0) failed = true;
}
const httpTitle = `End to end: POST /api/orders (1 order row + 1 custody event each), ${P.httpConcurrency} in flight, ${P.httpDurationMs} ms`;
rec.table(httpTitle, httpRows as never);
printTable(httpTitle, httpRows as never);
const httpRate = (label: string) => {
  const xs = httpRows.filter((h) => h['db'] === label).map((h) => Number(h['orders (= events) /s']));
  return xs.length ? mean(xs) : null;
};
const httpFull = httpRate('sqlite FULL');
const httpNormal = httpRate('sqlite NORMAL');
if (httpFull !== null && httpNormal !== null) {
  rec.note(
    `End to end, SQLite synchronous=FULL / NORMAL: ${round(ratio(httpFull, httpNormal), 2)} (${Math.round(httpFull)} vs ${Math.round(httpNormal)} orders/s)`,
  );
}
rec.note('in-process modes record only the custody events (no other row in the transaction); the HTTP path adds auth, validation, the order row and JSON');
rec.note(
  'SQLite runs with the app pragmas (journal_mode=WAL, busy_timeout) and the synchronous setting named: FULL (the default) syncs the WAL at every commit, so a committed event survives a power loss or OS crash; NORMAL syncs only at checkpoints, so a process crash loses nothing but a power loss can take back the last commits',
);
rec.note(
  `SQLite database files under ${P.dataDir} (${fileSystemOf(P.dataDir)}); synchronous=FULL costs a sync per commit only where the file system really syncs (on tmpfs the two settings measure the same)`,
);
rec.report(failed);
