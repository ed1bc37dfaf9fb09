/**
 * The signed-checkpoint anchor's cost (issue #17), in-process on SQLite (synchronous=FULL, the
 * default) through the real CustodyLedger and the real AuditAnchorService (its Merkle tree kept
 * in step with every commit, a checkpoint signed with Ed25519 and appended + fsynced, with its
 * leaves, every CHECKPOINT_EVERY_EVENTS events):
 *   1. custody events/s with the anchor on and off (no anchor attached), one event per
 *      transaction awaited one after another and 10 per transaction, in alternating order over
 *      --rounds rounds (a fresh database each run); the ratio is on/off per round;
 *   2. verification of a log of --verify-events events (default 1,000,000, written in
 *      transactions of 1,000 with the anchor on): the hash chain (ledger.verify), the tree
 *      against the checkpoint file (verifyAgainstAnchor) and the state replay, each timed, with
 *      the RSS after.
 * Prints the machine, each round and the spread.
 *
 *   node dist/bench/anchor.js [--smoke] [--duration=4000] [--rounds=3] [--verify-events=1000000] [--every-events=100] [--data-dir=<tmpdir>]
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DataSource } from 'typeorm';
import { custodyLogOrigin } from '#domain';
import { CustodyRepository, dataSourceOptions } from '#persistence';
import type { AlarmsService } from '../apps/control-plane/src/alarms/alarms.service.js';
import { AuditAnchorService } from '../apps/control-plane/src/audit-anchor/audit-anchor.service.js';
import type { AppConfig } from '../apps/control-plane/src/config/config.js';
import { CustodyLedger } from '../apps/control-plane/src/custody/custody-ledger.service.js';
import { checkStateTables } from '../apps/control-plane/src/custody/state-replay.check.js';
import { MetricsService } from '../apps/control-plane/src/metrics/metrics.service.js';
import { num, parseArgs, str } from './lib/args.js';
import { printTable } from './lib/table.js';

const args = parseArgs();
const smoke = args.smoke;
const P = {
  durationMs: num(args, 'duration', 4000, 600),
  rounds: num(args, 'rounds', 3, 1),
  verifyEvents: num(args, 'verify-events', 1_000_000, 20_000),
  everyEvents: num(args, 'every-events', 100, 100),
  dataDir: str(args, 'data-dir', tmpdir()),
};
const logger = pino({ level: 'silent' });
// the happy path raises no alarm; a bench that hit one would say so
const alarms = {
  raise: async (a: { type: string }) => {
    throw new Error(`unexpected alarm ${a.type}`);
  },
  clear: async () => null,
  isOpen: () => false,
} as unknown as AlarmsService;

const draft = (i: number) => ({
  action: 'bench_event',
  doseId: null,
  orderId: null,
  toState: null,
  actor: { type: 'system' as const, id: 'bench' },
  location: `ward:W-${i % 4}`,
  evidence: { i, note: 'anchor benchmark' },
});

interface Rig {
  ledger: CustodyLedger;
  anchor: AuditAnchorService | null;
  ds: DataSource;
  close(): Promise<void>;
}

async function rig(withAnchor: boolean, everyEvents = P.everyEvents): Promise<Rig> {
  const dir = mkdtempSync(join(P.dataDir, 'medloop-bench-anchor-'));
  const ds = new DataSource(dataSourceOptions({ type: 'sqlite', path: join(dir, 'medloop.sqlite'), synchronous: 'FULL' }));
  await ds.initialize();
  const repo = new CustodyRepository(ds);
  const metrics = new MetricsService();
  const ledger = new CustodyLedger(repo, metrics, logger);
  let anchor: AuditAnchorService | null = null;
  if (withAnchor) {
    const origin = custodyLogOrigin('bench');
    const config = {
      audit: {
        siteId: 'bench',
        origin,
        keyFile: join(dir, 'keys', 'custody.key'),
        publicKeysFile: null,
        checkpointFile: join(dir, 'checkpoints', 'custody.log'),
        everyEvents,
        everySeconds: 3600,
      },
    } as unknown as AppConfig;
    anchor = new AuditAnchorService(ledger, repo, alarms, metrics, config, logger);
    anchor.onModuleInit();
    await anchor.onApplicationBootstrap();
  }
  return {
    ledger,
    anchor,
    ds,
    async close() {
      await anchor?.beforeApplicationShutdown();
      await ds.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function rate(r: Rig, perRun: number): Promise<number> {
  for (let i = 0; i < (smoke ? 20 : 200); i++) await r.ledger.run(async (_tx, record) => record(draft(i)));
  let events = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < P.durationMs) {
    const base = events;
    await r.ledger.run(async (_tx, record) => {
      for (let k = 0; k < perRun; k++) record(draft(base + k));
    });
    events += perRun;
  }
  return events / ((performance.now() - t0) / 1000);
}

console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; data dir ${P.dataDir}`,
);
const rows: Record<string, string | number>[] = [];
const ratios: Record<string, number[]> = { single: [], batch: [] };
for (let round = 1; round <= P.rounds; round++) {
  for (const [mode, perRun] of [
    ['single', 1],
    ['batch', 10],
  ] as const) {
    const order = round % 2 === 1 ? [true, false] : [false, true];
    const got: Record<string, number> = {};
    for (const on of order) {
      const r = await rig(on);
      try {
        got[on ? 'on' : 'off'] = await rate(r, perRun);
      } finally {
        await r.close();
      }
    }
    const ratio = got['on']! / got['off']!;
    ratios[mode]!.push(ratio);
    rows.push({
      round,
      mode: mode === 'single' ? '1 event/tx' : '10 events/tx',
      'off events/s': Math.round(got['off']!),
      'on events/s': Math.round(got['on']!),
      'on/off': ratio.toFixed(3),
    });
    console.log(`round ${round} ${mode}: off ${Math.round(got['off']!)}/s, on ${Math.round(got['on']!)}/s, ratio ${ratio.toFixed(3)}`);
  }
}
printTable('custody events/s, SQLite FULL, anchor on (signing every ' + P.everyEvents + ' events) vs off', rows);
for (const [mode, rs] of Object.entries(ratios))
  console.log(
    `${mode}: on/off ratio min ${Math.min(...rs).toFixed(3)}, median ${[...rs].sort((a, b) => a - b)[Math.floor(rs.length / 2)]!.toFixed(3)}, max ${Math.max(...rs).toFixed(3)} over ${rs.length} rounds`,
  );

// ---- verification of a large log ----
const big = await rig(true, 10_000);
try {
  const t0 = performance.now();
  for (let n = 0; n < P.verifyEvents; n += 1000) {
    const k = Math.min(1000, P.verifyEvents - n);
    await big.ledger.run(async (_tx, record) => {
      for (let i = 0; i < k; i++) record(draft(n + i));
    });
  }
  console.log(`wrote ${P.verifyEvents.toLocaleString('en-US')} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  // every event signed before the verification (as after a checkpoint round)
  await big.anchor!.beforeApplicationShutdown();
  const timed = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    const s = performance.now();
    const out = await f();
    console.log(`${what}: ${((performance.now() - s) / 1000).toFixed(2)} s`);
    return out;
  };
  const chain = await timed('hash chain (ledger.verify)', () => big.ledger.verify());
  const anchored = await timed('tree against the checkpoint file (verifyAgainstAnchor)', () => big.anchor!.verifyAgainstAnchor());
  const states = await timed('state replay (checkStateTables)', () => checkStateTables(new CustodyRepository(big.ds)));
  console.log(
    `verify of ${P.verifyEvents.toLocaleString('en-US')} events: chain ok=${chain.ok}, anchor ${anchored.status} (${anchored.detail}), state mismatches ${states.mismatches.length}; RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`,
  );
} finally {
  await big.close();
}
