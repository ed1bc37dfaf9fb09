/**
 * Crash recovery: the server is a separate process holding deliveries in several custody
 * states when it is killed with SIGKILL; restarted on the same ports and data, every custody
 * event it acknowledged is still there, the chain verifies, the in-flight delivery resumes
 * (its order is resent to the robot) and devices replaying messages after reconnecting do not
 * duplicate any event.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deviceTopic } from '#contracts';
import { connectMqtt, waitForAsync } from '#testing';
import { createTestDatabase, type TestDatabase } from '../support/test-app.js';
import type { RobotSimulator } from '../../../../simulators/robot/index.js';
import { CustodyFixture, ServerProcess, sleep, startRobot } from './support.js';

const ADMIN_PASSWORD = `crash-admin-${randomBytes(6).toString('hex')}`;

type TimelineEvent = { seq: number; id: string; action: string; hash: string };

describe('crash recovery (kill -9, restart on the same data)', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let server: ServerProcess | null = null;
  let sim: RobotSimulator | null = null;

  beforeAll(async () => {
    db = await createTestDatabase();
    env = {
      ...db.env,
      ADMIN_PASSWORD,
      JWT_SECRET: randomBytes(32).toString('hex'),
      ORDER_ACK_TIMEOUT_MS: '400',
      ORDER_MAX_ATTEMPTS: '20',
      DISPATCH_INTERVAL_MS: '150',
      ROBOT_OFFLINE_GRACE_MS: '30000',
      CUSTODY_TICK_MS: '200',
    };
  });

  afterAll(async () => {
    await sim?.stop().catch(() => undefined);
    await server?.kill9();
    await db?.drop();
  });

  it('keeps every acknowledged custody event, verifies the chain, resumes the in-flight delivery and never duplicates on replay', async () => {
    server = await ServerProcess.start(env);
    const ports = { http: server.httpPort, mqtt: server.mqttPort };
    const admin = await server.login('admin', ADMIN_PASSWORD);
    const api = (token: string, method: string, path: string, body?: unknown) => server!.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
    const mk = async (role: string, wards?: string[]) => {
      const username = `${role}-${randomBytes(3).toString('hex')}`;
      const password = `pw-${randomBytes(10).toString('hex')}`;
      const r = await api(admin, 'POST', '/api/users', { username, password, role, ...(wards ? { wards } : {}) });
      expect(r.status).toBe(201);
      return server!.login(username, password);
    };
    const pharmacist = await mk('pharmacist');
    const nurse = await mk('nurse', ['W-CARD']);
    const fx = await CustodyFixture.create(api, pharmacist, undefined, admin);

    // a slow robot, so the delivery is still on its way when the server dies
    const robot = await startRobot(server.baseUrl, server.mqttUrl, admin, `CRASH-${randomBytes(2).toString('hex')}`, { timeScale: 4, reconnectPeriodMs: 250 });
    sim = robot.sim;

    // several custody states: verified only, picked, checked, and dispatched (in flight)
    const patients = await Promise.all([0, 1, 2, 3].map(() => fx.patient('W-CARD')));
    const orders: string[] = [];
    for (const p of patients) orders.push(await fx.verifiedOrder(p.id));
    const picked = await fx.delivery('W-CARD', [orders[1]!], 'picked');
    const checked = await fx.delivery('W-CARD', [orders[2]!], 'checked');
    const inflight = await fx.delivery('W-CARD', [orders[3]!], 'dispatched', robot.id);
    await waitForAsync(async () => (await api(admin, 'GET', `/api/deliveries/${inflight.id}`)).body.state === 'in_transit', 15_000, 'in transit');

    // what the API acknowledged before the crash
    const before = await api(admin, 'GET', '/api/audit/verify');
    expect(before.body.ok).toBe(true);
    const doseIds = [...picked.doseIds, ...checked.doseIds, ...inflight.doseIds];
    const timelines = async () =>
      Object.fromEntries(
        await Promise.all(doseIds.map(async (d) => [d, (await api(admin, 'GET', `/api/doses/${d}/timeline`)).body.events as TimelineEvent[]] as const)),
      );
    const ackedTimelines = await timelines();
    const missionId = (await api(admin, 'GET', `/api/deliveries/${inflight.id}`)).body.missionId as string;
    expect(missionId).toBeTruthy();
    const ordersSeenBefore = robot.sim.stats.ordersReceived;
    const orderIdBefore = (await api(admin, 'GET', `/api/robots/${robot.id}`)).body.order?.orderId as string;
    expect(orderIdBefore).toBeTruthy();
    const stateOf = async (id: string) => (await api(admin, 'GET', `/api/deliveries/${id}`)).body.state as string;
    const statesBefore = [await stateOf(picked.id), await stateOf(checked.id)];

    await server.kill9();
    const crashedAt = Date.now();
    server = await ServerProcess.start(env, ports);
    const restartMs = Date.now() - crashedAt;
    // tokens survive the restart (JWT_SECRET set)
    expect((await api(admin, 'GET', '/api/users/me')).status).toBe(200);

    // every acknowledged event is present, unchanged, and the chain verifies
    const after = await api(admin, 'GET', '/api/audit/verify');
    expect(after.body).toMatchObject({ ok: true });
    expect(after.body.events).toBeGreaterThanOrEqual(before.body.events);
    const recovered = await timelines();
    for (const d of doseIds) {
      const ids = new Set(recovered[d]!.map((e) => `${e.seq}:${e.id}:${e.hash}`));
      for (const e of ackedTimelines[d]!) expect(ids.has(`${e.seq}:${e.id}:${e.hash}`)).toBe(true);
    }

    // the robot reconnects by itself; the mission resumes: either the dispatcher resent the
    // order (same ids) or the robot's first state already echoed it, acknowledging it
    await waitForAsync(async () => (await api(admin, 'GET', `/api/robots/${robot.id}`)).body.connection === 'ONLINE', 15_000, 'robot back online');
    const reconnectMs = Date.now() - crashedAt;
    const mission = await waitForAsync(
      async () => {
        const m = (await api(admin, 'GET', `/api/missions/${missionId}`)).body;
        const resent = (m.history as { event: string }[]).some((h) => h.event === 'order_resent') || robot.sim.stats.ordersReceived > ordersSeenBefore;
        const echoed = (await api(admin, 'GET', `/api/robots/${robot.id}`)).body.order?.orderId === orderIdBefore;
        return (resent || echoed) && m.robotId === robot.id ? m : null;
      },
      20_000,
      'mission resumed after restart',
    );
    expect(mission.status).not.toBe('failed');

    // the in-flight delivery arrives (or is flagged failed, visibly), and the robot's replays
    // after reconnecting add no duplicate
    const end = await waitForAsync(
      async () => {
        const d = (await api(admin, 'GET', `/api/deliveries/${inflight.id}`)).body;
        return ['arrived', 'failed'].includes(d.state) ? d : null;
      },
      60_000,
      'delivery arrived or flagged',
    );
    expect(end.state).toBe('arrived');
    await robot.sim.faults.disconnect(0.3); // one more reconnect: state and connection replayed
    // the ward can finish it after the crash: an unlock is answered on the robot's own report,
    // so while the robot is still reconnecting the nurse is told it is unreachable and tries
    // again; a robot that reported itself back before its subscription was in place misses the
    // command, and the nurse is told it was not confirmed (504) and tries again too
    const unlocked = await waitForAsync(
      async () => {
        const r = await api(nurse, 'POST', `/api/deliveries/${inflight.id}/unlock`, { compartmentId: 'C1' });
        const retry = (r.status === 503 && r.body.error === 'robot_unreachable') || (r.status === 504 && r.body.error === 'unlock_not_confirmed');
        return retry ? null : r;
      },
      45_000,
      'robot reachable again',
    );
    expect(unlocked.status).toBe(200);
    expect((await api(nurse, 'POST', `/api/deliveries/${inflight.id}/receipt`, { barcode: inflight.barcodes[0] })).status).toBe(200);
    const final = (await api(admin, 'GET', `/api/doses/${inflight.doseIds[0]}/timeline`)).body.events as TimelineEvent[];
    const counts = final.reduce<Record<string, number>>((m, e) => ((m[e.action] = (m[e.action] ?? 0) + 1), m), {});
    for (const once of ['picked', 'checked', 'loaded', 'departed', 'arrived', 'received']) expect([once, counts[once]]).toEqual([once, 1]);
    expect(new Set(final.map((e) => e.seq)).size).toBe(final.length);
    const verified = await api(admin, 'GET', '/api/audit/verify');
    expect(verified.body.ok).toBe(true);
    // the other deliveries kept their states
    expect([await stateOf(picked.id), await stateOf(checked.id)]).toEqual(statesBefore);
    process.stdout.write(
      `crash-recovery: ${before.body.events} events before, ${verified.body.events} after; restart ${restartMs} ms; robot back ${reconnectMs} ms after the crash\n`,
    );
  }, 150_000);

  it('rebuilds the per-minute rollups that were only in memory from the samples it had written', async () => {
    server ??= await ServerProcess.start(env);
    const ports = { http: server.httpPort, mqtt: server.mqttPort };
    const admin = await server.login('admin', ADMIN_PASSWORD);
    const reg = await server.api('POST', '/api/devices', {
      token: admin,
      body: { kind: 'sensor', name: 'Crash fridge', ward: 'W-CARD', location: 'med room' },
    });
    expect(reg.status).toBe(201);
    const id = reg.body.device.id as string;
    const client = await connectMqtt(server.mqttUrl, { username: id, password: reg.body.credentials.password });
    // five readings early in a minute that is still open when the server dies (its bucket is
    // written once the minute is over, so a kill now leaves it only in memory)
    if (Date.now() % 60_000 > 40_000) await sleep(60_000 - (Date.now() % 60_000) + 100);
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const values = [4, 5, 6, 7, 8];
    for (const [i, v] of values.entries()) {
      const msg = { v: 1, deviceId: id, seq: i + 1, ts: new Date(minute + i * 100).toISOString(), readings: [{ channel: 'main', temperatureC: v }] };
      await client.publishAsync(deviceTopic('sensor', id, 'telemetry'), JSON.stringify(msg), { qos: 1 });
    }
    await client.endAsync(true);
    const range = `from=${new Date(minute - 60_000).toISOString()}&to=${new Date(minute + 60_000).toISOString()}&metric=temperatureC`;
    // a raw query writes the buffered samples, not the open minute's rollups
    await waitForAsync(
      async () => (await server!.api('GET', `/api/sensors/${id}/readings?${range}`, { token: admin })).body?.length === 5,
      10_000,
      'samples written',
    );

    await server.kill9();
    server = await ServerProcess.start(env, ports);
    const perMinute = await server.api('GET', `/api/sensors/${id}/readings?${range}&resolution=1m`, { token: admin });
    expect(perMinute.status).toBe(200);
    expect(perMinute.body).toEqual([expect.objectContaining({ at: new Date(minute).toISOString(), min: 4, max: 8, avg: 6, count: 5 })]);
  }, 120_000);
});
