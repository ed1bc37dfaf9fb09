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
(client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
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
  client.publish(args.topic, JSON.stringify({ seq: i, at: Date.now() }), { qos: 1 });
  if (!(await got)) timeouts++;
  else if (i >= args.warmup) samples.push(performance.now() - start);
}
send({ type: 'done', samples, timeouts });
await client.endAsync(true);
process.exit(0);
