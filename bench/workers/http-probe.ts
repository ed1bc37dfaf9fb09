/**
 * Measures an HTTP GET's latency (e.g. `/health`), one request at a time on a kept-alive
 * connection, with a pause between them. Bounded per request (timeout) and per measurement.
 *
 * Commands: `measure` {durationMs, maxSamples} → `samples` (repeatable); `end`.
 */
import { command, send, workerArgs } from '../lib/worker.js';

interface Args {
  url: string;
  intervalMs: number;
  timeoutMs: number;
}

const args = workerArgs<Args>(600_000);
// one request first, so the connection is open before anything is measured
await fetch(args.url, { signal: AbortSignal.timeout(args.timeoutMs) }).then((r) => r.arrayBuffer());
send({ type: 'ready' });

for (;;) {
  const m = await command<{ type: string; durationMs?: number; maxSamples?: number }>('measure', 300_000).catch(() => null);
  if (!m) break;
  const samples: number[] = [];
  let failures = 0;
  const statuses: Record<string, number> = {};
  const t0 = performance.now();
  while (performance.now() - t0 < m.durationMs! && samples.length + failures < m.maxSamples!) {
    const start = performance.now();
    try {
      const r = await fetch(args.url, { signal: AbortSignal.timeout(args.timeoutMs) });
      await r.arrayBuffer();
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      samples.push(performance.now() - start);
    } catch {
      failures++;
    }
    if (args.intervalMs > 0) await new Promise((r) => setTimeout(r, args.intervalMs));
  }
  send({ type: 'samples', samples, failures, statuses });
}
process.exit(0);
