/**
 * Network faults: robots losing a quarter of their QoS 0 orders, a robot whose link flaps,
 * and a broker-side disconnect of every client at once. Every mission still completes or
 * fails visibly, and every device is back online within a bounded time.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { connectMqtt, waitForAsync } from '#testing';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { RobotSimulator } from '../../../../simulators/robot/index.js';
import { MqttService } from '../../src/mqtt/mqtt.service.js';
import { seeded, sleep, startRobot } from './support.js';

describe('network faults', () => {
  let t: TestApp;
  const sims: RobotSimulator[] = [];
  let sensor: MqttClient;

  beforeAll(async () => {
    t = await startTestApp({
      ORDER_ACK_TIMEOUT_MS: '400',
      ORDER_MAX_ATTEMPTS: '12',
      DISPATCH_INTERVAL_MS: '150',
      ROBOT_OFFLINE_GRACE_MS: '20000',
      ROBOT_STALE_AFTER_MS: '3000',
    });
  });
  afterAll(async () => {
    await Promise.all(sims.map((s) => s.stop().catch(() => undefined)));
    await sensor?.endAsync(true);
    await t?.close();
  });

  const robotView = async (id: string) => (await t.api('GET', `/api/robots/${id}`, { token: t.adminToken })).body;

  it('finishes or visibly fails every mission through order loss, flapping links and a disconnect of all clients, and every device comes back', async () => {
    const robots: { sim: RobotSimulator; id: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await startRobot(t.baseUrl, t.mqttUrl, t.adminToken, `NET-${i}`, { random: seeded(11 + i), reconnectPeriodMs: 200 });
      r.sim.faults.dropIncoming(0.25, ['order']);
      sims.push(r.sim);
      robots.push(r);
    }
    // a plain device with automatic reconnects (as firmware would do)
    const reg = await t.registerDevice({ kind: 'sensor', name: 'net sensor', ward: 'W-CARD' });
    sensor = await connectMqtt(t.mqttUrl, { username: reg.credentials.username, password: reg.credentials.password, reconnectPeriod: 200 });

    const targets = ['F1-CARD-STATION', 'F0-PHARMACY-DOCK'];
    const missions: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await t.api('POST', '/api/missions', { token: t.adminToken, body: { stops: [{ nodeId: targets[i % 2], actions: [] }], priority: 'urgent' } });
      expect(r.status).toBe(201);
      missions.push(r.body.id);
    }
    // robot 0's link flaps every 1.5 s; half-way, the broker drops every client at once
    const flapper = robots[0]!.sim;
    for (let i = 0; i < 4; i++) {
      await sleep(1500);
      await flapper.faults.disconnect(0.3);
    }
    const dropped = Date.now();
    t.cp.app.get(MqttService).broker.disconnectAll();
    // every device is back within a bounded time
    await waitForAsync(
      async () => {
        const views = await Promise.all(robots.map((r) => robotView(r.id)));
        return views.every((v) => v.connection === 'ONLINE') && sensor.connected;
      },
      15_000,
      'every device back online',
    );
    const recoveryMs = Date.now() - dropped;

    let last: any[] = [];
    const ends = await waitForAsync(
      async () => {
        const ms = await Promise.all(missions.map(async (id) => (await t.api('GET', `/api/missions/${id}`, { token: t.adminToken })).body));
        last = ms;
        return ms.every((m) => ['finished', 'failed', 'cancelled'].includes(m.status)) ? ms : null;
      },
      90_000,
      'every mission ended',
    ).catch(async (e: Error) => {
      // say which missions stuck where, and what their robots report, instead of a bare timeout
      const stuck = last.filter((m) => !['finished', 'failed', 'cancelled'].includes(m.status));
      const views = await Promise.all(robots.map((r) => robotView(r.id)));
      const health = (await t.api('GET', '/health')).body;
      throw new Error(`${e.message}\nstuck: ${JSON.stringify(stuck, null, 1)}\nrobots: ${JSON.stringify(views, null, 1)}\nhealth: ${JSON.stringify(health)}`);
    });
    const finished = ends.filter((m) => m.status === 'finished').length;
    for (const m of ends.filter((x) => x.status !== 'finished')) {
      // a failure is visible: a reason in its history and an alarm or a status a user sees
      expect((m.history as { event: string }[]).some((h) => ['failed', 'cancelled'].includes(h.event))).toBe(true);
    }
    expect(finished).toBeGreaterThanOrEqual(4);
    const resent = ends.reduce((n, m) => n + (m.history as { event: string }[]).filter((h) => h.event === 'order_resent').length, 0);
    process.stdout.write(
      `network-faults: ${finished}/${ends.length} missions finished, ${resent} orders resent, all devices back ${recoveryMs} ms after disconnectAll\n`,
    );
  }, 150_000);
});
