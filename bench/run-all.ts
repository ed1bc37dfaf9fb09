/**
 * Runs every benchmark scenario, one after another, each in its own process (so one
 * scenario's leftovers never skew the next): `node dist/bench/run-all.js [--smoke]`.
 * Extra flags are passed through. Exits non-zero if any scenario failed.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable } from './lib/table.js';

export const SCENARIOS = [
  { name: 'ingest', file: 'ingest.js', title: 'Scenario 1: telemetry ingest' },
  { name: 'live-latency', file: 'live-latency.js', title: 'Scenario 2: robot state → nurse station latency' },
  { name: 'connections', file: 'connections.js', title: 'Scenario 3: connection scale' },
  { name: 'custody', file: 'custody.js', title: 'Scenario 4: custody write rate' },
  { name: 'dispatch', file: 'dispatch.js', title: 'Scenario 5: dispatch decision time' },
  { name: 'dispatch-profile', file: 'dispatch-profile.js', title: 'Dispatch: where a cold round spends its time' },
  { name: 'pingpong-nagle', file: 'pingpong-nagle.js', title: 'Client-side Nagle: QoS 1 ping-pong' },
  { name: 'flood', file: 'flood.js', title: 'Flood: one device sending large invalid payloads vs everyone else' },
  { name: 'backup', file: 'backup.js', title: 'Backup and restore: time, throughput, cost to writers' },
] as const;

const here = dirname(fileURLToPath(import.meta.url));
const passThrough = process.argv.slice(2);
const only = passThrough
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const smoke = passThrough.includes('--smoke');
// a whole run is bounded too: smoke must fit CI's budget, full runs get generous caps
const capMs = smoke ? 120_000 : 900_000;

function run(file: string): Promise<{ code: number | null; seconds: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(here, file), ...passThrough.filter((a) => !a.startsWith('--only='))], { stdio: 'inherit' });
    const timer = setTimeout(() => {
      console.error(`${file}: exceeded ${capMs / 1000} s, stopping it`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, capMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

const summary = [];
for (const s of SCENARIOS) {
  if (only && !only.includes(s.name)) continue;
  console.log(`\n=== ${s.title}${smoke ? ' (smoke)' : ''} ===`);
  const r = await run(s.file);
  summary.push({ scenario: s.name, result: r.code === 0 ? 'ok' : `FAILED (exit ${r.code})`, seconds: Math.round(r.seconds * 10) / 10 });
}
printTable(`benchmarks${smoke ? ' (smoke)' : ''}: results in bench/results/`, summary);
if (summary.some((s) => s.result !== 'ok')) process.exitCode = 1;
