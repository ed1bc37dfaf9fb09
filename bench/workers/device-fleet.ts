/**
 * Load generator for the live-latency scenario: one process, many raw `mqtt` clients, each a
 * simulated robot (VDA 5050 2.0.0 `state`, QoS 0, increasing headerId) or ward sensor (v1
 * `telemetry`, QoS 0, increasing seq), publishing every `periodMs` with a random phase so
 * the load is smooth. A robot's state carries its send time (wall clock, µs resolution) in
 * `lastNodeId` as `bench:<robot>:<headerId>:<ms>`: the live gateway forwards lastNodeId to
 * nurse stations in its `robot` delta, so receivers measure publish → receive.
 *
 * Commands: `connect` → `connected`; `start` {untilWallMs} → publishes until then → `done`
 * with per-group counts of messages sent inside [fromWallMs, toWallMs).
 */
import { connect, type MqttClient } from 'mqtt';
import { derivedSecret } from '../lib/medloop.js';
import { command, send, withConcurrency, workerArgs } from '../lib/worker.js';

interface DeviceSpec {
  id: string;
  /** robots: VDA identity and the floor (mapId) they drive on; sensors: unused */
  manufacturer?: string;
  serialNumber?: string;
  mapId?: string;
  /** counting group (robots: their mapId) */
  group: string;
}

interface Args {
  url: string;
  kind: 'robot' | 'sensor';
  devices: DeviceSpec[];
  key: string;
  periodMs: number;
  concurrency: number;
  connectTimeoutMs: number;
  maxLifetimeMs?: number;
}

const args = workerArgs<Args>(900_000);
const wall = () => performance.timeOrigin + performance.now();
const clients: (MqttClient | undefined)[] = new Array(args.devices.length);
send({ type: 'ready' });

await command('connect', 600_000);
const t0 = wall();
let failed = 0;
const failures = new Map<string, number>();
await withConcurrency(args.devices, args.concurrency, async (d, i) => {
  const c = connect(args.url, {
    clientId: `c-${d.id}`,
    username: d.id,
    password: derivedSecret(args.key, d.id),
    reconnectPeriod: 0,
    connectTimeout: args.connectTimeoutMs,
    keepalive: 120,
    clean: true,
  });
  c.on('error', () => undefined);
  const err = await new Promise<string | null>((resolve) => {
    const t = setTimeout(() => resolve('timeout'), args.connectTimeoutMs);
    c.once('connect', () => {
      clearTimeout(t);
      resolve(null);
    });
    c.once('error', (e) => {
      clearTimeout(t);
      resolve(e.message.slice(0, 60));
    });
  });
  if (err) {
    failed++;
    failures.set(err, (failures.get(err) ?? 0) + 1);
    c.end(true);
  } else clients[i] = c;
});
send({ type: 'connected', ok: args.devices.length - failed, failed, failures: Object.fromEntries(failures), seconds: (wall() - t0) / 1000 });

const start = await command<{ type: 'start'; untilWallMs: number; fromWallMs: number; toWallMs: number }>('start', 600_000);
const seqs = args.devices.map(() => 0);
// random phase: device i first publishes at a random point of its first period
const nextDue = args.devices.map(() => wall() + Math.random() * args.periodMs);
const counted = new Map<string, number>();
let sent = 0;
let errors = 0;
const onErr = (err?: Error) => {
  if (err) errors++;
};

function robotState(d: DeviceSpec, headerId: number, i: number): string {
  const now = wall();
  const x = 5 + ((headerId * 0.7 + i) % 70);
  const state = {
    headerId,
    timestamp: new Date(now).toISOString(),
    version: '2.0.0',
    manufacturer: d.manufacturer,
    serialNumber: d.serialNumber,
    orderId: '',
    orderUpdateId: 0,
    lastNodeId: `bench:${i}:${headerId}:${now.toFixed(3)}`,
    lastNodeSequenceId: 0,
    driving: true,
    paused: false,
    newBaseRequest: false,
    distanceSinceLastNode: 1.5,
    operatingMode: 'AUTOMATIC',
    nodeStates: [],
    edgeStates: [],
    agvPosition: { x, y: 20, theta: 0, mapId: d.mapId, positionInitialized: true },
    velocity: { vx: 0.7, vy: 0, omega: 0 },
    loads: [],
    actionStates: [],
    batteryState: { batteryCharge: 87.5, batteryVoltage: 26.1, charging: false, reach: 4000 },
    errors: [],
    information: [],
    safetyState: { eStop: 'NONE', fieldViolation: false },
  };
  return JSON.stringify(state);
}

function sensorTelemetry(d: DeviceSpec, seq: number): string {
  return JSON.stringify({
    v: 1,
    deviceId: d.id,
    seq,
    ts: new Date().toISOString(),
    readings: [{ channel: 'air', temperatureC: 4.5 + (seq % 10) / 10, doorOpen: false }],
    batteryPct: 87,
  });
}

const topics = args.devices.map((d) => (args.kind === 'robot' ? `uagv/v2/${d.manufacturer}/${d.serialNumber}/state` : `medloop/v1/sensor/${d.id}/telemetry`));

await new Promise<void>((resolve) => {
  const tick = setInterval(() => {
    const now = wall();
    if (now >= start.untilWallMs) {
      clearInterval(tick);
      resolve();
      return;
    }
    for (let i = 0; i < args.devices.length; i++) {
      const c = clients[i];
      if (!c || nextDue[i]! > now) continue;
      // never burst to catch up: a late device just publishes once now
      nextDue[i] = Math.max(nextDue[i]! + args.periodMs, now + args.periodMs / 2);
      const d = args.devices[i]!;
      const seq = ++seqs[i]!;
      const payload = args.kind === 'robot' ? robotState(d, seq, i) : sensorTelemetry(d, seq);
      const at = wall();
      c.publish(topics[i]!, payload, { qos: 0 }, onErr);
      sent++;
      if (at >= start.fromWallMs && at < start.toWallMs) counted.set(d.group, (counted.get(d.group) ?? 0) + 1);
    }
  }, 2);
});
send({ type: 'done', sent, errors, counted: Object.fromEntries(counted), disconnected: clients.filter((c) => c && !c.connected).length });
await command('end', 60_000).catch(() => undefined);
await Promise.all(clients.map((c) => c?.endAsync(true).catch(() => undefined)));
process.exit(0);
