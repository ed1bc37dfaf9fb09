/**
 * Scenario 1 — telemetry ingest. N simulated sensors (plain `mqtt` clients in separate
 * generator processes) publish JSON telemetry as fast as allowed, QoS 0 and QoS 1 separately,
 * into three brokers measured side by side in one run:
 *   medloop   the control plane in its own process, full processing (auth, ACL, JSON
 *             validation, metrics, presence); sensors registered over its HTTP API
 *   aedes     plain aedes in its own process (`net.createServer({noDelay:true}, handle)`)
 *   mosquitto the system broker at 127.0.0.1:1883 (anonymous)
 * One subscriber process counts delivered messages per second (on MedLoop an integration
 * principal allowed `medloop/v1/sensor/+/telemetry`); the broker's CPU% and RSS are sampled
 * from /proc. Targets run interleaved, round after round, and every ratio is taken between
 * measurements of the same round.
 *
 * QoS 1 runs closed loop: each sensor keeps `window` unacknowledged messages in flight, so
 * the broker sets the pace and delivered msg/s is its capacity. QoS 0 runs open loop at fixed
 * offered rates, the same for every broker: a light one (`--qos0-rate`, below every broker's
 * capacity: all deliver it, and the broker CPU per message shows the cost of processing) and
 * one above MedLoop's capacity (`--qos0-capacity-rate`: delivered msg/s is what each broker
 * sustains). After each measurement the next waits until the broker is quiet, so a backlog
 * an overload left behind is not counted against the next load. An unthrottled QoS 0 flood
 * crashes aedes-based brokers (mqemitter's release chain recurses once per queued message:
 * RangeError, maximum call stack size), so the flood is run last, as a robustness probe that
 * records who survived. Then a QoS 1 ping-pong latency on each broker, plus plain aedes with
 * its default listener (Nagle on).
 *
 *   node dist/bench/ingest.js [--smoke] [--devices=200] [--generators=2] [--duration=8000]
 *        [--rounds=3] [--window=10] [--qos0-rate=4000] [--qos0-capacity-rate=30000] [--pings=200]
 *        [--targets=medloop,aedes,mosquitto] [--qos=0,1] [--profile]
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { num, parseArgs, str } from './lib/args.js';
import { spawnReady, spawnWorker, stopAll, type Worker } from './lib/child.js';
import { MedloopServer, registerOverHttp, type DeviceCredentials } from './lib/medloop.js';
import { canConnect, sleep } from './lib/ports.js';
import { pidsByName, ProcSampler, type ProcStats } from './lib/proc.js';
import { Recorder, resultsDir } from './lib/results.js';
import { ratio, round, summarize } from './lib/stats.js';
import { printTable } from './lib/table.js';

type TargetName = 'medloop' | 'aedes' | 'mosquitto';
interface Target {
  name: TargetName;
  label: string;
  url: string;
  pid: number | null;
  /** credentials per sensor index (MedLoop only) */
  sensorCreds?: DeviceCredentials[];
  subscriberCreds?: DeviceCredentials;
}

/** `--qos=0`, `--qos=1` or `--qos=0,1`; anything else stops the run with a message. */
function qosLevels(raw: string): (0 | 1)[] {
  const levels = raw.split(',').map((x) => x.trim());
  if (levels.length === 0 || levels.some((x) => x !== '0' && x !== '1')) throw new Error(`--qos: expected 0, 1 or 0,1, got '${raw}'`);
  return [...new Set(levels.map((x) => (x === '0' ? 0 : 1)))];
}

