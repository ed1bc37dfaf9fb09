/**
 * Scenario 3 — connection scale. K authenticated MQTT device connections to MedLoop, held by
 * generator processes of ~2,000 connections each:
 *   - connect rate (all generators start together; K / time until the last CONNACK)
 *   - broker RSS before and after → KB per connection (target ≤ 40 KB)
 *   - reconnect storm: the control plane is killed (SIGKILL) and restarted on the same ports
 *     and SQLite data dir; time until every device is connected again
 * Devices: a sample is registered over the HTTP API to measure that path; the K devices are
 * then bulk-inserted into the database (same entity and sha256 secret hashing as the app)
 * while the server is stopped, because one-by-one HTTP registration of 20,000 is slow.
 *
 *   node dist/bench/connections.js [--smoke] [--connections=20000] [--per-process=2000]
 *        [--concurrency=50] [--http-sample=300]
 */
import { randomBytes } from 'node:crypto';
import { num, parseArgs } from './lib/args.js';
import { spawnReady, stopAll, type Worker } from './lib/child.js';
import { bulkInsertDevices, MedloopServer, newSecretKey, registerOverHttp } from './lib/medloop.js';
import { sleep } from './lib/ports.js';
import { openFilesLimit, ProcSampler, rssBytes } from './lib/proc.js';
import { Recorder } from './lib/results.js';
import { round } from './lib/stats.js';
import { printTable } from './lib/table.js';

const args = parseArgs();
const smoke = args.smoke;
const requested = num(args, 'connections', 20_000, 200);
const P = {
  requested,
  perProcess: num(args, 'per-process', 2000, 150),
  concurrency: num(args, 'concurrency', 50, 25),
  httpSample: num(args, 'http-sample', 300, 30),
  reconnectPeriodMs: 1000,
  connectTimeoutMs: 30_000,
  settleMs: smoke ? 500 : 3000,
};
const tag = `b${randomBytes(3).toString('hex')}`;
const key = newSecretKey();

// the broker needs one descriptor per connection plus its own (database, listeners, stdio)
const fdLimit = openFilesLimit();
const fdCap = fdLimit && Number.isFinite(fdLimit.soft) ? fdLimit.soft - 200 : Infinity;
const K = Math.min(requested, fdCap);
const rec = new Recorder('connections', 'Scenario 3: connection scale', smoke ? 'smoke' : 'full', {
  ...P,
  connections: K,
  tag,
  openFilesLimit: fdLimit && { soft: fdLimit.soft, hard: fdLimit.hard },
});
if (K < requested) {
  rec.note(
    `asked for ${requested} connections but the open-files limit is ${fdLimit?.soft} (hard ${fdLimit?.hard}) and cannot be raised here ` +
      `(setrlimit is not permitted in this container), so the broker can hold at most ~${fdCap}: ran ${K}`,
  );
  console.warn(`connections: capped at ${K} (open-files limit ${fdLimit?.soft}/${fdLimit?.hard})`);
}

let server: MedloopServer | undefined;
let gens: Worker[] = [];

