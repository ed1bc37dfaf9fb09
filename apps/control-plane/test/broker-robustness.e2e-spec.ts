import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PortInUseError } from '#broker';
import { collect, connectMqtt, freePort, vdaStateJson, waitFor } from '#testing';
import { startTestApp, type TestApp } from './support/test-app.js';
import { MqttService } from '../src/mqtt/mqtt.service.js';

const kSetNoDelay = (s: Socket): unknown => {
  const sym = Object.getOwnPropertySymbols(s).find((x) => x.description === 'kSetNoDelay');
  return sym ? (s as unknown as Record<symbol, unknown>)[sym] : undefined;
};

describe('embedded broker robustness', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  const broker = () => t.cp.app.get(MqttService).broker;

  it("switches Nagle's algorithm off on every MQTT socket (TCP and WebSocket)", async () => {
    // Nagle + delayed ACK added ~44 ms to each QoS 1 round trip on aedes' default listener
    const r = await t.registerDevice({ kind: 'sensor', name: 'nagle' });
    const tcp = await connectMqtt(t.mqttUrl, { username: r.credentials.username, password: r.credentials.password });
    const ws = await connectMqtt(t.mqttWsUrl!, { username: r.credentials.username, password: r.credentials.password, clientId: 'ws' });
    const sockets = [...broker().openSockets];
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    for (const s of sockets) expect(kSetNoDelay(s)).toBe(true);
    await Promise.all([tcp.endAsync(), ws.endAsync()]);
  });

  it('survives a QoS 0 subscriber disconnecting in the middle of a publish flood, repeatedly', async () => {
    const robot = await t.registerDevice({ kind: 'robot', name: 'flooder', manufacturer: 'Acme', serialNumber: 'FLOOD' });
    const mon = await t.registerDevice({ kind: 'integration', name: 'monitor', acl: [{ effect: 'allow', action: 'subscribe', pattern: 'uagv/v2/+/+/state' }] });
    const pub = await connectMqtt(t.mqttUrl, { username: robot.credentials.username, password: robot.credentials.password });
    let headerId = 0;
    const pad = 'x'.repeat(200);
    for (let round = 0; round < 6; round++) {
      const sub = await connectMqtt(t.mqttUrl, { username: mon.credentials.username, password: mon.credentials.password, clientId: `flood-sub-${round}` });
      await sub.subscribeAsync('uagv/v2/+/+/state', { qos: 0 });
      let stop = false;
      let sent = 0;
      const burst = () => {
        if (stop) return;
        for (let i = 0; i < 500; i++) pub.publish('uagv/v2/Acme/FLOOD/state', vdaStateJson('FLOOD', ++headerId, { lastNodeId: pad }), { qos: 0 });
        sent += 500;
        setImmediate(burst);
      };
      burst();
      await new Promise((r) => setTimeout(r, 150));
      if (round % 2 === 0) sub.stream.destroy();
      else sub.end(true);
      await new Promise((r) => setTimeout(r, 150));
      stop = true;
      expect(sent).toBeGreaterThan(1000);
    }
    // the broker still serves: a fresh subscriber receives a fresh message
    const check = await connectMqtt(t.mqttUrl, { username: mon.credentials.username, password: mon.credentials.password, clientId: 'flood-check' });
    const got = collect(check);
    await check.subscribeAsync('uagv/v2/+/+/state', { qos: 1 });
    await pub.publishAsync('uagv/v2/Acme/FLOOD/state', vdaStateJson('FLOOD', ++headerId, { battery: 99.5 }), { qos: 1 });
    await waitFor(() => got.find((g) => g.payload.toString().includes('"batteryCharge":99.5')), 10_000, 'message after the flood');
    // and its connection count did not drift: publisher + checker
    await waitFor(() => broker().connectedClients === 2, 10_000, 'connection count to settle');
    await Promise.all([pub.endAsync(), check.endAsync()]);
    await waitFor(() => broker().connectedClients === 0, 5000, 'all clients gone');
    const m = await t.api('GET', '/metrics');
    expect(m.text).toMatch(/^medloop_mqtt_connections 0$/m);
  }, 60_000);

  it('keeps serving other subscribers when one subscriber stops reading (QoS 0 dropped for it, not queued)', async () => {
    const robot = await t.registerDevice({ kind: 'robot', name: 'busy', manufacturer: 'Acme', serialNumber: 'BUSY' });
    const mon = await t.registerDevice({
      kind: 'integration',
      name: 'monitor2',
      acl: [{ effect: 'allow', action: 'subscribe', pattern: 'uagv/v2/+/+/state' }],
    });
    const frozen = await connectMqtt(t.mqttUrl, { username: mon.credentials.username, password: mon.credentials.password, clientId: 'frozen' });
    await frozen.subscribeAsync('uagv/v2/Acme/BUSY/state', { qos: 0 });
    (frozen.stream as Socket).pause(); // stops reading: the broker's socket buffer fills up
    const live = await connectMqtt(t.mqttUrl, { username: mon.credentials.username, password: mon.credentials.password, clientId: 'live' });
    let received = 0;
    live.on('message', () => received++);
    await live.subscribeAsync('uagv/v2/Acme/BUSY/state', { qos: 0 });
    const pub = await connectMqtt(t.mqttUrl, { username: robot.credentials.username, password: robot.credentials.password });
    const pad = 'y'.repeat(2000);
    const total = 5000;
    // a steady stream a reading subscriber keeps up with: one 12 MB burst in a single tick put
    // even the live subscriber (in this process, on a loaded CI machine) past the 1 MiB QoS 0
    // backlog, where the broker rightly drops for it too
    for (let i = 0; i < total; i++) {
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
      pub.publish('uagv/v2/Acme/BUSY/state', vdaStateJson('BUSY', i + 1, { lastNodeId: pad }), { qos: 0 });
    }
    await waitFor(() => received === total, 20_000, `live subscriber to receive all ${total}`);
    const m = await t.api('GET', '/metrics');
    expect(m.text).toMatch(/medloop_mqtt_dropped_total\{family="vda5050.state"\} [1-9]/);
    frozen.stream.destroy();
    await Promise.all([live.endAsync(), pub.endAsync()]);
  }, 60_000);
});