const args = parseArgs();
const smoke = args.smoke;
const P = {
  devices: num(args, 'devices', 200, 20),
  generators: num(args, 'generators', 2, 1),
  durationMs: num(args, 'duration', 8000, 1000),
  rounds: num(args, 'rounds', 3, 1),
  qos1Window: num(args, 'window', 10, 10),
  qos0Window: 64,
  /** QoS 0 offered load, msg/s over all sensors (open loop, see the header) */
  qos0Rate: num(args, 'qos0-rate', 4_000, 4000),
  /** QoS 0 offered load above MedLoop's capacity: what each broker sustains is its throughput */
  qos0CapacityRate: num(args, 'qos0-capacity-rate', 30_000, 8000),
  floodMs: num(args, 'flood-ms', 4000, 500),
  pings: num(args, 'pings', 200, 10),
  pingWarmup: smoke ? 3 : 20,
  targets: str(args, 'targets', 'medloop,aedes,mosquitto').split(',') as TargetName[],
  /** which QoS levels to measure (e.g. `--qos=0` to profile the open-loop load alone) */
  qos: qosLevels(str(args, 'qos', '0,1')),
  profile: args.flags.has('profile'),
  mosquittoUrl: 'mqtt://127.0.0.1:1883',
};
const tag = `b${randomBytes(3).toString('hex')}`;
const rec = new Recorder('ingest', 'Scenario 1: telemetry ingest', smoke ? 'smoke' : 'full', { ...P, tag });
const sensorIds = Array.from({ length: P.devices }, (_, i) => `sns-${tag}-${String(i).padStart(5, '0')}`);
const topicOf = (id: string) => `medloop/v1/sensor/${id}/telemetry`;
const FILTER = 'medloop/v1/sensor/+/telemetry';

let medloop: MedloopServer | undefined;
/** starts a fresh raw aedes for a target whose process died (set up in setup()) */
let respawnAedes: ((t: Target) => Promise<void>) | null = null;
const brokers: Worker[] = [];
const live: Worker[] = [];

async function setup(): Promise<{ targets: Target[]; aedesDefault: Target | null; pingCreds: DeviceCredentials | null }> {
  const targets: Target[] = [];
  let pingCreds: DeviceCredentials | null = null;
  if (P.targets.includes('medloop')) {
    const profileDir = join(resultsDir(), 'profiles');
    if (P.profile) mkdirSync(profileDir, { recursive: true });
    medloop = await MedloopServer.start({ nodeArgs: P.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [] });
    const reg = await registerOverHttp(medloop, sensorIds, 'sensor');
    rec.note(`registered ${P.devices} sensors over HTTP in ${reg.seconds.toFixed(2)} s (${Math.round(P.devices / reg.seconds)}/s, 8 requests in flight)`);
    const sub = await medloop.registerDevice({
      id: `int-${tag}-sub`,
      kind: 'integration',
      name: 'bench telemetry subscriber',
      acl: [{ effect: 'allow', action: 'subscribe', pattern: FILTER }],
    });
    pingCreds = await medloop.registerDevice({
      id: `int-${tag}-ping`,
      kind: 'integration',
      name: 'bench ping-pong',
      acl: [{ effect: 'allow', action: 'both', pattern: `bench/pingpong/${tag}` }],
    });
    targets.push({ name: 'medloop', label: 'MedLoop', url: medloop.mqttUrl, pid: medloop.pid, sensorCreds: reg.creds, subscriberCreds: sub });
  }
  let aedesDefault: Target | null = null;
  if (P.targets.includes('aedes')) {
    // they live for the whole scenario: every measurement, the ping-pong and the flood
    const maxLifetimeMs = Math.min(3_600_000, P.rounds * 6 * (P.durationMs + 20_000) + 300_000);
    const [fast, slow] = await spawnReady(
      'raw-aedes',
      [
        { noDelay: true, maxLifetimeMs },
        { noDelay: false, maxLifetimeMs },
      ],
      20_000,
      (i) => ({
        label: i === 0 ? 'aedes' : 'aedes-default',
      }),
    );
    brokers.push(fast!, slow!);
    const url = (w: Worker) => `mqtt://127.0.0.1:${String(w.ready?.['port'])}`;
    targets.push({ name: 'aedes', label: 'raw aedes (noDelay)', url: url(fast!), pid: fast!.pid });
    respawnAedes = async (t: Target) => {
      const [w] = await spawnReady('raw-aedes', [{ noDelay: true, maxLifetimeMs }], 20_000, () => ({ label: 'aedes' }));
      brokers.push(w!);
      t.url = url(w!);
      t.pid = w!.pid;
    };
    aedesDefault = { name: 'aedes', label: 'raw aedes default listener', url: url(slow!), pid: slow!.pid };
  }
  if (P.targets.includes('mosquitto')) {
    if (await canConnect(1883)) {
      const pids = pidsByName('mosquitto');
      targets.push({ name: 'mosquitto', label: 'Mosquitto', url: P.mosquittoUrl, pid: pids[0] ?? null });
      if (pids.length !== 1) rec.note(`found ${pids.length} mosquitto processes; CPU/RSS sampled from ${pids[0] ?? 'none'}`);
    } else {
      rec.note('Mosquitto is not listening on 127.0.0.1:1883: skipped');
    }
  }
  return { targets, aedesDefault, pingCreds };
}