async function main(): Promise<void> {
  // 1. first start: migrations, admin; measure HTTP registration on a sample
  server = await MedloopServer.start();
  const { httpPort, mqttPort, dataDir } = server;
  const sampleIds = Array.from({ length: P.httpSample }, (_, i) => `sns-${tag}-http-${i}`);
  const http = await registerOverHttp(server, sampleIds, 'sensor', 8);
  const httpRate = P.httpSample / http.seconds;
  await server.stop();

  // 2. bulk insert the K devices while the server is down
  const ids = Array.from({ length: K }, (_, i) => `sns-${tag}-${String(i).padStart(6, '0')}`);
  const bulk = await bulkInsertDevices(dataDir, ids, 'sensor', key);

  // 3. start again; baseline RSS with no device connected
  const t0 = performance.now();
  server = await MedloopServer.start({ dataDir, httpPort, mqttPort });
  const bootS = (performance.now() - t0) / 1000;
  await sleep(P.settleMs);
  const rssBefore = rssBytes(server.pid)!;

  // 4. generators
  const slices: string[][] = [];
  for (let i = 0; i < ids.length; i += P.perProcess) slices.push(ids.slice(i, i + P.perProcess));
  gens = await spawnReady(
    'connector',
    slices.map((s) => ({
      url: server!.mqttUrl,
      ids: s,
      key,
      concurrency: P.concurrency,
      reconnectPeriodMs: P.reconnectPeriodMs,
      connectTimeoutMs: P.connectTimeoutMs,
    })),
    60_000,
    (i) => ({ label: `conn${i}` }),
  );
  console.log(`connections: ${K} devices in ${gens.length} generator process(es), ${P.concurrency} CONNECTs in flight each`);

  // 5. connect storm
  const sampler = new ProcSampler(server.pid).start();
  for (const g of gens) g.send({ type: 'connect' });
  type Connected = { ok: number; failed: number; failures: Record<string, number>; startMs: number; endMs: number };
  const connected = await Promise.all(gens.map((g) => g.next<Connected & { type: string }>('connected', 120_000 + K * 20)));
  const connectCpu = sampler.stop();
  const ok = connected.reduce((s, c) => s + c.ok, 0);
  const failed = connected.reduce((s, c) => s + c.failed, 0);
  const connectS = (Math.max(...connected.map((c) => c.endMs)) - Math.min(...connected.map((c) => c.startMs))) / 1000;
  const failures: Record<string, number> = {};
  for (const c of connected) for (const [k, v] of Object.entries(c.failures)) failures[k] = (failures[k] ?? 0) + v;
  await sleep(P.settleMs);
  const rssAfter = rssBytes(server.pid)!;
  const gauge = await server.api('GET', '/metrics').then((r) => /^medloop_mqtt_connections (\d+)/m.exec(String(r.body))?.[1] ?? null);
  const kbPerConn = (rssAfter - rssBefore) / 1024 / Math.max(1, ok);

  // 6. crash and restart
  for (const g of gens) g.send({ type: 'watch', timeoutMs: 180_000 });
  const tKill = performance.timeOrigin + performance.now();
  await server.kill();
  server = await MedloopServer.start({ dataDir, httpPort, mqttPort });
  const tReady = performance.timeOrigin + performance.now();
  type Reconnected = { count: number; expected: number; firstAtMs: number | null; lastAtMs: number | null; stillDown: number };
  const re = await Promise.all(gens.map((g) => g.next<Reconnected & { type: string }>('reconnected', 200_000)));
  const reCount = re.reduce((s, r) => s + r.count, 0);
  const lastAt = Math.max(...re.map((r) => r.lastAtMs ?? 0));
  const firstAt = Math.min(...re.map((r) => r.firstAtMs ?? Infinity));
  const rssReconnected = rssBytes(server.pid);
  for (const g of gens) g.send({ type: 'end' });

  const rows = [
    { measure: 'devices registered over HTTP (sample)', value: P.httpSample, unit: 'devices' },
    { measure: 'HTTP registration rate (8 in flight)', value: round(httpRate, 0), unit: 'devices/s' },
    { measure: `HTTP registration of ${K}, projected`, value: round(K / httpRate, 1), unit: 's' },
    { measure: `bulk insert of ${K} (sha256 secrets, one transaction)`, value: round(bulk.seconds, 2), unit: 's' },
    { measure: 'bulk / HTTP speed-up', value: round(K / httpRate / bulk.seconds, 0), unit: '×' },
    { measure: `server boot with ${K} devices (spawn → /health 200)`, value: round(bootS, 2), unit: 's' },
    { measure: 'connections established', value: ok, unit: `of ${K}` },
    { measure: 'connect failures', value: failed, unit: JSON.stringify(failures) },
    { measure: 'medloop_mqtt_connections gauge', value: gauge === null ? null : Number(gauge), unit: 'connections' },
    { measure: 'connect storm duration', value: round(connectS, 2), unit: 's' },
    { measure: 'connect rate', value: round(ok / connectS, 0), unit: 'connects/s' },
    { measure: 'broker CPU during connect storm', value: round(connectCpu.cpuPct, 0), unit: '% of one core' },
    { measure: 'broker RSS before', value: round(rssBefore / (1 << 20), 1), unit: 'MiB' },
    { measure: 'broker RSS after', value: round(rssAfter / (1 << 20), 1), unit: 'MiB' },
    { measure: 'RSS per connection', value: round(kbPerConn, 1), unit: 'KB' },
    { measure: 'restart: kill → /health 200', value: round((tReady - tKill) / 1000, 2), unit: 's' },
    { measure: 'reconnected devices', value: reCount, unit: `of ${ok}` },
    { measure: 'restart: kill → all reconnected', value: round((lastAt - tKill) / 1000, 2), unit: 's' },
    { measure: 'restart: server healthy → all reconnected', value: round((lastAt - tReady) / 1000, 2), unit: 's' },
    { measure: 'restart: first → last reconnect', value: round((lastAt - firstAt) / 1000, 2), unit: 's' },
    { measure: 'reconnect rate (first → last)', value: round(reCount / Math.max(0.001, (lastAt - firstAt) / 1000), 0), unit: 'connects/s' },
    { measure: 'broker RSS after reconnect', value: rssReconnected === null ? null : round(rssReconnected / (1 << 20), 1), unit: 'MiB' },
  ];
  rec.table(`${K} device connections to MedLoop`, rows, ['measure', 'value', 'unit']);
  printTable(`${K} device connections to MedLoop`, rows, ['measure', 'value', 'unit']);
  rec.target('RSS per connection', '<= 40 KB', round(kbPerConn, 1), kbPerConn <= 40);
  rec.target('all devices connected', `${K}`, ok, ok === K);
  rec.target('all devices reconnected after restart', `${ok}`, reCount, reCount >= ok);
  rec.note(`reconnect figures include mqtt.js' reconnect period (${P.reconnectPeriodMs} ms): clients retry on that period while the server is down`);
  rec.note('the restart is a crash (SIGKILL), then the production entry point is started again on the same ports and data directory');
  rec.raw = { connected, reconnected: re, connectCpu };
}

try {
  await main();
} finally {
  await stopAll(gens);
  if (server) {
    if (server.running) await server.stop();
    server.removeDataDir();
  }
}
rec.report(false);
