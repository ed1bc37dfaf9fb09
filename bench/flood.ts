/**
 * Bad input cannot starve good input: what one robot flooding large invalid VDA 5050 `state`
 * payloads costs everyone else. A well-behaved robot measures its QoS 1 publish → PUBACK round
 * trip (the server parses, validates and applies each message before acknowledging it) and a
 * client measures `GET /health`, first with nothing else going on, then while the flooder
 * publishes ~250 KB invalid states as fast as they are acknowledged (QoS 1, a window of
 * unacknowledged messages, reconnecting after a second when the server closes it), in the
 * same run and against the same server. Figures: p50/p99 of both and the ratio flood / quiet.
 *
 * Two servers, one after the other: MedLoop as configured by default (the per-device
 * rejection budget on), and — the reference for what the budget buys — the same build with
 * the budget set so high it never acts (`DEVICE_REJECT_MAX_PER_SEC=1000000`, bytes 10^12).
 * Probes and flooder are separate processes, on loopback; every loop is bounded in count and
 * time.
 *
 *   node dist/bench/flood.js [--smoke] [--duration=10000] [--warmup=1000] [--payload-kb=250]
 *        [--window=8] [--invalid=schema|json] [--reference=1] [--rtt-interval-ms=5]
 *        [--health-interval-ms=10] [--reconnect-ms=1000]
 */
import { randomBytes } from 'node:crypto';
import { num, parseArgs, str } from './lib/args.js';
import { spawnReady, stopAll, type Worker } from './lib/child.js';
import { MedloopServer } from './lib/medloop.js';
import { sleep } from './lib/ports.js';
import { ProcSampler } from './lib/proc.js';
import { Recorder } from './lib/results.js';
import { ratio, round, summarize, type Summary } from './lib/stats.js';
import { printTable } from './lib/table.js';

const args = parseArgs();
const smoke = args.smoke;
const P = {
  durationMs: num(args, 'duration', 10_000, 1500),
  warmupMs: num(args, 'warmup', 1000, 300),
  payloadBytes: num(args, 'payload-kb', 250, 250) * 1000,
  window: num(args, 'window', 8, 8),
  invalid: str(args, 'invalid', 'schema') as 'schema' | 'json',
  reference: num(args, 'reference', 1, 0) === 1,
  rttIntervalMs: num(args, 'rtt-interval-ms', 5, 5),
  healthIntervalMs: num(args, 'health-interval-ms', 10, 10),
  reconnectMs: num(args, 'reconnect-ms', 1000, 1000),
  maxFloodMessages: smoke ? 20_000 : 200_000,
};
if (P.invalid !== 'schema' && P.invalid !== 'json') throw new Error(`--invalid must be schema or json, got '${P.invalid}'`);
/** what the budget should keep the flood's cost to, as a ratio of the quiet figure */
const TARGET_RATIO = 2;
const tag = randomBytes(3).toString('hex');
const rec = new Recorder('flood', 'Flood: one device sending large invalid payloads vs everyone else', smoke ? 'smoke' : 'full', { ...P, tag });

const NO_BUDGET = { DEVICE_REJECT_MAX_PER_SEC: '1000000', DEVICE_REJECT_MAX_BYTES_PER_SEC: '1000000000000' };
interface Config {
  name: string;
  env: Record<string, string>;
}
const configs: Config[] = [{ name: 'budget on (defaults)', env: {} }, ...(P.reference ? [{ name: 'budget off (reference)', env: NO_BUDGET }] : [])];

interface PhaseFigures {
  rtt: Summary;
  rttTimeouts: number;
  health: Summary;
  healthFailures: number;
  cpuPct: number | null;
}

interface ConfigFigures {
  quiet: PhaseFigures;
  flood: PhaseFigures;
  flooder: Record<string, unknown>;
  counters: Record<string, number>;
  alarms: number;
}

let server: MedloopServer | undefined;
const workers: Worker[] = [];