/** One load a round measures on every broker. */
interface Load {
  key: 'q0-light' | 'q0-capacity' | 'q1';
  qos: 0 | 1;
  /** offered msg/s over all sensors (open loop); none = closed loop / socket backpressure */
  rate?: number;
  label: string;
}

const ALL_LOADS: Load[] = [
  { key: 'q0-light', qos: 0, rate: P.qos0Rate, label: `offered ${P.qos0Rate}/s` },
  { key: 'q0-capacity', qos: 0, rate: P.qos0CapacityRate, label: `offered ${P.qos0CapacityRate}/s` },
  { key: 'q1', qos: 1, label: `closed loop, window ${P.qos1Window}` },
];
const LOADS = ALL_LOADS.filter((l) => P.qos.includes(l.qos));

interface Measurement {
  round: number;
  target: Target;
  load: Load;
  qos: 0 | 1;
  deliveredPerS: number;
  publishedPerS: number;
  sent: number;
  acked: number;
  received: number;
  errors: number;
  broker: ProcStats | null;
  /** how long the broker took to go quiet after the generators stopped (its backlog) */
  settleMs: number;
  /** MedLoop's own counters over the measurement (null for the other brokers) */
  server: ServerCounters | null;
}

interface ServerCounters {
  /** messages MedLoop accepted from publishers */
  in: number;
  /** QoS 0 deliveries dropped for a subscriber whose socket backlog passed the limit */
  dropped: number;
  /** publishers paused because the broker's message queue was over its high-water mark */
  pauses: number;
}

