/**
 * "Server time rules, device time informs", end to end: real server, broker and database, raw
 * MQTT fridges that stamp their readings as a broken or replaying device would. The cold
 * chain runs on a short profile (confirm after 3 s out of range, quarantine after 5 s) and a
 * 1 s clock allowance, so real silences of a few seconds are gaps the server can vouch for.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { deviceTopic } from '#contracts';
import { connectMqtt, waitFor, waitForAsync } from '#testing';
import { startTestApp, type TestApp } from './support/test-app.js';
import { EventBus, type DomainEventMap } from '../src/common/events.js';

type Excursion = DomainEventMap['coldchain.excursion'];

describe('device clocks: the server judges durations', () => {
  let t: TestApp;
  const excursions: Excursion[] = [];
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      DEVICE_CLOCK_MAX_SKEW_S: '1',
      COLD_CHAIN_MIN_EXCURSION_S: '3',
      COLD_CHAIN_QUARANTINE_AFTER_S: '5',
      COLD_CHAIN_RECOVER_S: '1',
    });
    t.cp.app
      .get(EventBus)
      .on('coldchain.excursion')
      .subscribe((e) => excursions.push(e));
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await t?.close();
  });

  /** A registered fridge on a raw MQTT client; `send` stamps a reading with whatever time it is given. */
  async function fridge(name: string) {
    const reg = await t.registerDevice({ kind: 'sensor', name, ward: 'ward-clk', location: 'medication fridge' });
    const id = reg.device.id as string;
    const client = await connectMqtt(t.mqttUrl, { username: id, password: reg.credentials.password });
    clients.push(client);
    let seq = 0;
    const send = (temperatureC: number, ts: number) =>
      client.publishAsync(
        deviceTopic('sensor', id, 'telemetry'),
        JSON.stringify({ v: 1, deviceId: id, seq: ++seq, ts: new Date(ts).toISOString(), readings: [{ channel: 'product', temperatureC }] }),
        { qos: 1 },
      );
    const received = (n: number) => waitForAsync(async () => (await sensor()).link.accepted >= n, 5000, `${n} messages accepted`);
    const sensor = async () => (await t.api('GET', `/api/sensors/${id}`, { token: t.adminToken })).body;
    return { id, send, received, sensor };
  }

  const metric = async (re: RegExp) => Number(re.exec((await t.api('GET', '/metrics')).text)?.[1] ?? 0);
  const alarmsOf = async (id: string, type: string) =>
    ((await t.api('GET', `/api/alarms?type=${type}`, { token: t.adminToken })).body as { source: { id: string }; state: string; details: any }[]).filter(
      (a) => a.source.id === id,
    );
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('backdated readings spanning 36 minutes, sent within a second, raise no excursion and quarantine nothing', async () => {
    const f = await fridge('Fridge backdated');
    // a clock 40 minutes behind: the server hears the fridge at 5 °C…
    await f.send(5, Date.now() - 40 * 60_000);
    await f.received(1);
    await sleep(300);
    // …and 300 ms later it claims it has been at 12 °C for the last 36 minutes
    const sentAt = Date.now();
    for (let m = 36; m >= 0; m--) await f.send(12, sentAt - m * 60_000);
    await f.received(38);
    expect(Date.now() - sentAt).toBeLessThan(2000);
    await sleep(500);
    expect(excursions.filter((e) => e.storageId === f.id)).toEqual([]);
    expect(['excursion', 'quarantine']).not.toContain((await f.sensor()).coldChain);
    const storage = ((await t.api('GET', '/api/cold-chain/storages', { token: t.adminToken })).body as { storageId: string; lastAt: string }[]).find(
      (s) => s.storageId === f.id,
    )!;
    // the last reading stands for the moment it arrived, not 36 minutes of history
    expect(Date.parse(storage.lastAt)).toBeGreaterThanOrEqual(sentAt);
    expect(await metric(/^medloop_device_clock_skew_total\{kind="sensor",direction="past"\} (\d+)/m)).toBeGreaterThanOrEqual(36);
  }, 20_000);

  it('a refrigerated cabinet drawer is judged the same way: a backdated half hour sent at once is no excursion', async () => {
    const reg = await t.registerDevice({ kind: 'cabinet', name: 'Cabinet backdated', ward: 'ward-clk' });
    const id = reg.device.id as string;
    const client = await connectMqtt(t.mqttUrl, { username: id, password: reg.credentials.password });
    clients.push(client);
    let seq = 0;
    const send = (temperatureC: number, ts: number) =>
      client.publishAsync(
        deviceTopic('cabinet', id, 'telemetry'),
        JSON.stringify({
          v: 1,
          deviceId: id,
          seq: ++seq,
          ts: new Date(ts).toISOString(),
          lockdown: false,
          drawers: [{ drawerId: 'R1', refrigerated: true, temperatureC, pockets: [{ pocketId: 'R1-P1', state: 'locked' }] }],
        }),
        { qos: 1 },
      );
    const storage = async () =>
      ((await t.api('GET', '/api/cold-chain/storages', { token: t.adminToken })).body as { storageId: string; lastAt: string; lastC: number }[]).find(
        (x) => x.storageId === `${id}/R1`,
      );
    const sentAt = Date.now();
    for (let m = 30; m >= 0; m--) await send(11, sentAt - m * 60_000);
    await waitForAsync(async () => (await storage())?.lastC === 11, 5000, 'drawer readings taken');
    await sleep(500);
    expect(excursions.filter((e) => e.storageId === `${id}/R1`)).toEqual([]);
    expect(Date.parse((await storage())!.lastAt)).toBeGreaterThanOrEqual(sentAt);
  }, 20_000);

  it('future-stamped readings cannot stretch a warm spell: counted as skew, a persistent skew alarms and clears when the clock is back', async () => {
    const f = await fridge('Fridge fast clock');
    const before = await metric(/^medloop_device_clock_skew_total\{kind="sensor",direction="future"\} (\d+)/m);
    const start = Date.now();
    await f.send(12, start);
    // a clock running 10x fast: each second of warmth claims ten
    for (let i = 1; i <= 5; i++) await f.send(12, start + i * 10 * 60_000);
    await f.received(6);
    await sleep(500);
    expect(excursions.filter((e) => e.storageId === f.id)).toEqual([]);
    expect(await metric(/^medloop_device_clock_skew_total\{kind="sensor",direction="future"\} (\d+)/m)).toBe(before + 5);
    const alarm = await waitForAsync(async () => (await alarmsOf(f.id, 'device.clock_skew')).find((a) => a.state === 'raised'), 5000, 'clock skew alarm');
    expect(alarm.details).toMatchObject({ deviceKind: 'sensor', deviceId: f.id, direction: 'future', maxSkewS: 1, messages: 5 });
    expect(alarm.details.offsetS).toBeGreaterThan(2900);

    // its clock is set right: five messages within the allowance clear the alarm
    for (let i = 0; i < 5; i++) await f.send(5, Date.now());
    await waitForAsync(async () => (await alarmsOf(f.id, 'device.clock_skew')).every((a) => a.state === 'cleared'), 5000, 'clock skew cleared');
  }, 20_000);

  it('a device silent for a real gap backfills inside it: those readings keep their own time and can open an excursion', async () => {
    const f = await fridge('Fridge backfill');
    const heard = Date.now();
    await f.send(5, heard);
    await f.received(1);
    // offline for 4 s (out of range of the access point), measuring all the while
    await sleep(4000);
    const before = await metric(/^medloop_device_readings_backfilled_total\{kind="sensor"\} (\d+)/m);
    const stamps = [500, 1000, 1500, 2000, 2500].map((ms) => heard + ms);
    for (const ts of stamps) await f.send(12, ts);
    await f.send(12, Date.now());
    const opened = await waitFor(() => excursions.find((e) => e.storageId === f.id && e.status === 'excursion'), 5000, 'excursion from the backfill');
    // the window starts at the device's time of the first warm reading: the server vouches for the silence
    expect(opened.window.start).toBe(new Date(stamps[0]!).toISOString());
    expect(await metric(/^medloop_device_readings_backfilled_total\{kind="sensor"\} (\d+)/m)).toBe(before + stamps.length);
    // …and a stamp before the last time it was heard is not backfill: clamped after it, counted as skew
    const past = await metric(/^medloop_device_clock_skew_total\{kind="sensor",direction="past"\} (\d+)/m);
    await f.send(12, heard - 3600_000);
    await f.received(8);
    expect(await metric(/^medloop_device_clock_skew_total\{kind="sensor",direction="past"\} (\d+)/m)).toBe(past + 1);
  }, 30_000);
});
