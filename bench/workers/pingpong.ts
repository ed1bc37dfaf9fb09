/**
 * QoS 1 round trip: one client subscribes to a topic, publishes QoS 1 to it, waits until the
 * broker delivers its own message back, and repeats `n` times (each wait bounded).
 */
import { connectAsync } from 'mqtt';
import { send, workerArgs } from '../lib/worker.js';

interface Args {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  topic: string;
  n: number;
  warmup: number;
  maxTotalMs: number;
  /** default true; false keeps mqtt.js' default (Nagle on, as most device firmware runs it) */
  clientNoDelay?: boolean;
  /** record a socket-level timeline (writes and reads, MQTT packet types) of this many measured round trips */
  trace?: number;
}

const args = workerArgs<Args>(180_000);
const client = await connectAsync(args.url, {
  clientId: args.clientId,
  ...(args.username ? { username: args.username, password: args.password } : {}),
  reconnectPeriod: 0,
  clean: true,
});
// Nagle off on the client too, so the figure is the broker's: with it on, the client's PUBACK
// followed by the next PUBLISH waits for the broker's delayed ACK (~40 ms) whatever the broker does
if (args.clientNoDelay !== false) (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);

const wall = () => performance.timeOrigin + performance.now();
const timeline: { at: number; dir: 'write' | 'read'; packets: string[] }[] = [];
let tracing = false;
const stream = client.stream as unknown as { write: (chunk: unknown, ...rest: unknown[]) => boolean; on: (ev: string, fn: (b: Buffer) => void) => void };
if (args.trace) {
  const origWrite = stream.write.bind(stream);
  stream.write = (chunk: unknown, ...rest: unknown[]) => {
    if (tracing && Buffer.isBuffer(chunk)) timeline.push({ at: wall(), dir: 'write', packets: packetTypes(chunk) });
    return origWrite(chunk, ...rest);
  };
  stream.on('data', (b: Buffer) => {
    if (tracing) timeline.push({ at: wall(), dir: 'read', packets: packetTypes(b) });
  });
}
const granted = await client.subscribeAsync(args.topic, { qos: 1 });
if (granted[0]?.qos === 128) throw new Error(`subscription to ${args.topic} refused`);

let waiting: { seq: number; resolve: () => void } | null = null;
client.on('message', (_topic, payload) => {
  const seq = (JSON.parse(payload.toString()) as { seq: number }).seq;
  if (waiting && waiting.seq === seq) waiting.resolve();
});

const samples: number[] = [];
const t0 = performance.now();
let timeouts = 0;
for (let i = 0; i < args.warmup + args.n && performance.now() - t0 < args.maxTotalMs; i++) {
  const start = performance.now();
  const got = new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), 5000);
    waiting = {
      seq: i,
      resolve: () => {
        clearTimeout(t);
        resolve(true);
      },
    };
  });
  tracing = !!args.trace && i >= args.warmup && i < args.warmup + args.trace;
  if (tracing) timeline.push({ at: wall(), dir: 'write', packets: [`app publish #${i}`] });
  client.publish(args.topic, JSON.stringify({ seq: i, at: Date.now() }), { qos: 1 });
  if (!(await got)) timeouts++;
  else if (i >= args.warmup) samples.push(performance.now() - start);
}
send({ type: 'done', samples, timeouts, timeline });
await client.endAsync(true);
process.exit(0);

/** MQTT control packet names in a chunk (whole packets assumed; a split packet shows as '?'). */
function packetTypes(b: Buffer): string[] {
  const names = [
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
  const out: string[] = [];
  let i = 0;
  while (i < b.length && out.length < 16) {
    const type = names[b[i]! >> 4] ?? '?';
    let len = 0;
    let mul = 1;
    let j = i + 1;
    for (; j < b.length && j < i + 5; j++) {
      len += (b[j]! & 0x7f) * mul;
      mul *= 128;
      if ((b[j]! & 0x80) === 0) break;
    }
    out.push(type);
    i = j + 1 + len;
  }
  return out;
}