describe('broker under a flood from other processes', () => {
  it('survives a QoS 0 flood whose only subscriber falls behind and then leaves, by pushing back on publishers', async () => {
    const t = await startTestApp();
    try {
      const ids = await Promise.all([0, 1].map((i) => t.registerDevice({ kind: 'sensor', name: `flood-${i}` })));
      const mon = await t.registerDevice({
        kind: 'integration',
        name: 'slow',
        acl: [{ effect: 'allow', action: 'subscribe', pattern: 'medloop/v1/sensor/+/telemetry' }],
      });
      const slow = await connectMqtt(t.mqttUrl, { username: mon.credentials.username, password: mon.credentials.password });
      await slow.subscribeAsync('medloop/v1/sensor/+/telemetry', { qos: 0 });
      // two publisher processes, each flooding as fast as its socket takes it for 3 s
      const script = `
        import mqtt from 'mqtt';
        const [url, user, pass, topic] = process.argv.slice(1);
        const c = mqtt.connect(url, { username: user, password: pass, reconnectPeriod: 0 });
        c.on('connect', () => {
          let seq = 0;
          const ts = new Date().toISOString();
          const end = Date.now() + 3000;
          const burst = () => {
            if (Date.now() > end) { c.end(true); return; }
            for (let i = 0; i < 2000; i++) c.publish(topic, JSON.stringify({ v: 1, deviceId: user, seq: ++seq, ts, readings: [{ channel: 'air', temperatureC: 5.2 }] }), { qos: 0 });
            setImmediate(burst);
          };
          burst();
        });
        c.on('error', () => process.exit(2));`;
      const { spawn } = await import('node:child_process');
      const children = ids.map((r) =>
        spawn(
          process.execPath,
          ['--input-type=module', '-e', script, t.mqttUrl, r.credentials.username, r.credentials.password, `medloop/v1/sensor/${r.device.id}/telemetry`],
          { stdio: 'ignore', cwd: process.cwd() },
        ),
      );
      // the subscriber reads slowly, then disconnects while the queue behind it is long
      (slow.stream as Socket).pause();
      await new Promise((r) => setTimeout(r, 1500));
      slow.stream.destroy();
      await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));
      await new Promise((r) => setTimeout(r, 500));
      const health = await t.api('GET', '/health');
      expect(health.status).toBe(200);
      const m = await t.api('GET', '/metrics');
      expect(m.text).toMatch(/medloop_mqtt_messages_in_total\{family="medloop.sensor.telemetry"\} \d{5,}/);
      // and it still routes: a fresh subscriber gets a fresh message
      const check = await connectMqtt(t.mqttUrl, { username: mon.credentials.username, password: mon.credentials.password, clientId: 'after' });
      const got = collect(check);
      await check.subscribeAsync('medloop/v1/sensor/+/telemetry', { qos: 1 });
      const pub = await connectMqtt(t.mqttUrl, { username: ids[0]!.credentials.username, password: ids[0]!.credentials.password });
      const marker = {
        v: 1,
        deviceId: ids[0]!.device.id,
        seq: 1_000_000_000,
        ts: new Date().toISOString(),
        readings: [{ channel: 'air', temperatureC: 7.77 }],
      };
      await pub.publishAsync(`medloop/v1/sensor/${ids[0]!.device.id}/telemetry`, JSON.stringify(marker), { qos: 1 });
      await waitFor(() => got.find((g) => g.payload.toString().includes('7.77')), 10_000, 'message after the flood');
      await Promise.all([check.endAsync(), pub.endAsync()]);
    } finally {
      await t.close();
    }
  }, 60_000);
});

describe('ports', () => {
  let holder: Server;
  let taken: number;
  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    taken = (holder.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => holder.close(r));
  });

  it('reports a taken MQTT port naming MQTT_PORT', async () => {
    await expect(startTestApp({ MQTT_PORT: String(taken) })).rejects.toThrow(new PortInUseError('MQTT_PORT', taken, '127.0.0.1'));
  });

  it('reports a taken HTTP port naming HTTP_PORT, and releases the broker port it had opened', async () => {
    const mqttPort = await freePort();
    const err = await startTestApp({ HTTP_PORT: String(taken), MQTT_PORT: String(mqttPort) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortInUseError);
    expect((err as Error).message).toContain(`HTTP_PORT=${taken}`);
    // the broker that had started is closed again: its port is free
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(mqttPort, '127.0.0.1', resolve);
    });
    await new Promise((r) => again.close(r));
  });
});
