/**
 * The one subscriber that measures delivered throughput: subscribes to a wildcard filter and
 * counts, per 1 s bucket after the parent's `mark`, the messages whose topic carries this
 * run's tag (so other traffic on a shared broker is not counted).
 */
import { connectAsync } from 'mqtt';
import { command, send, workerArgs } from '../lib/worker.js';

interface Args {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  filter: string;
  qos: 0 | 1;
  tag: string;
}

const args = workerArgs<Args>(180_000);
const client = await connectAsync(args.url, {
  clientId: args.clientId,
  ...(args.username ? { username: args.username, password: args.password } : {}),
  reconnectPeriod: 0,
  clean: true,
  keepalive: 60,
});
const granted = await client.subscribeAsync(args.filter, { qos: args.qos });
if (granted[0]?.qos === 128) throw new Error(`subscription to ${args.filter} refused`);

let counting = false;
let t0 = 0;
let buckets: number[] = [];
let total = 0;
let lastAt = 0;
client.on('message', (topic) => {
  if (!counting || !topic.includes(args.tag)) return;
  const now = performance.now();
  const b = Math.floor((now - t0) / 1000);
  buckets[b] = (buckets[b] ?? 0) + 1;
  total++;
  lastAt = now;
});
send({ type: 'ready' });

const mark = await command<{ type: 'mark'; durationMs: number; tailMs: number }>('mark', 120_000);
t0 = performance.now();
buckets = [];
total = 0;
counting = true;
await new Promise((r) => setTimeout(r, mark.durationMs + mark.tailMs));
counting = false;
send({ type: 'counts', buckets: Array.from(buckets, (x) => x ?? 0), total, lastAtMs: lastAt ? lastAt - t0 : null });
await client.endAsync(true);
process.exit(0);
