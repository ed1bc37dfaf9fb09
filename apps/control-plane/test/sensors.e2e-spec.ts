/**
 * Ward sensors, cold chain and the alarm engine end to end: real server, real broker, real
 * simulated sensors (simulators/sensor, on their own simulated clock) and raw MQTT clients
 * for the malformed, duplicated and reordered messages a real device may send. The server
 * times excursions on its own clock, so the cold chain runs on a short profile here (2 s out
 * of range confirms one, 9 s quarantines) and excursions are held for real seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { deviceTopic, rejectionTopic, type RejectionEvent } from '#contracts';
import { TelemetryRepository } from '#persistence';
import { connectMqtt, waitFor, waitForAsync } from '#testing';
import { startTestApp, type TestApp } from './support/test-app.js';
import { EventBus, type DomainEventMap } from '../src/common/events.js';
import { parseSensorFleetConfig, SensorFleet, type SensorSimulator } from '../../../simulators/sensor/index.js';

type Excursion = DomainEventMap['coldchain.excursion'];
type ExcursionRow = { id: string; storageId: string; status: string; dosesQuarantined: number | null };

describe('ward sensors, cold chain and alarm rules', () => {
  let t: TestApp;
  let nurse: { token: string; id: string };
  let pharmacist: { token: string; id: string };
  const excursions: Excursion[] = [];
  const fleets: SensorFleet[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      TELEMETRY_FLUSH_MS: '100',
      ALARM_RULE_TICK_MS: '200',
      ALARM_ESCALATION_CHECK_MS: '100',
      ALARM_ESCALATION_SPEEDUP: '600',
      COLD_CHAIN_MIN_EXCURSION_S: '2',
      COLD_CHAIN_QUARANTINE_AFTER_S: '9',
      COLD_CHAIN_RECOVER_S: '1',
    });
    t.cp.app
      .get(EventBus)
      .on('coldchain.excursion')
      .subscribe((e) => excursions.push(e));
    nurse = await t.userToken('nurse', ['ward-4w']);
    pharmacist = await t.userToken('pharmacist');
  });

  afterAll(async () => {
    await Promise.all(fleets.map((f) => f.stop().catch(() => undefined)));
    await t?.close();
  });

  async function startFridge(name: string, ward: string): Promise<{ fleet: SensorFleet; sim: SensorSimulator; id: string }> {
    const reg = await t.registerDevice({ kind: 'sensor', name, ward, location: 'medication fridge' });
    const fleet = new SensorFleet(
      parseSensorFleetConfig({
        brokerUrl: t.mqttUrl,
        reportIntervalS: 60,
        tickMs: 3_600_000, // the test drives the clock with advance()
        reconnectPeriodMs: 200,
        sensors: [{ deviceId: reg.device.id, password: reg.credentials.password, profile: 'fridge' }],
      }),
    );
    fleets.push(fleet);
    await fleet.start();
    await waitFor(() => fleet.sensors[0]!.link.connected, 5000, 'sensor online');
    return { fleet, sim: fleet.sensors[0]!, id: reg.device.id };
  }

  const alarmsOf = async (id: string, type?: string) =>
    ((await t.api('GET', `/api/alarms${type ? `?type=${type}` : ''}`, { token: t.adminToken })).body as any[]).filter((a) => a.source.id === id);

  /** Advances simulated minutes one at a time, letting the server take each reading (`realMs` apart). */
  async function minutes(fleet: SensorFleet, n: number, realMs = 5): Promise<void> {
    for (let i = 0; i < n; i++) {
      fleet.advance(60);
      await new Promise((r) => setTimeout(r, realMs));
    }
  }

  it('raises a cold-chain alarm for a fridge excursion held past its duration; a nurse of the ward acknowledges it and it clears on recovery', async () => {
    const { fleet, sim, id } = await startFridge('Fridge 4W', 'ward-4w');
    await minutes(fleet, 3);
    // 12 °C for 5 real seconds: well past the 2 s that confirm an excursion (a reading a second,
    // judged on the server's receipt clock, which a loaded machine delays), short of the 9 s that quarantine
    await sim.faults.excursion(5, 12);
    const alarm = await waitForAsync(async () => (await alarmsOf(id, 'coldchain.excursion')).find((a) => a.state === 'raised'), 5000, 'excursion alarm');
    expect(alarm).toMatchObject({ severity: 'critical', ward: 'ward-4w', source: { kind: 'fridge', id } });
    const opened = excursions.find((e) => e.storageId === id && e.status === 'excursion')!;
    expect(opened).toMatchObject({ storageKind: 'fridge', ward: 'ward-4w', window: { end: null } });
    expect(opened.maxC).toBeGreaterThan(8);

    // a nurse of another ward may not acknowledge it; the ward's nurse does
    const other = await t.userToken('nurse', ['ward-9x']);
    expect((await t.api('POST', `/api/alarms/${alarm.id}/acknowledge`, { token: other.token })).status).toBe(403);
    const ack = await t.api('POST', `/api/alarms/${alarm.id}/acknowledge`, { token: nurse.token });
    expect(ack.status).toBe(200);
    expect(ack.body.state).toBe('acknowledged');

    // back in band for more than the 1 s recovery
    await minutes(fleet, 60, 40);
    const cleared = await waitForAsync(
      async () => (await t.api('GET', `/api/alarms/${alarm.id}`, { token: nurse.token })).body.state === 'cleared',
      5000,
      'alarm cleared',
    );
    expect(cleared).toBe(true);
    const closed = await waitFor(() => excursions.find((e) => e.storageId === id && e.status === 'closed'), 5000, 'window closed');
    expect(Date.parse(closed.window.end!)).toBeGreaterThan(Date.parse(closed.window.start));
    const open = (await t.api('GET', '/api/cold-chain/excursions', { token: pharmacist.token })).body;
    expect(open.some((e: { storageId: string }) => e.storageId === id)).toBe(false);

    // the series is stored raw and per minute; the ward view lists the fridge with its latest value
    const from = new Date(fleet.nowMs() - 3 * 3600_000).toISOString();
    const to = new Date(fleet.nowMs() + 60_000).toISOString();
    const raw = await t.api('GET', `/api/sensors/${id}/readings?from=${from}&to=${to}&metric=temperatureC`, { token: nurse.token });
    expect(raw.status).toBe(200);
    expect(raw.body.length).toBeGreaterThanOrEqual(60);
    expect(Math.max(...raw.body.map((p: { value: number }) => p.value))).toBeGreaterThan(8);
    const perMinute = await t.api('GET', `/api/sensors/${id}/readings?from=${from}&to=${to}&metric=temperatureC&resolution=1m`, { token: nurse.token });
    expect(perMinute.body[0]).toEqual(
      expect.objectContaining({ min: expect.any(Number), avg: expect.any(Number), max: expect.any(Number), count: expect.any(Number) }),
    );
    // the simulator stamps wall-clock time: its readings fall in the real minutes they were sent
    expect(perMinute.body.reduce((n: number, b: { count: number }) => n + b.count, 0)).toBe(raw.body.length);
    const ward = await t.api('GET', '/api/wards/ward-4w/sensors', { token: nurse.token });
    expect(ward.body.map((s: { id: string }) => s.id)).toContain(id);
    const view = ward.body.find((s: { id: string }) => s.id === id);
    expect(view).toMatchObject({ type: 'fridge', presence: 'online', coldChain: 'normal' });
    expect(view.values['air.temperatureC'].value).toBeLessThan(8);
    expect((await t.api('GET', '/api/wards/ward-5e/sensors', { token: nurse.token })).status).toBe(403);
  }, 60_000);

  it('does not alarm on a single spike', async () => {
    const { fleet, sim, id } = await startFridge('Fridge spike', 'ward-4w');
    await minutes(fleet, 3);
    fleet.advance(30);
    sim.link.publish('telemetry', { readings: [{ channel: 'air', temperatureC: 15.2, doorOpen: false }] });
    await minutes(fleet, 15);
    await new Promise((r) => setTimeout(r, 600)); // a few rule-engine ticks
    expect(await alarmsOf(id)).toEqual([]);
    expect(excursions.some((e) => e.storageId === id)).toBe(false);
    const from = new Date(fleet.nowMs() - 3600_000).toISOString();
    const raw = await t.api('GET', `/api/sensors/${id}/readings?from=${from}&to=${new Date(fleet.nowMs() + 1000).toISOString()}&metric=temperatureC`, {
      token: nurse.token,
    });
    expect(raw.body.some((p: { value: number }) => p.value === 15.2)).toBe(true);
  }, 30_000);

  it('quarantines a fridge whose excursion lasts: custody hears it, reports the exposed doses it quarantined, and a pharmacist decides', async () => {
    const { fleet, sim, id } = await startFridge('Fridge quarantine', 'ward-4w');
    await minutes(fleet, 3);
    // 12 °C for 12 real seconds: the excursion lasts well past the 9 s that quarantine
    await sim.faults.excursion(12, 12);
    const alarm = await waitForAsync(async () => (await alarmsOf(id, 'coldchain.quarantine'))[0], 5000, 'quarantine alarm');
    expect(alarm.details).toMatchObject({ targetRoles: ['pharmacist'] });
    expect(excursions.find((e) => e.storageId === id && e.status === 'quarantine')).toMatchObject({
      storageKind: 'fridge',
      ward: 'ward-4w',
      window: { end: null },
    });
    const excursionOf = async () =>
      ((await t.api('GET', '/api/cold-chain/excursions', { token: pharmacist.token })).body as ExcursionRow[]).find((e) => e.storageId === id);
    // custody heard the quarantine and answered with its count: no dose was ever stored in this fridge
    const excursion = await waitForAsync(
      async () => {
        const e = await excursionOf();
        return e && e.dosesQuarantined !== null ? e : undefined;
      },
      5000,
      'custody reports the quarantined doses',
    );
    expect(excursion).toMatchObject({ status: 'quarantine', dosesQuarantined: 0 });
    // still out of range: the window is not final, so no release yet
    const early = await t.api('POST', `/api/cold-chain/excursions/${excursion.id}/decision`, { token: pharmacist.token, body: { disposition: 'released' } });
    expect(early.status).toBe(422);
    expect(early.body.error).toBe('cold_chain_still_out_of_range');

    await minutes(fleet, 40, 40);
    // the window closed: custody hears the quarantine again with its end, the quarantine stays
    await waitFor(() => excursions.find((e) => e.storageId === id && e.status === 'quarantine' && e.window.end !== null), 5000, 'final window');
    expect(excursions.filter((e) => e.storageId === id).map((e) => e.status)).toEqual(['excursion', 'quarantine', 'quarantine']);
    expect((await t.api('POST', `/api/cold-chain/excursions/${excursion.id}/decision`, { token: nurse.token, body: { disposition: 'released' } })).status).toBe(
      403,
    );
    const decided = await t.api('POST', `/api/cold-chain/excursions/${excursion.id}/decision`, { token: pharmacist.token, body: { disposition: 'destroyed' } });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({ status: 'destroyed', decidedBy: expect.any(String), dosesQuarantined: 0 });
    expect(excursions.find((e) => e.storageId === id && e.status === 'destroyed')).toMatchObject({ by: expect.any(String) });
    await waitForAsync(async () => (await t.api('GET', `/api/alarms/${alarm.id}`, { token: pharmacist.token })).body.state === 'cleared', 3000, 'cleared');
    expect((await t.api('GET', `/api/sensors/${id}`, { token: nurse.token })).body.coldChain).toBe('normal');
  }, 60_000);

  it('pages stored samples in (instant, id) order without losing or repeating one when many share an instant', async () => {
    const repo = t.cp.app.get(TelemetryRepository);
    // 3 instants × 5 samples each for two devices, in the future so no other test's rows match;
    // the last instant written first, so ids do not follow instants
    const base = Date.UTC(2099, 0, 1);
    const rows = [2, 0, 1].flatMap((k) =>
      Array.from({ length: 10 }, (_, i) => ({
        deviceId: i % 2 ? 'PAGE-B' : 'PAGE-A',
        at: new Date(base + k * 1000).toISOString(),
        readings: `[["main","n",${k * 10 + i}]]`,
      })),
    );
    await repo.writeBatch(rows, []);
    const all = async (next: (after: { at: string; id: number } | null) => Promise<{ at: string; id: number; readings: string }[]>) => {
      const seen: { at: string; id: number; readings: string }[] = [];
      for (let after: { at: string; id: number } | null = null, guard = 0; guard < 50; guard++) {
        const page = await next(after);
        seen.push(...page);
        if (page.length < 4) break;
        after = { at: page[3]!.at, id: page[3]!.id };
      }
      return seen;
    };
    const from = new Date(base);
    const recent = await all((after) => repo.recentPage(from, after, 4));
    expect(recent.map((r) => JSON.parse(r.readings)[0][2])).toEqual(Array.from({ length: 30 }, (_, n) => n));
    expect(new Set(recent.map((r) => r.id)).size).toBe(30);
    const deviceA = await all((after) => repo.rawPage({ deviceId: 'PAGE-A', from, to: new Date(base + 2000) }, after, 4));
    expect(deviceA.map((r) => JSON.parse(r.readings)[0][2])).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28]);
  });

  describe('with a raw MQTT sensor', () => {
    let id: string;
    let client: MqttClient;
    const rejections: RejectionEvent[] = [];
    let seq = 100;
    const base = Date.now();
    const msg = (body: Record<string, unknown>, s = ++seq, tsOffsetS = s) =>
      JSON.stringify({ v: 1, deviceId: id, seq: s, ts: new Date(base + tsOffsetS * 1000).toISOString(), ...body });
    const publish = (channel: 'telemetry' | 'event', payload: string) => client.publishAsync(deviceTopic('sensor', id, channel), payload, { qos: 1 });
    const sensor = async () => (await t.api('GET', `/api/sensors/${id}`, { token: t.adminToken })).body;

    beforeAll(async () => {
      const reg = await t.registerDevice({ kind: 'sensor', name: 'Clean utility room', ward: 'ward-raw', location: 'room 3' });
      id = reg.device.id;
      client = await connectMqtt(t.mqttUrl, { username: id, password: reg.credentials.password });
      client.on('message', (topic, payload) => {
        if (topic === rejectionTopic(id)) rejections.push(JSON.parse(payload.toString()) as RejectionEvent);
      });
      await client.subscribeAsync(rejectionTopic(id), { qos: 1 });
    });

    afterAll(async () => {
      await client?.endAsync(true);
    });

    it('rejects bad payloads with a rejection event naming the field, counts them, and never applies them', async () => {
      await publish('telemetry', msg({ readings: [{ channel: 'main', temperatureC: 'warm' }] }));
      await publish(
        'telemetry',
        JSON.stringify({ v: 1, deviceId: 'someone-else', seq: ++seq, ts: new Date().toISOString(), readings: [{ channel: 'main', temperatureC: 30 }] }),
      );
      await publish('event', msg({ type: 'doorExploded' }));
      await publish('telemetry', '{not json');
      await waitFor(() => rejections.length >= 4, 5000, 'four rejections');
      expect(rejections[0]).toMatchObject({ topic: deviceTopic('sensor', id, 'telemetry'), reason: 'schema' });
      expect(rejections[0]!.errors[0]!.path).toBe('readings[0].temperatureC');
      expect(rejections[1]).toMatchObject({ reason: 'device_mismatch', errors: [{ path: 'deviceId' }] });
      expect(rejections[2]!.reason).toBe('schema');
      expect(rejections[3]!.reason).toBe('invalid_json');
      const s = await sensor();
      expect(s.link.rejected).toMatchObject({ schema: 2, device_mismatch: 1 });
      expect(s.values).toEqual({});
      const metrics = (await t.api('GET', '/metrics')).text;
      expect(metrics).toMatch(/medloop_rejected_inputs_total\{channel="mqtt",family="medloop\.sensor\.telemetry",reason="schema"\} [1-9]/);
    });

    it('applies a duplicate once, keeps a late message from overwriting newer values, and follows a restart', async () => {
      const fault = msg({ type: 'probeFault', channel: 'main', fault: 'disconnected' });
      await publish('event', fault);
      await publish('event', fault); // a QoS 1 redelivery: same seq
      const alarm = await waitForAsync(async () => (await alarmsOf(id, 'sensor.probe_fault'))[0], 5000, 'probe alarm');
      await new Promise((r) => setTimeout(r, 200));
      expect((await alarmsOf(id, 'sensor.probe_fault'))[0].occurrences).toBe(1);
      expect(alarm.ward).toBe('ward-raw');

      await publish('telemetry', msg({ readings: [{ channel: 'main', temperatureC: 21.5 }] }, 200, 200));
      await publish('telemetry', msg({ readings: [{ channel: 'main', temperatureC: 30 }] }, 199, 199)); // late
      await waitForAsync(async () => (await sensor()).link.outOfOrder === 1, 5000, 'late message seen');
      let s = await sensor();
      expect(s.values['main.temperatureC'].value).toBe(21.5);
      expect(s.link.duplicates).toBe(1);

      // the device rebooted: seq starts again at 0 with a newer clock
      await publish('event', msg({ type: 'rebooted', reason: 'power_on' }, 0, 300));
      await publish('telemetry', msg({ readings: [{ channel: 'main', temperatureC: 22 }] }, 1, 301));
      await waitForAsync(async () => (await sensor()).values['main.temperatureC']?.value === 22, 5000, 'value after restart');
      s = await sensor();
      expect(s.link.restarts).toBe(1);
      // the late message is kept as history
      const from = new Date(base).toISOString();
      const raw = await t.api('GET', `/api/sensors/${id}/readings?from=${from}&to=${new Date(base + 400_000).toISOString()}`, { token: t.adminToken });
      expect(raw.body.map((p: { value: number }) => p.value)).toEqual(expect.arrayContaining([21.5, 30, 22]));
    });

    it('evaluates alarm rules configured by REST, with validation and roles', async () => {
      const rules = await t.api('GET', '/api/alarm-rules', { token: pharmacist.token });
      expect(rules.status).toBe(200);
      const fridgeHigh = rules.body.find((r: { id: string }) => r.id === 'fridge-temp-high');
      expect(fridgeHigh).toMatchObject({ deviceKind: 'sensor', sensorType: 'fridge', comparator: 'gt', threshold: 8, severity: 'warning' });
      expect(rules.body.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining(['fridge-temp-low', 'fridge-door-open', 'room-temp-high']));

      const rule = {
        id: 'raw-humidity',
        deviceKind: 'sensor',
        ward: 'ward-raw',
        metric: 'humidityPct',
        comparator: 'gt',
        threshold: 80,
        durationS: 0,
        hysteresis: 5,
        severity: 'warning',
      };
      expect((await t.api('POST', '/api/alarm-rules', { token: nurse.token, body: rule })).status).toBe(403);
      const bad = await t.api('POST', '/api/alarm-rules', { token: pharmacist.token, body: { ...rule, comparator: 'above' } });
      expect(bad.status).toBe(400);
      expect(bad.body.field).toBe('comparator');
      expect((await t.api('POST', '/api/alarm-rules', { token: pharmacist.token, body: rule })).status).toBe(200);

      await publish('telemetry', msg({ readings: [{ channel: 'main', humidityPct: 90 }] }, 2, 302));
      const raised = await waitForAsync(
        async () => (await alarmsOf(id, 'sensor.threshold')).find((a) => a.details.ruleId === 'raw-humidity'),
        5000,
        'rule alarm',
      );
      expect(raised).toMatchObject({ state: 'raised', ward: 'ward-raw', severity: 'warning' });
      // 78 % is below the threshold but inside the hysteresis band: still raised
      await publish('telemetry', msg({ readings: [{ channel: 'main', humidityPct: 78 }] }, 3, 303));
      await new Promise((r) => setTimeout(r, 200));
      expect((await t.api('GET', `/api/alarms/${raised.id}`, { token: t.adminToken })).body.state).toBe('raised');
      await publish('telemetry', msg({ readings: [{ channel: 'main', humidityPct: 60 }] }, 4, 304));
      await waitForAsync(async () => (await t.api('GET', `/api/alarms/${raised.id}`, { token: t.adminToken })).body.state === 'cleared', 5000, 'cleared');
      expect((await t.api('DELETE', '/api/alarm-rules/raw-humidity', { token: pharmacist.token })).status).toBe(204);
    });

    it('escalates an unacknowledged critical alarm to the next roles', async () => {
      await publish('event', msg({ type: 'tamper', detail: 'case opened' }, 5, 305));
      const escalated = await waitForAsync(async () => (await alarmsOf(id, 'sensor.tamper')).find((a) => a.escalationLevel >= 1), 5000, 'escalation');
      expect(escalated.details.escalation.roles).toEqual(expect.arrayContaining(['charge_nurse', 'pharmacist']));
      expect(escalated.state).toBe('raised');
    });

    it('serves the raw series in time order, filtered by metric and limited, across many stored samples', async () => {
      // one sample per message; temperature and humidity alternate, so a metric matches every other one
      const start = 1000;
      for (let i = 0; i < 240; i++) {
        const reading = i % 2 === 0 ? { channel: 'main', temperatureC: 20 + i / 100 } : { channel: 'main', humidityPct: i / 10 };
        await publish('telemetry', msg({ readings: [reading] }, 10 + i, start + i));
      }
      const range = `from=${new Date(base + start * 1000).toISOString()}&to=${new Date(base + (start + 239) * 1000).toISOString()}`;
      const get = async (q: string) => {
        const r = await t.api('GET', `/api/sensors/${id}/readings?${range}&${q}`, { token: t.adminToken });
        expect(r.status).toBe(200);
        return r.body as { at: string; channel: string; metric: string; value: number }[];
      };
      const humidity = await get('metric=humidityPct');
      expect(humidity).toHaveLength(120);
      expect(humidity.map((p) => p.value)).toEqual(Array.from({ length: 120 }, (_, k) => (2 * k + 1) / 10));
      expect(humidity.map((p) => p.at)).toEqual([...humidity.map((p) => p.at)].sort());
      // a limit smaller than the matches, reached only after more than one page of samples
      const first = await get('metric=temperatureC&limit=110');
      expect(first.map((p) => p.value)).toEqual(Array.from({ length: 110 }, (_, k) => 20 + (2 * k) / 100));
      expect(first.every((p) => p.channel === 'main' && p.metric === 'temperatureC')).toBe(true);
      expect(await get('limit=5')).toHaveLength(5);
      expect(await get('metric=doorOpen')).toEqual([]);
      // the writes show in /metrics: samples written (one per message), nothing dropped
      const metrics = (await t.api('GET', '/metrics')).text;
      const written = Number(/^medloop_telemetry_samples_total\{outcome="written"\} (\d+)/m.exec(metrics)?.[1]);
      expect(written).toBeGreaterThanOrEqual(240);
      expect(metrics).not.toMatch(/medloop_telemetry_samples_total\{outcome="dropped"\} [1-9]/);
      expect(metrics).toMatch(/^medloop_telemetry_pending\{kind="samples"\} \d+/m);
    });
  });
});