/** MedLoop's broker counters from its /metrics (null when it does not answer). */
async function medloopCounters(): Promise<ServerCounters | null> {
  if (!medloop) return null;
  try {
    const r = await medloop.api('GET', '/metrics');
    const text = String(r.body);
    const sum = (name: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
        .reduce((acc, l) => acc + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    return {
      in: sum('medloop_mqtt_messages_in_total'),
      dropped: sum('medloop_mqtt_dropped_total'),
      pauses: sum('medloop_mqtt_backpressure_pauses_total'),
    };
  } catch {
    return null;
  }
}

async function measure(target: Target, load: Load, roundNo: number, flood = false): Promise<Measurement> {
  const qos = load.qos;
  const phase = `${tag}-r${roundNo}-${load.key}${flood ? '-flood' : ''}`;
  const durationMs = flood ? P.floodMs : P.durationMs;
  const subscriber = spawnWorker(
    'subscriber',
    {
      url: target.url,
      clientId: `sub-${phase}`,
      ...(target.subscriberCreds ?? {}),
      filter: FILTER,
      qos,
      tag,
    },
    { label: `sub ${target.name}` },
  );
  live.push(subscriber);
  await subscriber.next('ready', 20_000);
  const perGen = Math.ceil(P.devices / P.generators);
  const genArgs = Array.from({ length: P.generators }, (_, g) => ({
    url: target.url,
    qos,
    window: qos === 1 ? P.qos1Window : P.qos0Window,
    maxMessages: 50_000_000,
    ...(load.rate !== undefined && !flood ? { ratePerClient: load.rate / P.devices } : {}),
    clients: sensorIds.slice(g * perGen, (g + 1) * perGen).map((id, j) => {
      const i = g * perGen + j;
      return { clientId: `pub-${phase}-${i}`, topic: topicOf(id), ...(target.sensorCreds ? target.sensorCreds[i]! : {}) };
    }),
  }));
  const gens = await spawnReady('publisher', genArgs, 60_000, (i) => ({ label: `pub${i} ${target.name}` }));
  live.push(...gens);
  const before = target.name === 'medloop' ? await medloopCounters() : null;
  const sampler = target.pid ? new ProcSampler(target.pid).start() : null;
  subscriber.send({ type: 'mark', durationMs, tailMs: 500 });
  for (const g of gens) g.send({ type: 'start', durationMs });
  // the broker's CPU is read over the publishing window only, not the acknowledgement drain
  // after it (up to 5 s of near-idle that would dilute the CPU% of whichever broker has
  // messages still unacknowledged at the deadline)
  const brokerStats = sleep(durationMs).then(() => sampler?.stop() ?? null);
  const done = await Promise.all(
    gens.map((g) => g.next<{ type: 'done'; sent: number; acked: number; errors: number; elapsedMs: number }>('done', durationMs + 30_000)),
  );
  const broker = await brokerStats;
  const counts = await subscriber.next<{ type: 'counts'; buckets: number[]; total: number }>('counts', 30_000);
  await stopAll([subscriber, ...gens]);
  const settleMs = target.pid ? await settle(target.pid) : 0;
  const after = before ? await medloopCounters() : null;
  const server = before && after ? { in: after.in - before.in, dropped: after.dropped - before.dropped, pauses: after.pauses - before.pauses } : null;
  const sent = done.reduce((s, d) => s + d.sent, 0);
  const acked = done.reduce((s, d) => s + d.acked, 0);
  const errors = done.reduce((s, d) => s + d.errors, 0);
  const elapsedS = Math.max(...done.map((d) => d.elapsedMs)) / 1000;
  // steady state: whole 1 s buckets after the first second, inside the publishing window
  const whole = Math.floor(durationMs / 1000);
  const steady = whole >= 3 ? counts.buckets.slice(1, whole) : [];
  const deliveredPerS = steady.length ? steady.reduce((s, x) => s + x, 0) / steady.length : counts.total / (durationMs / 1000);
  return {
    round: roundNo,
    target,
    load,
    qos,
    deliveredPerS,
    publishedPerS: (qos === 1 ? acked : sent) / elapsedS,
    sent,
    acked,
    received: counts.total,
    errors,
    broker,
    settleMs,
    server,
  };
}

/**
 * Waits until the broker is quiet (under 10 % of a core over half a second; bounded), so a
 * backlog an overload left in its sockets is not measured as the next load's work.
 */
async function settle(pid: number): Promise<number> {
  const t0 = performance.now();
  const limitMs = smoke ? 10_000 : 60_000;
  while (performance.now() - t0 < limitMs) {
    const s = new ProcSampler(pid, 100).start();
    await sleep(500);
    const cpu = s.stop()?.cpuPct;
    if (cpu == null || cpu < 10) break;
  }
  return performance.now() - t0;
}

async function pingPong(target: Target, pingCreds: DeviceCredentials | null): Promise<{ label: string; samples: number[]; timeouts: number }> {
  const w = spawnWorker(
    'pingpong',
    {
      url: target.url,
      clientId: `ping-${tag}-${target.label.replace(/\W+/g, '-')}`,
      ...(target.name === 'medloop' && pingCreds ? pingCreds : {}),
      topic: `bench/pingpong/${tag}`,
      n: P.pings,
      warmup: P.pingWarmup,
      maxTotalMs: smoke ? 10_000 : 60_000,
    },
    { label: `ping ${target.name}` },
  );
  live.push(w);
  const r = await w.next<{ type: 'done'; samples: number[]; timeouts: number }>('done', smoke ? 20_000 : 90_000);
  await w.stop();
  return { label: target.label, samples: r.samples, timeouts: r.timeouts };
}

const mb = (b: number | null | undefined) => (b == null ? null : round(b / (1 << 20), 1));
const median = (xs: number[]) => summarize(xs).p50;
/** delivered messages per broker CPU-second (null without a CPU reading) */
const perCpuS = (m: Measurement | undefined) => (m?.broker?.cpuPct ? m.deliveredPerS / (m.broker.cpuPct / 100) : null);

async function main(): Promise<void> {
  const { targets, aedesDefault, pingCreds } = await setup();
  console.log(
    `ingest: ${P.devices} sensors in ${P.generators} generator process(es), ${P.durationMs} ms per measurement, ${P.rounds} round(s), loads: ${LOADS.map((l) => `QoS ${l.qos} ${l.label}`).join('; ')}, tag ${tag}`,
  );

  const results: Measurement[] = [];
  let aedesCrashes = 0;
  for (let r = 1; r <= P.rounds; r++) {
    for (const load of LOADS) {
      for (const t of targets) {
        // raw aedes can die of its own mqemitter recursion under load (see the header): the
        // crash is recorded, the measurement it spoilt left out, and a fresh one takes its place
        const aedesDied = () => t.name === 'aedes' && t.pid !== null && !isAlive(t.pid) && respawnAedes !== null;
        const restartAedes = async (note: string) => {
          rec.note(note);
          aedesCrashes++;
          await respawnAedes!(t);
        };
        if (aedesDied()) await restartAedes(`raw aedes had died between measurements, before round ${r} QoS ${load.qos} ${load.label}: restarted`);
        let m: Measurement;
        try {
          m = await measure(t, load, r);
        } catch (err) {
          if (!aedesDied()) throw err;
          await stopAll(live);
          await restartAedes(`raw aedes died during round ${r}, QoS ${load.qos} ${load.label} (${(err as Error).message.split('\n')[0]}): left out, restarted`);
          continue;
        }
        if (aedesDied()) {
          // it died within this measurement: what it delivered before dying is not its throughput
          await restartAedes(
            `raw aedes died during round ${r}, QoS ${load.qos} ${load.label} (delivered ${Math.round(m.deliveredPerS)}/s before): left out, restarted`,
          );
          continue;
        }
        results.push(m);
        console.log(
          `round ${r} QoS ${load.qos} ${load.label.padEnd(24)} ${t.label.padEnd(22)} delivered ${Math.round(m.deliveredPerS).toString().padStart(7)}/s  published ${Math.round(
            m.publishedPerS,
          )
            .toString()
            .padStart(7)}/s  broker CPU ${round(m.broker?.cpuPct, 0) ?? 'n/a'}%  settled in ${Math.round(m.settleMs)} ms`,
        );
      }
    }
  }

  const rows = [];
  for (const load of LOADS) {
    for (const t of targets) {
      const ms = results.filter((m) => m.load === load && m.target === t);
      if (!ms.length) continue; // raw aedes died in every round of this load (the notes say so)
      rows.push({
        QoS: load.qos,
        load: load.label,
        broker: t.label,
        'delivered msg/s': Math.round(median(ms.map((m) => m.deliveredPerS))),
        'published msg/s': Math.round(median(ms.map((m) => m.publishedPerS))),
        'broker CPU %': round(median(ms.map((m) => m.broker?.cpuPct ?? NaN).filter(Number.isFinite)), 0),
        'msgs / broker CPU-s': Math.round(median(ms.map(perCpuS).filter((x): x is number => x !== null))),
        'broker RSS peak MiB': mb(Math.max(...ms.map((m) => m.broker?.rssPeakBytes ?? 0))),
        'settle after, ms': Math.round(Math.max(...ms.map((m) => m.settleMs))),
        'publish errors': ms.reduce((s, m) => s + m.errors, 0),
      });
    }
  }
  rec.table('Throughput (median over rounds)', rows);
  printTable('Throughput (median over rounds)', rows);
  if (aedesCrashes) console.log(`raw aedes crashed ${aedesCrashes} time(s) and was restarted (see the notes)`);

  // what MedLoop itself counted: accepted vs delivered tells processing capacity from the
  // QoS 0 slow-subscriber policy (a subscriber that falls 1 MiB behind loses QoS 0 messages)
  const serverRows = LOADS.map((load) => {
    const ms = results.filter((m) => m.load === load && m.target.name === 'medloop' && m.server);
    const perS = (f: (c: ServerCounters) => number) => Math.round(median(ms.map((m) => f(m.server!) / (P.durationMs / 1000))));
    return {
      QoS: load.qos,
      load: load.label,
      'accepted msg/s': perS((c) => c.in),
      'delivered msg/s': Math.round(median(ms.map((m) => m.deliveredPerS))),
      'dropped for the slow subscriber /s': perS((c) => c.dropped),
      'publisher pauses': ms.reduce((acc, m) => acc + m.server!.pauses, 0),
    };
  }).filter((r) => Number.isFinite(r['accepted msg/s']));
  if (serverRows.length) {
    rec.table("MedLoop's own counters (median over rounds; accepted and dropped include the drain after each measurement)", serverRows);
    printTable("MedLoop's own counters", serverRows);
  }

  const ratioRows = [];
  for (const load of LOADS) {
    for (const ref of ['aedes', 'mosquitto'] as const) {
      const per: number[] = [];
      const perCpu: number[] = [];
      for (let r = 1; r <= P.rounds; r++) {
        const a = results.find((m) => m.round === r && m.load === load && m.target.name === 'medloop');
        const b = results.find((m) => m.round === r && m.load === load && m.target.name === ref);
        const x = ratio(a?.deliveredPerS, b?.deliveredPerS);
        if (x !== null) per.push(x);
        const y = ratio(perCpuS(a), perCpuS(b));
        if (y !== null) perCpu.push(y);
      }
      // Throughput targets: what each broker sustains under the same load. QoS 1 runs closed
      // loop (the broker sets the pace); QoS 0 at an offered rate above MedLoop's capacity.
      // The light QoS 0 load is below every broker's capacity: both deliver it all, and what
      // differs is the CPU it costs (reported in the ratios, not a throughput figure).
      if (ref === 'aedes' && load.key !== 'q0-light') {
        const name = load.key === 'q1' ? 'QoS 1 delivered msg/s, MedLoop / raw aedes' : `QoS 0 delivered msg/s at ${load.rate}/s offered, MedLoop / raw aedes`;
        if (per.length) rec.target(name, '>= 0.50', round(median(per), 2), median(per) >= 0.5);
        else rec.target(name, '>= 0.50', 'n/a: raw aedes died in every round of this load (see the notes)', null);
      }
      if (!per.length) continue;
      ratioRows.push({
        QoS: load.qos,
        load: load.label,
        ratio: `MedLoop / ${ref}`,
        'delivered msg/s': round(median(per), 2),
        'delivered per round': per.map((x) => x.toFixed(2)).join(' '),
        'msgs per broker CPU-s': perCpu.length ? round(median(perCpu), 2) : null,
        'CPU-s per round': perCpu.map((x) => x.toFixed(2)).join(' '),
      });
    }
  }
  rec.table('Ratios (each round compares measurements taken back to back)', ratioRows);
  printTable('Ratios (each round compares measurements taken back to back)', ratioRows);

  // QoS 1 ping-pong latency
  const pingTargets = [...targets, ...(aedesDefault ? [aedesDefault] : [])];
  const pingRows = [];
  const pingP50 = new Map<string, number>();
  for (const t of pingTargets) {
    const r = await pingPong(t, pingCreds);
    const s = summarize(r.samples);
    pingP50.set(t.label, s.p50);
    pingRows.push({
      broker: t.label,
      n: s.n,
      'p50 ms': round(s.p50, 2),
      'p95 ms': round(s.p95, 2),
      'p99 ms': round(s.p99, 2),
      'max ms': round(s.max, 2),
      timeouts: r.timeouts,
    });
  }
  const ml = pingP50.get('MedLoop');
  for (const row of pingRows) Object.assign(row, { 'p50 / MedLoop p50': round(ratio(pingP50.get(row.broker), ml), 2) });
  rec.table('QoS 1 ping-pong round trip (publish, receive own message)', pingRows);
  printTable('QoS 1 ping-pong round trip (publish, receive own message)', pingRows);
  if (ml !== undefined) rec.target('QoS 1 ping-pong p50 on MedLoop', '~1 ms (no Nagle delay)', round(ml, 2), ml < 5);

  // robustness probe: unthrottled QoS 0 flood, last because it may bring a broker down. A
  // broker can crash seconds after the flood, while draining what it queued, so every broker
  // is checked again once all floods are over.
  const floodRows = [];
  const aliveNow = async (t: Target) => t.pid !== null && isAlive(t.pid) && (await canConnect(Number(new URL(t.url).port)));
  for (const t of targets) {
    let m: Measurement | null = null;
    let error: string | null = null;
    try {
      m = await measure(t, { key: 'q0-capacity', qos: 0, label: 'flood' }, 0, true);
    } catch (err) {
      error = (err as Error).message.split('\n')[0]!;
    }
    await new Promise((r) => setTimeout(r, smoke ? 1000 : 2000));
    floodRows.push({
      target: t,
      row: {
        broker: t.label,
        survived: (await aliveNow(t)) ? 'yes' : 'NO (process died)',
        'published msg/s': m ? Math.round(m.publishedPerS) : null,
        'delivered msg/s': m ? Math.round(m.deliveredPerS) : null,
        'broker CPU %': m ? round(m.broker?.cpuPct, 0) : null,
        error,
      },
    });
  }
  await new Promise((r) => setTimeout(r, smoke ? 1000 : 5000));
  for (const f of floodRows) {
    const alive = f.row.survived === 'yes' && (await aliveNow(f.target));
    if (!alive && f.row.survived === 'yes') f.row.survived = 'NO (died after the flood, while draining)';
    console.log(`flood ${f.target.label}: survived ${alive}`);
    if (f.target.name === 'medloop') rec.target('MedLoop survives an unthrottled QoS 0 flood', 'survives', alive ? 'survived' : 'crashed', alive);
  }
  const floodTable = floodRows.map((f) => f.row);
  rec.table(`Robustness: unthrottled QoS 0 flood for ${P.floodMs} ms (${P.devices} sensors, socket backpressure only)`, floodTable);
  printTable(`Robustness: unthrottled QoS 0 flood for ${P.floodMs} ms`, floodTable);

  rec.raw = {
    measurements: results.map((m) => ({ ...m, target: m.target.label, load: m.load.key })),
  };
  rec.note(
    'delivered = messages the single subscriber received per second in steady state (whole seconds after the first); published = messages the generators got onto the wire (QoS 0) or had acknowledged (QoS 1)',
  );
  rec.note("raw aedes runs aedes 1.x defaults (no hooks, concurrency 100); MedLoop's broker sets concurrency 1000 and the hooks listed in the README");
  rec.note(
    'all processes share this machine: generators, subscriber and broker compete for the same cores, so absolute msg/s are machine-bound; compare the ratios',
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return readProcState(pid) !== 'Z';
  } catch {
    return false;
  }
}

function readProcState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

try {
  await main();
} finally {
  await stopAll(live);
  await stopAll(brokers);
  if (medloop) {
    if (medloop.running) await medloop.stop();
    medloop.removeDataDir();
  }
}
rec.report(false);
