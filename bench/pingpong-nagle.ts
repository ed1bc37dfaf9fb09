/**
 * Client-side Nagle and the QoS 1 ping-pong. The ingest run showed a 44 ms median round trip
 * to MedLoop when the client keeps mqtt.js' default (Nagle on) and 0.3 ms to Mosquitto. This
 * measures the round trip (publish QoS 1 to a topic the client itself subscribes to, wait for
 * the message, repeat) with the client's Nagle on and off against:
 *   medloop         the control plane (its listeners set TCP_NODELAY)
 *   aedes-nodelay   plain aedes, `net.createServer({noDelay:true})`
 *   aedes-nagle     plain aedes, default listener (server Nagle on)
 *   aedes-cork      plain aedes, noDelay, socket corked while a read batch is handled and
 *                   uncorked on setImmediate (candidate server-side fix)
 *   mosquitto       127.0.0.1:1883 (its default: set_tcp_nodelay false, i.e. server Nagle on)
 * and records socket-level timelines (client writes/reads with MQTT packet types; for plain
 * aedes also the server's reads/writes) of a few round trips to show the packet order.
 * tcpdump/tshark are not installed here, so the timelines are taken at the socket API: a
 * write's time is when the application handed the bytes to the kernel, a read's time is
 * when they reached the other process; the gap between the two is time spent in TCP.
 *
 *   node dist/bench/pingpong-nagle.js [--smoke] [--pings=200] [--warmup=20] [--trace=3]
 */
import { randomBytes } from 'node:crypto';
import { num, parseArgs } from './lib/args.js';
import { spawnReady, spawnWorker, stopAll, type Worker } from './lib/child.js';
import { MedloopServer, type DeviceCredentials } from './lib/medloop.js';
import { canConnect } from './lib/ports.js';
import { Recorder } from './lib/results.js';
import { ratio, round, summarize } from './lib/stats.js';
import { printTable } from './lib/table.js';

const args = parseArgs();
const smoke = args.smoke;
const P = {
  pings: num(args, 'pings', 200, 10),
  warmup: num(args, 'warmup', 20, 3),
  trace: num(args, 'trace', 3, 2),
};
const tag = randomBytes(3).toString('hex');
const topic = `bench/pingpong/${tag}`;
const rec = new Recorder('pingpong-nagle', 'Client-side Nagle: QoS 1 ping-pong', smoke ? 'smoke' : 'full', { ...P, tag });

interface Target {
  name: string;
  url: string;
  creds?: DeviceCredentials;
  /** the broker worker, when it can report a server-side timeline */
  tracer?: Worker;
}

let medloop: MedloopServer | undefined;
const brokers: Worker[] = [];
const live: Worker[] = [];

type Entry = { at: number; dir: string; packets: string[] };
async function pingPong(t: Target, clientNoDelay: boolean, trace: number): Promise<{ samples: number[]; timeouts: number; timeline: Entry[] }> {
  const w = spawnWorker(
    'pingpong',
    {
      url: t.url,
      clientId: `ping-${tag}-${t.name}-${clientNoDelay ? 'nd' : 'ng'}`,
      ...(t.creds ?? {}),
      topic,
      n: P.pings,
      warmup: P.warmup,
      maxTotalMs: smoke ? 8000 : 60_000,
      clientNoDelay,
      trace,
    },
    { label: `ping ${t.name}` },
  );
  live.push(w);
  const r = await w.next<{ type: 'done'; samples: number[]; timeouts: number; timeline: Entry[] }>('done', smoke ? 20_000 : 120_000);
  await w.stop();
  return r;
}

const PACKET = [
  '?',
  'CONNECT',
  'CONNACK',
  'PUBLISH',
  'PUBACK',
  'PUBREC',
  'PUBREL',
  'PUBCOMP',
  'SUBSCRIBE',
  'SUBACK',
  'UNSUBSCRIBE',
  'UNSUBACK',
  'PINGREQ',
  'PINGRESP',
  'DISCONNECT',
  'AUTH',
];

