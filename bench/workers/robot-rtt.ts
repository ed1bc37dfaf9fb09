/**
 * A well-behaved robot as a probe: publishes valid VDA 5050 2.0.0 `state` messages at QoS 1,
 * one at a time, and measures each publish → PUBACK round trip. MedLoop acknowledges a robot
 * message after it has been authorized, parsed, validated and applied, so the round trip is
 * the time the server takes to serve this robot. Nagle is off on the client, as in the other
 * round-trip benchmarks, so the figure is the server's.
 *
 * Commands: `measure` {durationMs, maxSamples} → `samples` (repeatable); `end`.
 */
import { connectAsync } from 'mqtt';
import { command, send, workerArgs } from '../lib/worker.js';

interface Args {
  url: string;
  username: string;
  password: string;
  manufacturer: string;
  serialNumber: string;
  interfaceName: string;
  /** pause between one acknowledgement and the next publish */
  intervalMs: number;
  timeoutMs: number;
}

const args = workerArgs<Args>(600_000);
const client = await connectAsync(args.url, {
  username: args.username,
  password: args.password,
  clientId: `rtt-${args.username}`,
  reconnectPeriod: 0,
  clean: true,
});
(client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
client.on('error', () => undefined);
const topic = `${args.interfaceName}/v2/${args.manufacturer}/${args.serialNumber}/state`;
let headerId = 0;
const state = () =>
  JSON.stringify({
    headerId: ++headerId,
    timestamp: new Date().toISOString(),
    version: '2.0.0',
    manufacturer: args.manufacturer,
    serialNumber: args.serialNumber,
    orderId: '',
    orderUpdateId: 0,
    lastNodeId: `probe-${headerId}`,
    lastNodeSequenceId: 0,
    nodeStates: [],
    edgeStates: [],
    driving: false,
    actionStates: [],
    batteryState: { batteryCharge: 80, charging: false },
    operatingMode: 'AUTOMATIC',
    errors: [],
    safetyState: { eStop: 'NONE', fieldViolation: false },
  });
send({ type: 'ready' });

for (;;) {
  const m = await command<{ type: string; durationMs?: number; maxSamples?: number }>('measure', 300_000).catch(() => null);
  if (!m) break;
  const samples: number[] = [];
  let timeouts = 0;
  let errors = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < m.durationMs! && samples.length + timeouts + errors < m.maxSamples!) {
    const start = performance.now();
    const outcome = await new Promise<'ok' | 'timeout' | 'error'>((resolve) => {
      const t = setTimeout(() => resolve('timeout'), args.timeoutMs);
      client.publish(topic, state(), { qos: 1 }, (err) => {
        clearTimeout(t);
        resolve(err ? 'error' : 'ok');
      });
    });
    if (outcome === 'ok') samples.push(performance.now() - start);
    else if (outcome === 'timeout') timeouts++;
    else errors++;
    if (args.intervalMs > 0) await new Promise((r) => setTimeout(r, args.intervalMs));
  }
  send({ type: 'samples', samples, timeouts, errors, connected: client.connected });
}
await client.endAsync(true).catch(() => undefined);
process.exit(0);
