/**
 * Bad input cannot starve good input: a device whose messages keep being rejected goes over
 * its rejection budget and is throttled (its messages acknowledged and dropped unread), then,
 * if it keeps sending, disconnected with a `device.input_flood` alarm; the metrics count all
 * of it, and another robot's messages are applied throughout. What a rejection sends back to
 * a device is bounded whatever it sent.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { deviceTopic, rejectionTopic, type RejectionEvent } from '#contracts';
import { closed, collect, connectMqtt, vdaStateJson, waitFor, waitForAsync } from '#testing';
import { startTestApp, type TestApp } from './support/test-app.js';

/** ~245 KB of valid JSON that fails the VDA 5050 state schema in thousands of places. */
function bigInvalidState(serialNumber: string, headerId: number): string {
  return JSON.stringify({
    headerId,
    timestamp: new Date().toISOString(),
    version: '2.0.0',
    manufacturer: 'Acme',
    serialNumber,
    nodeStates: Array.from({ length: 2200 }, (_, i) => ({ nodeId: i, sequenceId: 'x', released: 'no', nodeDescription: 'y'.repeat(40) })),
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rejections = (got: { topic: string; payload: Buffer }[], deviceId: string): RejectionEvent[] =>
  got.filter((g) => g.topic === rejectionTopic(deviceId)).map((g) => JSON.parse(g.payload.toString()) as RejectionEvent);

/** The value of one Prometheus sample, 0 when absent. */
function metric(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('a device flooding invalid input', () => {
  let t: TestApp;
  const open: MqttClient[] = [];
  const track = (c: MqttClient) => (open.push(c), c);

  beforeAll(async () => {
    // a budget of 5 rejections or 500 kB a second, 2 s of burst (10 messages, 1 MB), 3 s throttle
    t = await startTestApp({
      DEVICE_REJECT_MAX_PER_SEC: '5',
      DEVICE_REJECT_MAX_BYTES_PER_SEC: '500000',
      DEVICE_REJECT_BURST_MS: '2000',
      DEVICE_REJECT_THROTTLE_MS: '3000',
    });
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.endAsync(true).catch(() => undefined)));
    await t?.close();
  });

  const robot = async (serial: string) => {
    const r = await t.registerDevice({ kind: 'robot', name: `Robot ${serial}`, manufacturer: 'Acme', serialNumber: serial });
    const c = track(await connectMqtt(t.mqttUrl, { username: r.credentials.username, password: r.credentials.password }));
    const got = collect(c);
    await c.subscribeAsync(rejectionTopic(r.device.id), { qos: 1 });
    return { id: r.device.id as string, c, got, topic: `uagv/v2/Acme/${serial}/state` };
  };
  const battery = async (id: string): Promise<number | null> =>
    ((await t.api('GET', `/api/robots/${id}`, { token: t.adminToken })).body as { battery: { chargePct: number } | null }).battery?.chargePct ?? null;

  it('throttles a device over its budget: told why, its messages acknowledged but dropped unread, applied again after the throttle', async () => {
    const r = await robot('T-1');
    // ten rejections are the burst; the eleventh overdraws the budget (sent back to back, so
    // the budget cannot refill a whole message in between)
    await Promise.all(Array.from({ length: 11 }, () => r.c.publishAsync(r.topic, '{"headerId":', { qos: 1 })));
    const throttled = await waitFor(() => rejections(r.got, r.id).find((e) => e.reason === 'throttled'), 5000, 'throttled event');
    expect(throttled.topic).toBe(r.topic);
    expect(throttled.errors[0]!.message).toMatch(/dropped unread until/);
    await waitFor(() => rejections(r.got, r.id).filter((e) => e.reason === 'invalid_json').length === 11, 5000, 'a rejection event for each of the 11');
    // a valid state is acknowledged, but not read: the robot's state stays empty
    await r.c.publishAsync(r.topic, vdaStateJson('T-1', 1, { battery: 77 }), { qos: 1 });
    expect(await battery(r.id)).toBeNull();
    const m = (await t.api('GET', '/metrics')).text;
    expect(metric(m, 'medloop_mqtt_throttled_total')).toBeGreaterThanOrEqual(1);
    expect(metric(m, 'medloop_mqtt_throttle_dropped_total', 'family="vda5050.state"')).toBeGreaterThanOrEqual(1);
    expect(metric(m, 'medloop_rejected_inputs_total', 'channel="mqtt",family="vda5050.state",reason="throttled"')).toBeGreaterThanOrEqual(1);
    expect(r.c.connected).toBe(true);
    // once the throttle is over its valid messages are applied again (it sends nothing invalid)
    let headerId = 1;
    await waitForAsync(
      async () => {
        await r.c.publishAsync(r.topic, vdaStateJson('T-1', ++headerId, { battery: 78 }), { qos: 1 });
        return (await battery(r.id)) === 78;
      },
      15_000,
      'valid state applied after the throttle',
    );
    expect(r.c.connected).toBe(true);
  }, 30_000);

  it('disconnects a robot that keeps flooding 250 KB invalid states, raises an alarm and counts it, while another robot is served throughout', async () => {
    const good = await robot('GOOD-1');
    const flooder = await robot('FLOOD-1');
    const flooderClosed = closed(flooder.c, 30_000);
    let flooderGone = false;
    void flooderClosed.then(
      () => (flooderGone = true),
      () => undefined,
    );

    // the good robot publishes valid states, QoS 1, one after another, all along
    let goodSent = 0;
    let stopGood = false;
    const goodLoop = (async () => {
      while (!stopGood && goodSent < 3000) {
        goodSent++;
        await good.c.publishAsync(good.topic, vdaStateJson('GOOD-1', goodSent, { battery: goodSent % 100 }), { qos: 1 });
        await sleep(5);
      }
    })();

    // the flood: invalid 250 KB states, QoS 1 with up to 16 unacknowledged, until the server
    // closes the connection (at most 400)
    const bad = bigInvalidState('FLOOD-1', 1);
    expect(bad.length).toBeGreaterThan(240_000);
    const pending = new Set<Promise<unknown>>();
    let sent = 0;
    while (!flooderGone && sent < 400) {
      const p = flooder.c.publishAsync(flooder.topic, bad, { qos: 1 }).catch(() => undefined);
      sent++;
      pending.add(p);
      void p.finally(() => pending.delete(p));
      if (pending.size >= 16) await Promise.race([...pending, flooderClosed]);
    }
    await flooderClosed; // without a rejection budget it is never closed
    const alarm = await waitForAsync(
      async () =>
        (
          (await t.api('GET', '/api/alarms?type=device.input_flood', { token: t.adminToken })).body as {
            id: string;
            source: { id: string };
            state: string;
            severity: string;
          }[]
        ).find((a) => a.source.id === flooder.id),
      5000,
      'input flood alarm',
    );
    expect(alarm).toMatchObject({ state: 'raised', severity: 'warning', source: { id: flooder.id } });

    // the good robot is still connected, nothing of it was rejected, and it keeps being applied
    const duringFlood = goodSent;
    await waitFor(() => goodSent >= duringFlood + 5, 10_000, 'good robot to go on publishing');
    stopGood = true;
    await goodLoop;
    expect(good.c.connected).toBe(true);
    expect(rejections(good.got, good.id)).toEqual([]);
    expect(await battery(good.id)).toBe(goodSent % 100);
    const goodView = (await t.api('GET', `/api/robots/${good.id}`, { token: t.adminToken })).body as { rejectedMessages: Record<string, number> };
    expect(goodView.rejectedMessages).toEqual({});

    const m = (await t.api('GET', '/metrics')).text;
    expect(metric(m, 'medloop_mqtt_throttle_disconnects_total')).toBeGreaterThanOrEqual(1);
    expect(metric(m, 'medloop_mqtt_throttle_dropped_total', 'family="vda5050.state"')).toBeGreaterThanOrEqual(1);
    expect(metric(m, 'medloop_mqtt_throttle_dropped_bytes_total')).toBeGreaterThanOrEqual(bad.length);
    // every flood message the server read was either validated and rejected or dropped unread
    const validated = metric(m, 'medloop_rejected_inputs_total', 'channel="mqtt",family="vda5050.state",reason="schema"');
    expect(validated).toBeGreaterThanOrEqual(1);
    expect(validated).toBeLessThan(sent);

    // the flood is over: two throttle periods later the alarm clears (and stays listed)
    await waitForAsync(
      async () => ((await t.api('GET', `/api/alarms/${alarm.id}`, { token: t.adminToken })).body as { state: string }).state === 'cleared',
      20_000,
      'input flood alarm to clear',
    );
  }, 60_000);

  it('bounds the rejection event whatever the payload: no echo of a huge value, at most 20 errors', async () => {
    const r = await robot('ECHO-1');
    const huge = JSON.parse(vdaStateJson('ECHO-1', 1, { battery: 50 })) as Record<string, unknown>;
    huge['version'] = 'x'.repeat(200_000);
    await r.c.publishAsync(r.topic, JSON.stringify(huge), { qos: 1 });
    const robotEvent = await waitFor(() => r.got.find((g) => g.topic === rejectionTopic(r.id)), 5000, 'robot rejection');
    expect(robotEvent.payload.length).toBeLessThan(2048);
    expect(JSON.parse(robotEvent.payload.toString())).toMatchObject({ reason: 'schema', errors: [{ path: 'version' }] });

    const s = await t.registerDevice({ kind: 'sensor', name: 'noisy sensor' });
    const c = track(await connectMqtt(t.mqttUrl, { username: s.credentials.username, password: s.credentials.password }));
    const got = collect(c);
    await c.subscribeAsync(rejectionTopic(s.device.id), { qos: 1 });
    // under the 64 KiB protocol limit: 16 readings wrong twice each, and 2,500 unknown fields
    // the schema names one by one
    const telemetry: Record<string, unknown> = {
      v: 1,
      deviceId: s.device.id,
      seq: 1,
      ts: new Date().toISOString(),
      readings: Array.from({ length: 16 }, (_, i) => ({ channel: `c${i}`, temperatureC: 'warm', unknown: 1 })),
    };
    for (let i = 0; i < 2500; i++) telemetry[`extra_field_${i}`] = 1;
    await c.publishAsync(deviceTopic('sensor', s.device.id, 'telemetry'), JSON.stringify(telemetry), { qos: 1 });
    const sensorEvent = await waitFor(() => got.find((g) => g.topic === rejectionTopic(s.device.id)), 5000, 'sensor rejection');
    const event = JSON.parse(sensorEvent.payload.toString()) as RejectionEvent;
    expect(event.reason).toBe('schema');
    expect(event.errors).toHaveLength(21);
    expect(event.errors[20]!.message).toMatch(/^\d+ more errors not shown$/);
    expect(sensorEvent.payload.length).toBeLessThan(8192);

    // over the limit: refused unread, as the protocol says
    for (let i = 2500; i < 12_000; i++) telemetry[`extra_field_${i}`] = 1;
    await c.publishAsync(deviceTopic('sensor', s.device.id, 'telemetry'), JSON.stringify(telemetry), { qos: 1 });
    const tooLarge = await waitFor(() => rejections(got, s.device.id)[1], 5000, 'second sensor rejection');
    expect(tooLarge).toMatchObject({ reason: 'too_large', errors: [{ path: '', message: expect.stringMatching(/the limit is 65536$/) }] });
  });
});