async function main(): Promise<void> {
  const targets: Target[] = [];
  medloop = await MedloopServer.start();
  const creds = await medloop.registerDevice({
    id: `int-${tag}-ping`,
    kind: 'integration',
    name: 'bench ping-pong',
    acl: [{ effect: 'allow', action: 'both', pattern: topic }],
  });
  targets.push({ name: 'medloop', url: medloop.mqttUrl, creds });
  const variants = [
    { name: 'aedes-nodelay', noDelay: true },
    { name: 'aedes-nagle', noDelay: false },
    { name: 'aedes-cork', noDelay: true, cork: 'read' },
  ];
  const ws = await spawnReady(
    'raw-aedes',
    variants.map((v) => ({ ...v, trace: true, maxLifetimeMs: 600_000 })),
    20_000,
    (i) => ({ label: variants[i]!.name }),
  );
  brokers.push(...ws);
  ws.forEach((w, i) => targets.push({ name: variants[i]!.name, url: `mqtt://127.0.0.1:${String(w.ready?.['port'])}`, tracer: w }));
  if (await canConnect(1883)) targets.push({ name: 'mosquitto', url: 'mqtt://127.0.0.1:1883' });
  else rec.note('Mosquitto is not listening on 127.0.0.1:1883: skipped');

  const rows = [];
  const p50 = new Map<string, number>();
  const timelines: Record<string, unknown> = {};
  for (const t of targets) {
    for (const noDelay of [false, true]) {
      // the traced round trips come right after the warm-up; the server timeline is per broker
      const r = await pingPong(t, noDelay, P.trace);
      const s = summarize(r.samples);
      p50.set(`${t.name}/${noDelay}`, s.p50);
      rows.push({
        broker: t.name,
        'client Nagle': noDelay ? 'off (setNoDelay)' : 'on (mqtt.js default)',
        n: s.n,
        'p50 ms': round(s.p50, 2),
        'p95 ms': round(s.p95, 2),
        'p99 ms': round(s.p99, 2),
        'max ms': round(s.max, 2),
        timeouts: r.timeouts,
      });
      console.log(`${t.name.padEnd(14)} client Nagle ${noDelay ? 'off' : 'on '}  p50 ${s.p50.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms`);
      if (!noDelay) timelines[t.name] = r.timeline;
    }
  }
  for (const row of rows) {
    const nagleOn = String(row['client Nagle']).startsWith('on');
    Object.assign(row, {
      'Nagle on / off p50': nagleOn ? round(ratio(p50.get(`${row.broker}/false`), p50.get(`${row.broker}/true`)), 1) : null,
      'p50 / mosquitto same client': round(ratio(p50.get(`${row.broker}/${!nagleOn}`), p50.get(`mosquitto/${!nagleOn}`)), 1),
    });
  }
  const title = `QoS 1 ping-pong round trip, ${P.pings} measured after ${P.warmup} warm-up`;
  rec.table(title, rows);
  printTable(title, rows);

  // timelines: client side for every broker (client Nagle on), server side for plain aedes
  const server: Record<string, { at: number; dir: string; bytes: number; first: number }[]> = {};
  for (const t of targets) {
    if (!t.tracer) continue;
    t.tracer.send({ type: 'trace' });
    server[t.name] = (await t.tracer.next<{ type: string; timeline: (typeof server)[string] }>('timeline', 10_000)).timeline;
  }
  for (const t of targets) {
    const tl = (timelines[t.name] as Entry[] | undefined) ?? [];
    const firstPub = tl.findIndex((e) => e.packets[0]?.startsWith('app publish'));
    if (firstPub < 0) continue;
    const t0 = tl[firstPub]!.at;
    const tEnd = tl.at(-1)!.at;
    const merged: { at: number; side: string; dir: string; what: string }[] = tl.map((e) => ({
      at: e.at,
      side: 'client',
      dir: e.dir,
      what: e.packets.join(' + '),
    }));
    for (const e of server[t.name] ?? []) {
      if (e.at < t0 - 0.01 || e.at > tEnd + 100) continue;
      merged.push({ at: e.at, side: 'server', dir: e.dir, what: e.dir === 'write' ? (PACKET[e.first] ?? '?') : `${e.bytes} bytes readable` });
    }
    merged.sort((a, b) => a.at - b.at);
    const tlRows = merged
      .filter((e) => e.at >= t0 - 0.01)
      .slice(0, 40)
      .map((e) => ({ 't ms': round(e.at - t0, 3), side: e.side, op: e.dir, packets: e.what }));
    rec.table(`Timeline, ${t.name}, client Nagle on (t = 0 at the first traced publish)`, tlRows);
    if (t.name === 'medloop' || t.name === 'aedes-nodelay' || t.name === 'mosquitto') printTable(`Timeline, ${t.name}, client Nagle on`, tlRows);
  }
  const ml = p50.get('medloop/false');
  rec.target('MedLoop QoS 1 ping-pong p50, client Nagle on (mqtt.js default)', '~1 ms (no delayed-ACK stall)', round(ml, 2), ml !== undefined && ml < 5);
  const ck = p50.get('aedes-cork/false');
  rec.target('plain aedes + cork-per-read-batch, client Nagle on', '~1 ms', round(ck, 2), ck !== undefined && ck < 5);
  rec.note(
    'Linux delays a pure ACK by up to 40 ms (TCP_DELACK_MIN) when the receiver has no data to send back; Nagle holds a small segment while earlier data is unacknowledged',
  );
}

let failed = false;
try {
  await main();
} catch (err) {
  failed = true;
  console.error(err);
  rec.note(`FAILED: ${(err as Error).message.split('\n')[0]}`);
} finally {
  await stopAll(live);
  await stopAll(brokers);
  if (medloop) {
    if (medloop.running) await medloop.stop();
    medloop.removeDataDir();
  }
}
rec.report(failed);
