/**
 * Telemetry load generator: one process, many plain `mqtt` clients (one per simulated
 * sensor), each publishing JSON telemetry as fast as the broker lets it: at most `window`
 * unacknowledged QoS 1 messages per client, or for QoS 0 whatever the socket accepts before
 * it reports backpressure. With `ratePerClient` each client instead publishes at that fixed
 * rate (open loop: the offered load does not bend to the broker). Bounded by `durationMs`
 * and `maxMessages`.
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { command, send, withConcurrency, workerArgs } from '../lib/worker.js';

interface ClientSpec {
  clientId: string;
  username?: string;
  password?: string;
  topic: string;
}

interface Args {
  url: string;
  clients: ClientSpec[];
  qos: 0 | 1;
  window: number;
  maxMessages: number;
  /** msg/s per client; unset = as fast as the window / socket allow */
  ratePerClient?: number;
}

const args = workerArgs<Args>(180_000);
const clients: { spec: ClientSpec; c: MqttClient }[] = [];
const tConnect = performance.now();
await withConcurrency(args.clients, 50, async (spec) => {
  const c = await connectAsync(args.url, {
    clientId: spec.clientId,
    ...(spec.username ? { username: spec.username, password: spec.password } : {}),
    reconnectPeriod: 0,
    clean: true,
    keepalive: 60,
  });
  clients.push({ spec, c });
});
send({ type: 'ready', connectMs: performance.now() - tConnect });

const start = await command<{ type: 'start'; durationMs: number }>('start', 120_000);
let running = true;
let sent = 0;
let acked = 0;
let errors = 0;
const t0 = performance.now();
const deadline = t0 + start.durationMs;

// valid MedLoop v1 sensor telemetry (libs/contracts/src/devices), so MedLoop measures its full
// processing path rather than its rejection path; the same bytes go to every broker
const ts = new Date().toISOString();
const payload = (spec: ClientSpec, seq: number) =>
  `{"v":1,"deviceId":${JSON.stringify(spec.username ?? spec.clientId)},"seq":${seq},"ts":"${ts}","readings":[{"channel":"air","temperatureC":21.4,"humidityPct":41.2}],"batteryPct":87}`;
const onSent = (err?: Error) => {
  if (err) errors++;
  else acked++;
};
if (args.ratePerClient !== undefined) {
  const rate = args.ratePerClient;
  const seqs = clients.map(() => 0);
  const tick = setInterval(() => {
    const now = performance.now();
    if (now >= deadline || sent >= args.maxMessages) {
      running = false;
      clearInterval(tick);
      return;
    }
    const due = Math.floor((rate * (now - t0)) / 1000);
    clients.forEach(({ spec, c }, i) => {
      // catch up at most one second's worth per tick (bounded if this process falls behind)
      for (let k = 0; seqs[i]! < due && k < rate; k++) {
        seqs[i]!++;
        sent++;
        c.publish(spec.topic, payload(spec, seqs[i]!), { qos: args.qos }, onSent);
      }
    });
  }, 5);
}

for (const { spec, c } of args.ratePerClient === undefined ? clients : []) {
  let inflight = 0;
  let seq = 0;
  let scheduled = false;
  const schedule = () => {
    if (scheduled || !running) return;
    scheduled = true;
    setImmediate(pump);
  };
  const done = (err?: Error) => {
    inflight--;
    if (err) errors++;
    else acked++;
    schedule();
  };
  const pump = () => {
    scheduled = false;
    // a burst per turn, so one client cannot starve the other clients of this process
    let burst = 0;
    while (running && inflight < args.window && burst < 64) {
      if (sent >= args.maxMessages || performance.now() >= deadline) {
        running = false;
        return;
      }
      inflight++;
      burst++;
      sent++;
      seq++;
      c.publish(spec.topic, payload(spec, seq), { qos: args.qos }, done);
    }
    if (inflight < args.window) schedule();
  };
  schedule();
}

await new Promise<void>((resolve) => {
  const check = setInterval(() => {
    if (!running || performance.now() >= deadline) {
      running = false;
      clearInterval(check);
      resolve();
    }
  }, 20);
});
const elapsedMs = performance.now() - t0;
// let outstanding acknowledgements arrive (bounded)
const drainUntil = performance.now() + 5000;
while (acked + errors < sent && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
send({ type: 'done', sent, acked, errors, elapsedMs });
await Promise.all(clients.map(({ c }) => c.endAsync(true).catch(() => undefined)));
process.exit(0);
