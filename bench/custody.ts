/**
 * Scenario 4 — custody write rate. Hash-chained custody events per second through the real
 * CustodyLedger (apps/control-plane/src/custody/custody-ledger.service.ts) over its real
 * CustodyRepository and a migrated DataSource, in this process, on SQLite (the app's pragmas:
 * WAL, synchronous=NORMAL) and on PostgreSQL (127.0.0.1:5432, database `test`, user
 * `postgres`, a fresh schema dropped afterwards):
 *   - 1 event per run() awaited one after another (one transaction per event)
 *   - 10 events per run() (one transaction per 10 events)
 *   - 1 event per run() with 64 calls outstanding (the ledger's queue serialises them: this
 *     shows what concurrent callers get)
 * then the chain is verified (ledger.verify(), which re-hashes every event). For reference,
 * end to end through HTTP: POST /api/orders on the control plane as a child process (one
 * order row + one custody event per request), 8 requests in flight, then GET /api/audit/verify.
 *
 *   node dist/bench/custody.js [--smoke] [--duration=5000] [--http-duration=5000]
 *        [--databases=sqlite,postgres] [--pg-url=postgres://postgres@127.0.0.1:5432/test]
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DataSource } from 'typeorm';
import { CustodyRepository, dataSourceOptions, ensurePostgresSchema } from '#persistence';
import { EventBus } from '../apps/control-plane/src/common/events.js';
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
  pgUrl: str(args, 'pg-url', 'postgres://postgres@127.0.0.1:5432/test'),
};
const tag = randomBytes(3).toString('hex');
const rec = new Recorder('custody', 'Scenario 4: custody write rate', smoke ? 'smoke' : 'full', { ...P, tag });
const TARGET_SQLITE = 2000;

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
  const ledger = new CustodyLedger(new CustodyRepository(ds), new EventBus(), pino({ level: 'silent' }));
  await ledger.onModuleInit();
  return ledger;
}

async function inProcess(db: 'sqlite' | 'postgres'): Promise<{ modes: ModeResult[]; verify: AuditReport; verifyS: number } | null> {
  let ds: DataSource;
  let cleanup: () => Promise<void>;
  if (db === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'medloop-bench-custody-'));
    ds = new DataSource(dataSourceOptions({ type: 'sqlite', path: join(dir, 'medloop.sqlite') }));
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

async function overHttp(db: 'sqlite' | 'postgres'): Promise<Record<string, unknown> | null> {
  const env: Record<string, string> = {};
  let schema: string | null = null;
  if (db === 'postgres') {
    const u = new URL(P.pgUrl);
    if (!(await canConnect(Number(u.port || 5432), u.hostname))) return null;
    schema = `bench_custody_http_${tag}`;
    Object.assign(env, { DATABASE_URL: P.pgUrl, DATABASE_SCHEMA: schema });
  }
  const server = await MedloopServer.start({ env });
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
const rows: Record<string, string | number | null>[] = [];
const verifyRows: Record<string, string | number | null>[] = [];
const perDb = new Map<string, ModeResult[]>();
for (const db of P.databases as ('sqlite' | 'postgres')[]) {
  const r = await inProcess(db);
  if (!r) continue;
  perDb.set(db, r.modes);
  const single = r.modes.find((m) => m.mode === 'single')!;
  for (const m of r.modes) {
    rows.push({
      database: db,
      mode:
        m.mode === 'single'
          ? '1 event per run(), awaited'
          : m.mode === 'batch'
            ? `${P.batch} events per run(), awaited`
            : `1 event per run(), ${P.outstanding} outstanding`,
      'events/s': Math.round(m.eventsPerS),
      'transactions/s': Math.round(m.runs / m.seconds),
      events: m.events,
      'run() p50 ms': round(m.runLatencyMs.p50, 3),
      'run() p99 ms': round(m.runLatencyMs.p99, 3),
      'vs 1/run': round(ratio(m.eventsPerS, single.eventsPerS), 2),
    });
  }
  verifyRows.push({
    database: db,
    'chain verified': r.verify.ok ? 'ok' : `BROKEN at ${JSON.stringify(r.verify.brokenAt)}`,
    'events re-hashed': r.verify.events,
    'head seq': r.verify.head?.seq ?? null,
    'verify s': round(r.verifyS, 2),
    'verify events/s': Math.round(r.verify.events / r.verifyS),
  });
  rec.target(`${db}: chain verifies after the run`, 'ok', r.verify.ok ? `ok (${r.verify.events} events)` : 'BROKEN', r.verify.ok);
  if (!r.verify.ok) failed = true;
  if (db === 'sqlite')
    rec.target('SQLite custody events/s, 1 event per run()', `>= ${TARGET_SQLITE}`, Math.round(single.eventsPerS), single.eventsPerS >= TARGET_SQLITE);
}
const sq = perDb.get('sqlite')?.find((m) => m.mode === 'single');
const pg = perDb.get('postgres')?.find((m) => m.mode === 'single');
if (sq && pg) rec.note(`1 event per run(): SQLite / PostgreSQL = ${round(ratio(sq.eventsPerS, pg.eventsPerS), 2)}`);
const title = 'Custody ledger in-process (CustodyLedger.run over CustodyRepository, migrated schema)';
rec.table(title, rows);
printTable(title, rows);
rec.table('Chain verification after the run (fresh ledger, head from the database)', verifyRows);
printTable('Chain verification after the run', verifyRows);

const httpRows: Record<string, unknown>[] = [];
for (const db of P.databases as ('sqlite' | 'postgres')[]) {
  const r = await overHttp(db);
  if (!r) continue;
  httpRows.push(r);
  if (!String(r['chain verified']).startsWith('ok')) failed = true;
  if (Number(r['failed']) > 0) failed = true;
}
const httpTitle = `End to end: POST /api/orders (1 order row + 1 custody event each), ${P.httpConcurrency} in flight, ${P.httpDurationMs} ms`;
rec.table(httpTitle, httpRows as never);
printTable(httpTitle, httpRows as never);
rec.note('in-process modes record only the custody events (no other row in the transaction); the HTTP path adds auth, validation, the order row and JSON');
rec.note('SQLite runs with the app pragmas (journal_mode=WAL, synchronous=NORMAL): a commit is durable against a process crash, not against power loss');
const out = rec.finish();
console.log(`saved ${out.paths.json} and ${out.paths.md}`);
for (const t of out.targets) console.log(`target ${t.name}: wanted ${t.target}, measured ${t.measured} → ${t.met ? 'met' : 'NOT met'}`);
if (failed) process.exitCode = 1;
