import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { DevicesRepository } from '#persistence';
import { DevicePresenceService } from '../src/devices/device-presence.service.js';
import { closed, collect, connectMqtt, connectRefused, subscribeCodes, waitFor, waitForAsync } from '#testing';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('device registry and broker access control', () => {
  let t: TestApp;
  const open: MqttClient[] = [];
  const track = (c: MqttClient) => (open.push(c), c);

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.endAsync(true).catch(() => undefined)));
    await t?.close();
  });

  const robot = (serial: string) => t.registerDevice({ kind: 'robot', name: `Robot ${serial}`, manufacturer: 'Acme', serialNumber: serial, ward: 'pharmacy' });

  it('registers a robot and returns its credentials once', async () => {
    const r = await robot('R-100');
    expect(r.device).toMatchObject({
      kind: 'robot',
      vda5050: { interfaceName: 'uagv', manufacturer: 'Acme', serialNumber: 'R-100' },
      online: false,
      lastSeenAt: null,
    });
    expect(r.device.topics.publish).toContain('uagv/v2/Acme/R-100/state');
    expect(r.credentials.username).toBe(r.device.id);
    expect(r.credentials.password.length).toBeGreaterThanOrEqual(40);
    const again = await t.api('GET', `/api/devices/${r.device.id}`, { token: t.adminToken });
    expect(again.status).toBe(200);
    expect(JSON.stringify(again.body)).not.toContain(r.credentials.password);
    expect(again.body.secretHash).toBeUndefined();
  });

  it('refuses a second robot with the same VDA 5050 identity (409) and a robot without serialNumber (400)', async () => {
    await robot('R-101');
    const dup = await t.api('POST', '/api/devices', { token: t.adminToken, body: { kind: 'robot', name: 'x', manufacturer: 'Acme', serialNumber: 'R-101' } });
    expect(dup.status).toBe(409);
    const bad = await t.api('POST', '/api/devices', { token: t.adminToken, body: { kind: 'robot', name: 'x', manufacturer: 'Acme' } });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('serialNumber');
    const slash = await t.api('POST', '/api/devices', { token: t.adminToken, body: { kind: 'robot', name: 'x', manufacturer: 'Acme', serialNumber: 'a/b' } });
    expect(slash.status).toBe(400);
    expect(slash.body.field).toBe('serialNumber');
  });

  it('refuses anonymous and wrong credentials at CONNECT', async () => {
    const r = await robot('R-102');
    expect(await connectRefused(t.mqttUrl, { clientId: 'anon' })).toBe(4);
    expect(await connectRefused(t.mqttUrl, { username: r.credentials.username, password: 'wrong' })).toBe(4);
    expect(await connectRefused(t.mqttUrl, { username: 'no-such-device', password: r.credentials.password })).toBe(4);
    const m = await t.api('GET', '/metrics');
    expect(m.text).toMatch(/medloop_mqtt_auth_failures_total\{reason="no_credentials"\} [1-9]/);
    expect(m.text).toMatch(/medloop_mqtt_auth_failures_total\{reason="bad_credentials"\} [2-9]/);
  });

  it('persists last-seen for more devices than one write chunk (200), each with its own instant', async () => {
    const regs = [];
    for (let i = 0; i < 450; i++) regs.push(await t.registerDevice({ kind: 'sensor', name: `last-seen ${i}`, ward: 'ward-ls', location: 'x' }));
    const base = Date.UTC(2026, 0, 1);
    const seen = new Map(regs.map((r, i) => [r.device.id as string, new Date(base + i * 1000)]));
    const repo = t.cp.app.get(DevicesRepository);
    await repo.touchLastSeen(seen);
    const rows = await repo.findByIds([...seen.keys()]);
    expect(rows).toHaveLength(450);
    for (const row of rows) expect(row.lastSeenAt?.toISOString()).toBe(seen.get(row.id)!.toISOString());
  }, 60_000);

  it('accepts a registered device, tracks it online with last-seen, and offline after it leaves', async () => {
    const r = await robot('R-103');
    const c = track(await connectMqtt(t.mqttUrl, { clientId: 'any-id-the-robot-likes', username: r.credentials.username, password: r.credentials.password }));
    await waitForAsync(async () => (await t.api('GET', `/api/devices/${r.device.id}`, { token: t.adminToken })).body.online === true, 3000, 'online');
    await c.publishAsync('uagv/v2/Acme/R-103/visualization', JSON.stringify({ headerId: 1 }), { qos: 1 });
    const d = (await t.api('GET', `/api/devices/${r.device.id}`, { token: t.adminToken })).body;
    expect(d.lastSeenAt).not.toBeNull();
    // the periodic flush persists it: what a restarted server will show
    await t.cp.app.get(DevicePresenceService).flush();
    const row = await t.cp.app.get(DevicesRepository).findById(r.device.id);
    expect(row!.lastSeenAt!.getTime()).toBeGreaterThanOrEqual(Date.parse(d.lastSeenAt) - 1000);
    await c.endAsync();
    await waitForAsync(async () => (await t.api('GET', `/api/devices/${r.device.id}`, { token: t.adminToken })).body.online === false, 3000, 'offline');
  });

  it('lets a robot publish in its own VDA 5050 space and drops it for publishing in another robot’s', async () => {
    const a = await robot('R-104');
    await robot('R-105');
    const c = track(await connectMqtt(t.mqttUrl, { username: a.credentials.username, password: a.credentials.password }));
    await c.publishAsync('uagv/v2/Acme/R-104/state', JSON.stringify({ headerId: 1 }), { qos: 1 });
    const gone = closed(c);
    c.publish('uagv/v2/Acme/R-105/state', JSON.stringify({ headerId: 1 }), { qos: 1 });
    await gone;
    const m = await t.api('GET', '/metrics');
    expect(m.text).toMatch(/medloop_mqtt_acl_denied_total\{action="publish"\} [1-9]/);
  });

  it('refuses subscriptions outside the device space with SUBACK 0x80 and keeps the connection', async () => {
    const a = await robot('R-106');
    const c = track(await connectMqtt(t.mqttUrl, { username: a.credentials.username, password: a.credentials.password }));
    expect(await subscribeCodes(c, ['uagv/v2/Acme/R-106/order', 'uagv/v2/Acme/R-107/order', 'uagv/v2/Acme/+/order', '#'])).toEqual([0, 128, 128, 128]);
    expect(c.connected).toBe(true);
  });

  it('the client id is free-form and never grants access: reusing another device’s client id neither kicks it nor takes its session', async () => {
    const a = await robot('R-108');
    const b = await robot('R-109');
    const ca = track(await connectMqtt(t.mqttUrl, { clientId: 'shared-id', clean: false, username: a.credentials.username, password: a.credentials.password }));
    await ca.subscribeAsync('uagv/v2/Acme/R-108/order', { qos: 1 });
    const cb = track(await connectMqtt(t.mqttUrl, { clientId: 'shared-id', clean: false, username: b.credentials.username, password: b.credentials.password }));
    expect(cb.connected).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(ca.connected).toBe(true);
    const got = collect(cb);
    await t.cp.app.get((await import('../src/mqtt/mqtt.service.js')).MqttService).broker.publish('uagv/v2/Acme/R-108/order', '{"orderId":"o1"}', { qos: 1 });
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toHaveLength(0);
  });

  it('revocation drops a live session at once and refuses reconnection', async () => {
    const r = await robot('R-110');
    const c = track(await connectMqtt(t.mqttUrl, { username: r.credentials.username, password: r.credentials.password }));
    const gone = closed(c, 2000);
    const rev = await t.api('POST', `/api/devices/${r.device.id}/revoke`, { token: t.adminToken });
    expect(rev.status).toBe(200);
    expect(rev.body.revokedAt).not.toBeNull();
    await gone;
    expect(await connectRefused(t.mqttUrl, { username: r.credentials.username, password: r.credentials.password })).toBe(5);
    expect((await t.api('POST', `/api/devices/${r.device.id}/revoke`, { token: t.adminToken })).status).toBe(409);
  });

  it('credential rotation invalidates the old secret and drops live sessions', async () => {
    const r = await robot('R-111');
    const c = track(await connectMqtt(t.mqttUrl, { username: r.credentials.username, password: r.credentials.password }));
    const gone = closed(c, 2000);
    const rot = await t.api('POST', `/api/devices/${r.device.id}/credentials`, { token: t.adminToken });
    expect(rot.status).toBe(201);
    await gone;
    expect(await connectRefused(t.mqttUrl, { username: r.credentials.username, password: r.credentials.password })).toBe(4);
    const c2 = track(await connectMqtt(t.mqttUrl, { username: rot.body.credentials.username, password: rot.body.credentials.password }));
    expect(c2.connected).toBe(true);
  });

  it('refuses a last will outside the device space at CONNECT; delivers an allowed one to authorised subscribers', async () => {
    const r = await robot('R-112');
    expect(
      await connectRefused(t.mqttUrl, {
        username: r.credentials.username,
        password: r.credentials.password,
        will: { topic: 'uagv/v2/Acme/OTHER/connection', payload: Buffer.from('{}'), qos: 1, retain: true },
      }),
    ).toBe(5);
    const monitor = await t.registerDevice({
      kind: 'integration',
      name: 'Fleet monitor',
      acl: [{ effect: 'allow', action: 'subscribe', pattern: 'uagv/v2/+/+/connection' }],
    });
    const m = track(await connectMqtt(t.mqttUrl, { username: monitor.credentials.username, password: monitor.credentials.password }));
    const got = collect(m);
    await m.subscribeAsync('uagv/v2/+/+/connection', { qos: 1 });
    const will = {
      headerId: 2,
      timestamp: new Date().toISOString(),
      version: '2.0.0',
      manufacturer: 'Acme',
      serialNumber: 'R-112',
      connectionState: 'CONNECTIONBROKEN',
    };
    const c = await connectMqtt(t.mqttUrl, {
      username: r.credentials.username,
      password: r.credentials.password,
      will: { topic: 'uagv/v2/Acme/R-112/connection', payload: Buffer.from(JSON.stringify(will)), qos: 1, retain: true },
    });
    await waitForAsync(async () => (await t.api('GET', `/api/devices/${r.device.id}`, { token: t.adminToken })).body.online === true, 3000, 'online');
    c.stream.destroy(); // connection lost without DISCONNECT: the broker publishes the will
    const msg = await waitFor(() => got.find((g) => g.topic === 'uagv/v2/Acme/R-112/connection'), 3000, 'last will');
    expect(JSON.parse(msg.payload.toString()).connectionState).toBe('CONNECTIONBROKEN');
    await waitForAsync(async () => (await t.api('GET', `/api/devices/${r.device.id}`, { token: t.adminToken })).body.online === false, 3000, 'offline');
  });

  it('a robot that reconnected before its old link was noticed dead stays ONLINE when the old session ends; its last session ending marks it broken', async () => {
    const r = await robot('R-120');
    const topic = 'uagv/v2/Acme/R-120/connection';
    const message = (headerId: number, connectionState: string) =>
      JSON.stringify({ headerId, timestamp: new Date().toISOString(), version: '2.0.0', manufacturer: 'Acme', serialNumber: 'R-120', connectionState });
    const session = async (clientId: string, headerId: number) => {
      const c = await connectMqtt(t.mqttUrl, {
        clientId,
        username: r.credentials.username,
        password: r.credentials.password,
        will: { topic, payload: Buffer.from(message(headerId, 'CONNECTIONBROKEN')), qos: 1, retain: true },
      });
      await c.publishAsync(topic, message(headerId + 1, 'ONLINE'), { qos: 1, retain: true });
      return c;
    };
    const connection = async () => (await t.api('GET', `/api/robots/${r.device.id}`, { token: t.adminToken })).body.connection;
    const presence = t.cp.app.get(DevicePresenceService);
    // the old link (half-open, say, after a Wi-Fi roam) and the robot's new one, with another client id
    const old = await session('r120-old', 1);
    const fresh = track(await session('r120-new', 10));
    await waitFor(() => presence.get(r.device.id)?.sessions === 2, 3000, 'two live sessions');
    expect(await connection()).toBe('ONLINE');
    old.stream.destroy();
    await waitFor(() => presence.get(r.device.id)?.sessions === 1, 3000, 'the old session gone');
    expect(await connection()).toBe('ONLINE');
    expect((await t.api('GET', `/api/devices/${r.device.id}`, { token: t.adminToken })).body.online).toBe(true);
    // the retained connection state a newcomer reads is still the live session's ONLINE
    const monitor = await t.registerDevice({ kind: 'integration', name: 'R-120 monitor', acl: [{ effect: 'allow', action: 'subscribe', pattern: topic }] });
    const m = track(await connectMqtt(t.mqttUrl, { username: monitor.credentials.username, password: monitor.credentials.password }));
    const got = collect(m);
    await m.subscribeAsync(topic, { qos: 1 });
    const retained = await waitFor(() => got.find((g) => g.retain), 3000, 'retained connection state');
    expect(JSON.parse(retained.payload.toString()).connectionState).toBe('ONLINE');
    expect((await t.api('GET', '/metrics')).text).toMatch(/medloop_rejected_inputs_total\{[^}]*reason="will_superseded"[^}]*\} 1/);
    // the robot's last session dropping is a broken link, announced by its will
    fresh.stream.destroy();
    await waitForAsync(async () => (await connection()) === 'CONNECTIONBROKEN', 3000, 'robot CONNECTIONBROKEN');
    const live = await waitFor(() => got.find((g) => !g.retain), 3000, 'the will');
    expect(JSON.parse(live.payload.toString()).connectionState).toBe('CONNECTIONBROKEN');
  });

  it('integration principals get exactly their rule list', async () => {
    const bms = await t.registerDevice({
      kind: 'integration',
      name: 'Building management bridge',
      acl: [
        { effect: 'allow', action: 'subscribe', pattern: 'medloop/v1/sensor/#' },
        { effect: 'deny', action: 'subscribe', pattern: 'medloop/v1/sensor/+/command' },
        { effect: 'allow', action: 'publish', pattern: 'bms/+/alarms' },
      ],
    });
    const c = track(await connectMqtt(t.mqttUrl, { username: bms.credentials.username, password: bms.credentials.password }));
    expect(await subscribeCodes(c, ['medloop/v1/sensor/+/telemetry', 'medloop/v1/sensor/#', 'uagv/#'])).toEqual([0, 128, 128]);
    await c.publishAsync('bms/north/alarms', '{"fire":false}', { qos: 1 });
    const bad = await t.api('POST', '/api/devices', {
      token: t.adminToken,
      body: { kind: 'integration', name: 'x', acl: [{ effect: 'allow', action: 'both', pattern: 'a/#/b' }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('acl[0].pattern');
  });

  it('carries an integration payload unread (binary, retained) where no MedLoop feature reads it; JSON stays required where one does', async () => {
    const bridge = await t.registerDevice({ kind: 'integration', name: 'HL7 bridge', acl: [{ effect: 'allow', action: 'both', pattern: '#' }] });
    const c = track(await connectMqtt(t.mqttUrl, { username: bridge.credentials.username, password: bridge.credentials.password }));
    const binary = Buffer.from([0x00, 0xff, 0x0b, 0x4d, 0x53, 0x48, 0x7c, 0x80]);
    await c.publishAsync('hl7/adt/raw', binary, { qos: 1, retain: true });
    const late = track(await connectMqtt(t.mqttUrl, { username: bridge.credentials.username, password: bridge.credentials.password }));
    const got = collect(late);
    await late.subscribeAsync(['hl7/#', `medloop/v1/rejections/${bridge.device.id}`], { qos: 1 });
    const retained = await waitFor(() => got.find((g) => g.topic === 'hl7/adt/raw'), 3000, 'retained binary message');
    expect(retained.retain).toBe(true);
    expect(retained.payload.equals(binary)).toBe(true);
    await c.publishAsync('medloop/v1/sensor/sns-x/telemetry', 'still not json', { qos: 1 });
    const rej = await waitFor(() => got.find((g) => g.topic.startsWith('medloop/v1/rejections/')), 3000, 'rejection on a feature-owned family');
    expect(JSON.parse(rej.payload.toString())).toMatchObject({ topic: 'medloop/v1/sensor/sns-x/telemetry', reason: 'invalid_json' });
    expect((await t.api('GET', '/metrics')).text).toMatch(/medloop_mqtt_messages_in_total\{family="other"\} [1-9]/);
  });

  it('rejects a malformed payload with a rejection event and keeps the connection and other clients working', async () => {
    const r = await robot('R-113');
    const c = track(await connectMqtt(t.mqttUrl, { username: r.credentials.username, password: r.credentials.password }));
    const got = collect(c);
    await c.subscribeAsync(`medloop/v1/rejections/${r.device.id}`, { qos: 1 });
    await c.publishAsync('uagv/v2/Acme/R-113/state', '{"headerId": 1,', { qos: 1 });
    const rej = await waitFor(() => got.find((g) => g.topic === `medloop/v1/rejections/${r.device.id}`), 3000, 'rejection event');
    const event = JSON.parse(rej.payload.toString());
    expect(event).toMatchObject({ topic: 'uagv/v2/Acme/R-113/state', reason: 'invalid_json' });
    expect(event.errors[0].message).toMatch(/not valid JSON/);
    expect(c.connected).toBe(true);
    await c.publishAsync('uagv/v2/Acme/R-113/state', '[1,2]', { qos: 1 });
    await waitFor(() => got.filter((g) => g.topic.startsWith('medloop/v1/rejections/')).length >= 2, 3000, 'second rejection');
    const m = await t.api('GET', '/metrics');
    expect(m.text).toMatch(/medloop_rejected_inputs_total\{channel="mqtt",family="vda5050.state",reason="invalid_json"\} [1-9]/);
    expect(m.text).toMatch(/medloop_rejected_inputs_total\{channel="mqtt",family="vda5050.state",reason="invalid_payload"\} [1-9]/);
  });

  it('refuses oversized packets by closing that connection only', async () => {
    const small = await startTestApp({ MQTT_MAX_PACKET_BYTES: '4096' });
    try {
      const r = await small.registerDevice({ kind: 'robot', name: 'R', manufacturer: 'Acme', serialNumber: 'BIG' });
      const other = await small.registerDevice({ kind: 'robot', name: 'R', manufacturer: 'Acme', serialNumber: 'OK' });
      const ok = await connectMqtt(small.mqttUrl, { username: other.credentials.username, password: other.credentials.password });
      const c = await connectMqtt(small.mqttUrl, { username: r.credentials.username, password: r.credentials.password });
      const gone = closed(c, 3000);
      c.publish('uagv/v2/Acme/BIG/state', Buffer.alloc(10_000, 0x20), { qos: 0 });
      await gone;
      await ok.publishAsync('uagv/v2/Acme/OK/state', '{"headerId":1}', { qos: 1 });
      expect(ok.connected).toBe(true);
      const m = await small.api('GET', '/metrics');
      expect(m.text).toMatch(/medloop_mqtt_client_errors_total\{reason="too_large"\} 1/);
      await ok.endAsync();
    } finally {
      await small.close();
    }
  });

  it('accepts devices over MQTT-over-WebSocket too', async () => {
    const r = await robot('R-114');
    const c = track(await connectMqtt(t.mqttWsUrl!, { username: r.credentials.username, password: r.credentials.password }));
    await c.publishAsync('uagv/v2/Acme/R-114/visualization', '{"headerId":1}', { qos: 1 });
    expect(c.connected).toBe(true);
  });

  it('lists devices filtered by kind', async () => {
    await t.registerDevice({ kind: 'sensor', name: 'Fridge 1', ward: 'ward-a' });
    const r = await t.api('GET', '/api/devices?kind=sensor', { token: t.adminToken });
    expect(r.status).toBe(200);
    expect(r.body.every((d: { kind: string }) => d.kind === 'sensor')).toBe(true);
    expect((await t.api('GET', '/api/devices?kind=toaster', { token: t.adminToken })).status).toBe(400);
  });
});