/** Sum of every sample of a Prometheus metric whose line matches `filter`. */
function metricSum(text: string, name: string, filter = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{') || !line.includes(filter)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  }
  return sum;
}

async function measure(rtt: Worker, health: Worker, pid: number): Promise<PhaseFigures> {
  const cmd = { type: 'measure', durationMs: P.durationMs, maxSamples: 200_000 };
  const sampler = new ProcSampler(pid).start();
  rtt.send(cmd);
  health.send(cmd);
  type Samples = { samples: number[]; timeouts?: number; failures?: number };
  const [r, h] = await Promise.all([
    rtt.next<Samples & { type: string }>('samples', P.durationMs + 60_000),
    health.next<Samples & { type: string }>('samples', P.durationMs + 60_000),
  ]);
  const cpu = sampler.stop();
  return { rtt: summarize(r.samples), rttTimeouts: r.timeouts ?? 0, health: summarize(h.samples), healthFailures: h.failures ?? 0, cpuPct: cpu.cpuPct };
}

async function runConfig(c: Config): Promise<ConfigFigures> {
  server = await MedloopServer.start({ env: c.env });
  const robot = async (name: string, serialNumber: string) => ({
    creds: await server!.registerDevice({ kind: 'robot', name, manufacturer: 'BenchBots', serialNumber }),
    serialNumber,
  });
  const good = await robot('bench good robot', `GOOD-${tag}`);
  const bad = await robot('bench flooding robot', `FLOOD-${tag}`);
  const vda = { manufacturer: 'BenchBots', interfaceName: 'uagv' };
  const [rtt] = await spawnReady(
    'robot-rtt',
    [{ url: server.mqttUrl, ...good.creds, ...vda, serialNumber: good.serialNumber, intervalMs: P.rttIntervalMs, timeoutMs: 5000 }],
    30_000,
    () => ({ label: 'good robot' }),
  );
  const [health] = await spawnReady('http-probe', [{ url: `${server.baseUrl}/health`, intervalMs: P.healthIntervalMs, timeoutMs: 5000 }], 30_000, () => ({
    label: '/health',
  }));
  const [flooder] = await spawnReady(
    'flooder',
    [
      {
        url: server.mqttUrl,
        ...bad.creds,
        ...vda,
        serialNumber: bad.serialNumber,
        payloadBytes: P.payloadBytes,
        invalid: P.invalid,
        window: P.window,
        maxMessages: P.maxFloodMessages,
        maxConnects: 1000,
        reconnectMs: P.reconnectMs,
      },
    ],
    30_000,
    () => ({ label: 'flooder' }),
  );
  workers.push(rtt!, health!, flooder!);
  console.log(`flood [${c.name}]: quiet, ${P.durationMs} ms`);
  const quiet = await measure(rtt!, health!, server.pid);
  console.log(`flood [${c.name}]: flooding ${flooder!.ready?.['payloadBytes']} B invalid states, ${P.warmupMs} ms warm-up + ${P.durationMs} ms measured`);
  flooder!.send({ type: 'start', durationMs: P.warmupMs + P.durationMs + 500 });
  await sleep(P.warmupMs);
  const flood = await measure(rtt!, health!, server.pid);
  const done = await flooder!.next<{ type: string } & Record<string, unknown>>('done', P.durationMs + 60_000);
  const metrics = await server
    .api('GET', '/metrics')
    .then((r) => String(r.body ?? ''))
    .catch(() => '');
  const counters = {
    throttled: metricSum(metrics, 'medloop_mqtt_throttled_total'),
    dropped: metricSum(metrics, 'medloop_mqtt_throttle_dropped_total'),
    droppedMiB: round(metricSum(metrics, 'medloop_mqtt_throttle_dropped_bytes_total') / (1 << 20), 1) ?? 0,
    disconnected: metricSum(metrics, 'medloop_mqtt_throttle_disconnects_total'),
    validatedAndRejected:
      metricSum(metrics, 'medloop_rejected_inputs_total', 'family="vda5050.state"') - metricSum(metrics, 'medloop_rejected_inputs_total', 'reason="throttled"'),
  };
  const alarms = await server
    .api('GET', '/api/alarms?type=device.input_flood')
    .then((r) => (Array.isArray(r.body) ? r.body.length : 0))
    .catch(() => 0);
  await stopAll([rtt, health, flooder]);
  workers.length = 0;
  await server.stop();
  server.removeDataDir();
  server = undefined;
  return { quiet, flood, flooder: { ...done, type: undefined }, counters, alarms };
}

async function main(): Promise<void> {
  const results = new Map<string, ConfigFigures>();
  for (const c of configs) results.set(c.name, await runConfig(c));

  const rows = [];
  for (const [name, f] of results) {
    for (const [phase, x] of [
      ['quiet', f.quiet],
      ['flood', f.flood],
    ] as const) {
      rows.push({
        server: name,
        phase,
        'QoS 1 n': x.rtt.n,
        'QoS 1 p50 ms': round(x.rtt.p50, 2),
        'QoS 1 p99 ms': round(x.rtt.p99, 2),
        'QoS 1 timeouts': x.rttTimeouts,
        '/health n': x.health.n,
        '/health p50 ms': round(x.health.p50, 2),
        '/health p99 ms': round(x.health.p99, 2),
        '/health failures': x.healthFailures,
        'MedLoop CPU %': round(x.cpuPct, 0),
      });
    }
    rows.push({
      server: name,
      phase: 'flood / quiet',
      'QoS 1 p50 ms': round(ratio(f.flood.rtt.p50, f.quiet.rtt.p50), 2),
      'QoS 1 p99 ms': round(ratio(f.flood.rtt.p99, f.quiet.rtt.p99), 2),
      '/health p50 ms': round(ratio(f.flood.health.p50, f.quiet.health.p50), 2),
      '/health p99 ms': round(ratio(f.flood.health.p99, f.quiet.health.p99), 2),
      'MedLoop CPU %': round(ratio(f.flood.cpuPct, f.quiet.cpuPct), 2),
    });
  }
  const title = `Another robot's QoS 1 round trip and GET /health, quiet vs one robot flooding ${P.payloadBytes / 1000} kB invalid states (${P.invalid}), ${P.durationMs / 1000} s each`;
  rec.table(title, rows);
  printTable(title, rows);

  const floodRows = [...results].map(([name, f]) => ({
    server: name,
    'flood msgs sent': f.flooder['sent'] as number,
    'flood MiB sent': round(((f.flooder['bytes'] as number) ?? 0) / (1 << 20), 1),
    'flood connects': f.flooder['connects'] as number,
    'closed by server': f.flooder['closedByServer'] as number,
    'validated + rejected': f.counters['validatedAndRejected'],
    throttles: f.counters['throttled'],
    'dropped unread': f.counters['dropped'],
    'dropped MiB': f.counters['droppedMiB'],
    disconnects: f.counters['disconnected'],
    'input_flood alarms': f.alarms,
    'rejection events to flooder': JSON.stringify(f.flooder['rejections'] ?? {}),
  }));
  rec.table('The flooder: what it sent and what the server did with it (server counters over the whole run)', floodRows);
  printTable('The flooder', floodRows);

  const on = results.get(configs[0]!.name)!;
  const rttRatio = ratio(on.flood.rtt.p50, on.quiet.rtt.p50);
  const healthRatio = ratio(on.flood.health.p50, on.quiet.health.p50);
  rec.target('budget on: QoS 1 p50 flood / quiet', `<= ${TARGET_RATIO}`, round(rttRatio, 2), rttRatio !== null && rttRatio <= TARGET_RATIO);
  rec.target('budget on: /health p50 flood / quiet', `<= ${TARGET_RATIO}`, round(healthRatio, 2), healthRatio !== null && healthRatio <= TARGET_RATIO);
  rec.target(
    'budget on: flooder disconnected and alarmed',
    '>= 1',
    on.counters['disconnected'] ?? 0,
    (on.counters['disconnected'] ?? 0) >= 1 && on.alarms >= 1,
  );
  rec.raw = Object.fromEntries(results);
  rec.note(
    'QoS 1 round trip: the good robot publishes a valid state and waits for its PUBACK, which MedLoop sends after authorizing, parsing, validating and applying it; one at a time with a short pause',
  );
  rec.note('the quiet phase runs first on each server, then the flood phase, after a warm-up in which the flood is already running');
  rec.note(
    'budget off: the same build with DEVICE_REJECT_MAX_PER_SEC=1000000 and DEVICE_REJECT_MAX_BYTES_PER_SEC=10^12 (the budget never acts): every flood message is parsed and schema-checked, as before the budget existed',
  );
  rec.note('all processes (MedLoop, probes, flooder) share this machine: the flooder’s own CPU competes with MedLoop’s');
  for (const [name, f] of results) if (f.quiet.rtt.n === 0 || f.flood.rtt.n === 0) throw new Error(`${name}: no round-trip samples`);
}

let failed = false;
try {
  await main();
} catch (err) {
  failed = true;
  console.error(err);
  rec.note(`FAILED: ${(err as Error).message.split('\n')[0]}`);
} finally {
  await stopAll(workers);
  if (server) {
    if (server.running) await server.stop();
    server.removeDataDir();
  }
}
rec.report(failed);
