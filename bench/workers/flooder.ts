/**
 * A misbehaving robot for the flood scenario: one `mqtt` client publishing large invalid VDA
 * 5050 `state` payloads (valid JSON that fails the schema in thousands of places, or text that
 * is not JSON) as fast as they are acknowledged, QoS 1 with up to `window` unacknowledged.
 * Like real firmware it reconnects after `reconnectMs` when the server closes the connection.
 * Counts what it sent and the rejection events it got back. Bounded by the `start` command's
 * duration and by `maxMessages` / `maxConnects`.
 *
 * Commands: `start` {durationMs} → floods → `done`.
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { command, send, workerArgs } from '../lib/worker.js';

interface Args {
  url: string;
  username: string;
  password: string;
  manufacturer: string;
  serialNumber: string;
  interfaceName: string;
  /** payload size to aim for */
  payloadBytes: number;
  invalid: 'schema' | 'json';
  window: number;
  maxMessages: number;
  maxConnects: number;
  reconnectMs: number;
}

const args = workerArgs<Args>(600_000);
const topic = `${args.interfaceName}/v2/${args.manufacturer}/${args.serialNumber}/state`;
const rejectionTopic = `medloop/v1/rejections/${args.username}`;
const payload = Buffer.from(args.invalid === 'json' ? notJson(args.payloadBytes) : schemaInvalidState(args.payloadBytes));

function schemaInvalidState(bytes: number): string {
  const head = { headerId: 1, timestamp: new Date().toISOString(), version: '2.0.0', manufacturer: args.manufacturer, serialNumber: args.serialNumber };
  // every node state is wrong three times (types of nodeId, sequenceId and released)
  const node = (i: number) => ({ nodeId: i, sequenceId: 'x', released: 'no', nodeDescription: 'y'.repeat(40) });
  const one = JSON.stringify(node(100_000)).length + 1;
  const n = Math.max(1, Math.floor((bytes - JSON.stringify({ ...head, nodeStates: [] }).length) / one));
  return JSON.stringify({ ...head, nodeStates: Array.from({ length: n }, (_, i) => node(100_000 + i)) });
}

function notJson(bytes: number): string {
  return `{"headerId":1,"nodeStates":[${'{"nodeId":"n",'.repeat(Math.ceil(bytes / 14))}`.slice(0, bytes);
}

async function connect(): Promise<MqttClient> {
  return connectAsync(args.url, {
    clientId: `flooder-${args.username}`,
    username: args.username,
    password: args.password,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    clean: true,
  });
}

send({ type: 'ready', payloadBytes: payload.length });
const start = await command<{ type: 'start'; durationMs: number }>('start', 300_000);
const deadline = performance.now() + start.durationMs;
let sent = 0;
let acked = 0;
let connects = 0;
let connectFailures = 0;
let closedByServer = 0;
const rejections: Record<string, number> = {};

while (performance.now() < deadline && sent < args.maxMessages && connects + connectFailures < args.maxConnects) {
  let client: MqttClient;
  try {
    client = await connect();
    connects++;
  } catch {
    connectFailures++;
    await new Promise((r) => setTimeout(r, args.reconnectMs));
    continue;
  }
  client.on('error', () => undefined);
  client.on('message', (t, p) => {
    if (t !== rejectionTopic) return;
    try {
      const reason = (JSON.parse(p.toString()) as { reason?: string }).reason ?? '?';
      rejections[reason] = (rejections[reason] ?? 0) + 1;
    } catch {
      rejections['unparsable'] = (rejections['unparsable'] ?? 0) + 1;
    }
  });
  const gone = new Promise<void>((resolve) => client.once('close', () => resolve()));
  let open = true;
  void gone.then(() => (open = false));
  await client.subscribeAsync(rejectionTopic, { qos: 0 }).catch(() => undefined);
  let inflight = 0;
  let wake: (() => void) | null = null;
  while (open && performance.now() < deadline && sent < args.maxMessages) {
    if (inflight >= args.window) {
      // wait for an acknowledgement, the close, or the end of the run (bounded)
      await Promise.race([new Promise<void>((r) => (wake = r)), gone, new Promise((r) => setTimeout(r, Math.max(1, deadline - performance.now())))]);
      continue;
    }
    inflight++;
    sent++;
    client.publish(topic, payload, { qos: 1 }, (err) => {
      inflight--;
      if (!err) acked++;
      wake?.();
      wake = null;
    });
  }
  if (open) {
    await client.endAsync(true).catch(() => undefined);
    break;
  }
  closedByServer++;
  if (performance.now() + args.reconnectMs < deadline) await new Promise((r) => setTimeout(r, args.reconnectMs));
  else break;
}
send({ type: 'done', sent, acked, bytes: sent * payload.length, connects, connectFailures, closedByServer, rejections });
process.exit(0);
