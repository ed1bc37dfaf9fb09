/**
 * Connection-scale load generator: holds a slice of the K authenticated device connections.
 * Commands: `connect` (open them all, `concurrency` CONNECTs in flight) → `connected`;
 * `watch` (after the parent kills and restarts the server) → `disconnected`, `reconnected`
 * with wall-clock times; `end`. Passwords are derived from the run key (see medloop.ts).
 */
import { connect, type MqttClient } from 'mqtt';
import { derivedSecret } from '../lib/medloop.js';
import { command, send, withConcurrency, workerArgs } from '../lib/worker.js';

interface Args {
  url: string;
  ids: string[];
  key: string;
  concurrency: number;
  reconnectPeriodMs: number;
  connectTimeoutMs: number;
}

const args = workerArgs<Args>(900_000);
const wall = () => performance.timeOrigin + performance.now();
const passwords = args.ids.map((id) => derivedSecret(args.key, id));
const clients: MqttClient[] = [];
const up: boolean[] = args.ids.map(() => false);
const reup: boolean[] = args.ids.map(() => false);
let watching = false;
let downCount = 0;
let reupCount = 0;
let lastReupAt = 0;
let firstReupAt = 0;
let reportedDown = false;
let onAllUp: (() => void) | null = null;
send({ type: 'ready' });

await command('connect', 600_000);
const startMs = wall();
let ok = 0;
let failed = 0;
const failures = new Map<string, number>();
await withConcurrency(args.ids, args.concurrency, async (id, i) => {
  const c = connect(args.url, {
    clientId: `c-${id}`,
    username: id,
    password: passwords[i]!,
    reconnectPeriod: args.reconnectPeriodMs,
    connectTimeout: args.connectTimeoutMs,
    keepalive: 300,
    clean: true,
  });
  clients[i] = c;
  c.on('error', () => undefined);
  c.on('close', () => {
    if (up[i]) {
      up[i] = false;
      if (watching) {
        downCount++;
        if (downCount === args.ids.length && !reportedDown) {
          reportedDown = true;
          send({ type: 'disconnected', atMs: wall(), count: downCount });
        }
      }
    }
  });
  c.on('connect', () => {
    up[i] = true;
    if (watching && !reup[i]) {
      reup[i] = true;
      reupCount++;
      const now = wall();
      firstReupAt ||= now;
      lastReupAt = now;
      if (reupCount >= args.ids.length) onAllUp?.();
    }
  });
  const result = await new Promise<string | null>((resolve) => {
    const t = setTimeout(() => resolve('timeout'), args.connectTimeoutMs);
    c.once('connect', () => {
      clearTimeout(t);
      resolve(null);
    });
    c.once('error', (err: Error & { code?: unknown }) => {
      clearTimeout(t);
      resolve(String(err.code ?? err.message));
    });
  });
  if (result === null) ok++;
  else {
    failed++;
    failures.set(result, (failures.get(result) ?? 0) + 1);
  }
});
send({ type: 'connected', ok, failed, failures: Object.fromEntries(failures), startMs, endMs: wall() });

const watch = await command<{ type: 'watch'; timeoutMs: number }>('watch', 600_000);
watching = true;
const expected = args.ids.length;
await new Promise<void>((resolve) => {
  onAllUp = resolve;
  setTimeout(resolve, watch.timeoutMs);
});
send({ type: 'reconnected', count: reupCount, expected, firstAtMs: firstReupAt || null, lastAtMs: lastReupAt || null, stillDown: up.filter((u) => !u).length });

await command('end', 600_000);
for (const c of clients) c?.end(true);
process.exit(0);
