/**
 * The robot fleet end to end: real server, real broker, real simulated VDA 5050 robots
 * (simulators/robot) and a monitoring MQTT client that validates every message either side
 * sends against the official schema.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { validateVda, type VdaTopicName } from '#contracts';
import { connectMqtt, waitForAsync } from '#testing';
import { startTestApp, type TestApp } from './support/test-app.js';
import { parseFleetConfig, RobotSimulator } from '../../../simulators/robot/index.js';

const SETTINGS = {
  interfaceName: 'uagv',
  timeScale: 40,
  stateIntervalS: 20,
  tickMs: 50,
  liftTimeS: 20,
  reconnectPeriodMs: 200,
};

/** Deterministic "random" for drop decisions: a small LCG. */
function seeded(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('robot fleet over VDA 5050', () => {
  let t: TestApp;
  let monitor: MqttClient;
  const seen: { topic: string; payload: string }[] = [];
  const sims: RobotSimulator[] = [];
  let serial = 0;

  beforeAll(async () => {
    t = await startTestApp({
      ORDER_ACK_TIMEOUT_MS: '400',
      ORDER_MAX_ATTEMPTS: '8',
      DISPATCH_INTERVAL_MS: '150',
      ROBOT_OFFLINE_GRACE_MS: '1500',
      ROBOT_STALE_AFTER_MS: '1500',
    });
    const mon = await t.registerDevice({ kind: 'integration', name: 'VDA monitor', acl: [{ effect: 'allow', action: 'subscribe', pattern: 'uagv/#' }] });
    monitor = await connectMqtt(t.mqttUrl, { username: mon.credentials.username, password: mon.credentials.password });
    monitor.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }));
    await monitor.subscribeAsync('uagv/#', { qos: 0 });
  });

  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.stop().catch(() => undefined)));
  });

  afterAll(async () => {
    await monitor?.endAsync(true);
    await t?.close();
    // every message the server sent and every message the robots sent validates against the
    // official schema of its declared version
    const invalid = seen
      .filter((m) => !m.topic.includes('/rejections/'))
      .map((m) => ({ m, r: validateVda(m.topic.split('/')[4] as VdaTopicName, m.payload) }))
      .filter((x) => !x.r.ok);
    expect(invalid.map((x) => ({ topic: x.m.topic, errors: !x.r.ok && x.r.errors }))).toEqual([]);
    expect(seen.some((m) => m.topic.endsWith('/order'))).toBe(true);
    expect(seen.some((m) => m.topic.endsWith('/state'))).toBe(true);
  });

  async function robotAt(
    nodeId: string,
    opts: { version?: '2.0.0' | '2.1.0'; battery?: number; random?: () => number } = {},
  ): Promise<{ sim: RobotSimulator; id: string }> {
    const sn = `SIM-${++serial}`;
    const reg = await t.registerDevice({ kind: 'robot', name: `Robot ${sn}`, manufacturer: 'MedLoop', serialNumber: sn });
    const site = (await t.api('GET', '/api/site', { token: t.adminToken })).body as { nodes: { id: string; floor: string; x: number; y: number }[] };
    const n = site.nodes.find((x) => x.id === nodeId)!;
    const cfg = parseFleetConfig({
      ...SETTINGS,
      brokerUrl: t.mqttUrl,
      version: opts.version ?? '2.1.0',
      robots: [
        {
          manufacturer: 'MedLoop',
          serialNumber: sn,
          username: reg.credentials.username,
          password: reg.credentials.password,
          initialNode: { nodeId, x: n.x, y: n.y, mapId: n.floor },
          speed: 1.2,
          battery: opts.battery ?? 95,
        },
      ],
    });
    const { robots, ...settings } = cfg;
    const sim = new RobotSimulator({ robot: robots[0]!, settings, ...(opts.random ? { random: opts.random } : {}) });
    sims.push(sim);
    await sim.start();
    await waitForAsync(
      async () => (await t.api('GET', `/api/robots/${reg.device.id}`, { token: t.adminToken })).body.connection === 'ONLINE',
      5000,
      'robot online',
    );
    await waitForAsync(async () => (await t.api('GET', `/api/robots/${reg.device.id}`, { token: t.adminToken })).body.battery !== null, 5000, 'robot state');
    return { sim, id: reg.device.id };
  }

  async function mission(stops: { nodeId: string; actions?: unknown[] }[], extra: Record<string, unknown> = {}) {
    const r = await t.api('POST', '/api/missions', {
      token: t.adminToken,
      body: { stops: stops.map((s) => ({ actions: [], ...s })), priority: 'urgent', ...extra },
    });
    expect(r.status).toBe(201);
    return r.body.id as string;
  }

  const missionOf = async (id: string) => (await t.api('GET', `/api/missions/${id}`, { token: t.adminToken })).body;

  it('dispatches a mission across two floors to a registered robot, which drives it to the end', async () => {
    const { id: robotId } = await robotAt('F0-PHARMACY-DOCK');
    const id = await mission([
      { nodeId: 'F0-PHARMACY-DOCK', actions: [{ kind: 'pick', parameters: { loadId: 'tote-1' } }] },
      { nodeId: 'F1-CARD-STATION', actions: [{ kind: 'drop' }] },
    ]);
    const done = await waitForAsync(
      async () => {
        const m = await missionOf(id);
        return ['finished', 'failed'].includes(m.status) ? m : null;
      },
      30_000,
      'mission end',
    );
    expect(done.status).toBe('finished');
    expect(done.robotId).toBe(robotId);
    const events = done.history.map((h: { event: string }) => h.event);
    expect(events).toEqual(expect.arrayContaining(['created', 'assigned', 'sent', 'order_acknowledged', 'arrived_at_stop', 'order_updated', 'finished']));
    expect(events.filter((e: string) => e === 'order_acknowledged')).toHaveLength(2);
    // base/horizon: the first order released only the way to the first stop; the update that
    // released the rest was stitched at that node with the same orderId and orderUpdateId 1
    const orders = seen
      .filter((m) => m.topic.endsWith('/order'))
      .map((m) => JSON.parse(m.payload) as { orderId: string; orderUpdateId: number; nodes: { nodeId: string; sequenceId: number; released: boolean }[] });
    const mine = orders.filter((o) => o.orderId === `mission-${id}`);
    const first = mine.find((o) => o.orderUpdateId === 0)!;
    const update = mine.find((o) => o.orderUpdateId === 1)!;
    expect(first.nodes.some((n) => !n.released)).toBe(true);
    const lastBase = first.nodes.filter((n) => n.released).at(-1)!;
    expect(update.nodes[0]).toMatchObject({ nodeId: lastBase.nodeId, sequenceId: lastBase.sequenceId, released: true });
    expect(update.nodes.every((n) => n.released)).toBe(true);
    const robot = (await t.api('GET', `/api/robots/${robotId}`, { token: t.adminToken })).body;
    expect(robot.position.mapId).toBe('F1');
    expect(robot.order.lastNodeId).toBe('F1-CARD-STATION');
    expect(robot.mission).toBeNull();
  }, 60_000);

  it('still finishes when 30% of orders are lost on the way, by resending with the same ids', async () => {
    const { sim } = await robotAt('F0-PHARMACY-DOCK', { version: '2.0.0', random: seeded(7) });
    sim.faults.dropIncoming(0.3, ['order']);
    const ids: string[] = [];
    for (const stop of ['F1-SURG-STATION', 'F0-PHARMACY-DOCK', 'F2-ONC-STATION']) {
      const id = await mission([{ nodeId: stop }]);
      ids.push(id);
      const m = await waitForAsync(
        async () => {
          const x = await missionOf(id);
          return ['finished', 'failed'].includes(x.status) ? x : null;
        },
        40_000,
        'mission end',
      );
      expect(m.status).toBe('finished');
    }
    const histories = await Promise.all(ids.map(missionOf));
    const resent = histories.flatMap((h) => h.history.filter((e: { event: string }) => e.event === 'order_resent'));
    expect(sim.stats.messagesDropped).toBeGreaterThan(0);
    expect(resent.length).toBeGreaterThanOrEqual(sim.stats.messagesDropped);
    // a resend carries the same order id and update id
    const orders = seen.filter((m) => m.topic === sim.topic('order')).map((m) => JSON.parse(m.payload) as { orderId: string; orderUpdateId: number });
    const first = orders.find((o) => o.orderId === `mission-${ids[0]}`)!;
    expect(orders.filter((o) => o.orderId === first.orderId).every((o) => o.orderUpdateId === first.orderUpdateId)).toBe(true);
  }, 120_000);

  it('pauses the mission with an alarm when the robot drops offline mid-mission, and fails it when it stays away', async () => {
    const { sim, id: robotId } = await robotAt('F0-PHARMACY-DOCK');
    const id = await mission([{ nodeId: 'F3-PAED-STATION' }]);
    await waitForAsync(async () => ['running', 'accepted'].includes((await missionOf(id)).status), 10_000, 'running');
    await sim.faults.disconnect();
    const paused = await waitForAsync(
      async () => {
        const m = await missionOf(id);
        return m.paused ? m : null;
      },
      5000,
      'paused',
    );
    expect(paused.status).not.toBe('finished');
    const alarms = (await t.api('GET', '/api/alarms?type=robot.offline_mid_mission', { token: t.adminToken })).body;
    expect(alarms.some((a: { source: { id: string }; state: string }) => a.source.id === robotId)).toBe(true);
    const failed = await waitForAsync(
      async () => {
        const m = await missionOf(id);
        return m.status === 'failed' ? m : null;
      },
      10_000,
      'failed',
    );
    expect(failed.failureReason).toBe('robot offline');
  }, 60_000);

  it('fails the mission with an alarm on a FATAL error, and pauses it on an emergency stop', async () => {
    const a = await robotAt('F0-PHARMACY-DOCK');
    const m1 = await mission([{ nodeId: 'F3-PAED-STATION' }], { requiredRobotId: a.id });
    await waitForAsync(async () => ['running', 'accepted'].includes((await missionOf(m1)).status), 10_000, 'running');
    a.sim.faults.eStop('MANUAL');
    await waitForAsync(async () => (await missionOf(m1)).paused === true, 5000, 'paused by e-stop');
    const estop = (await t.api('GET', '/api/alarms?type=robot.estop', { token: t.adminToken })).body;
    expect(estop.find((x: { source: { id: string } }) => x.source.id === a.id)?.state).toBe('raised');
    a.sim.faults.eStop('NONE');
    await waitForAsync(async () => (await missionOf(m1)).paused === false, 5000, 'resumed');
    a.sim.faults.fatal('drive motor overcurrent');
    const failed = await waitForAsync(
      async () => {
        const m = await missionOf(m1);
        return m.status === 'failed' ? m : null;
      },
      5000,
      'failed',
    );
    expect(failed.failureReason).toMatch(/FATAL/);
    const fatal = (await t.api('GET', '/api/alarms?type=robot.fatal_error', { token: t.adminToken })).body;
    expect(fatal.some((x: { source: { id: string } }) => x.source.id === a.id)).toBe(true);
  }, 60_000);

  it('sends an idle robot low on battery to a charger on its own', async () => {
    const { id } = await robotAt('F0-C55', { battery: 12 });
    const charge = await waitForAsync(
      async () => {
        const list = (await t.api('GET', `/api/missions?robotId=${id}`, { token: t.adminToken })).body as {
          kind: string;
          status: string;
          stops: { nodeId: string }[];
        }[];
        return list.find((m) => m.kind === 'charge' && m.status === 'finished');
      },
      30_000,
      'charge mission finished',
    );
    expect(charge.stops[0]!.nodeId).toMatch(/CHARGER/);
    await waitForAsync(async () => (await t.api('GET', `/api/robots/${id}`, { token: t.adminToken })).body.battery.charging === true, 10_000, 'charging');
  }, 60_000);

  it('refuses missions to unknown or unreachable stops with specific errors', async () => {
    const r = await t.api('POST', '/api/missions', { token: t.adminToken, body: { stops: [{ nodeId: 'F0-PHARMACY-DOCK' }, { nodeId: 'NOWHERE' }] } });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe('stops[1].nodeId');
    const nurse = await t.userToken('nurse', ['W-CARD']);
    expect((await t.api('POST', '/api/missions', { token: nurse.token, body: { stops: [{ nodeId: 'F0-PHARMACY-DOCK' }] } })).status).toBe(403);
  });

  describe('robot messages at the edge', () => {
    let raw: MqttClient;
    let robotId: string;
    const header = (headerId: number, timestamp: string) => ({ headerId, timestamp, version: '2.0.0', manufacturer: 'RawBots', serialNumber: 'RAW-1' });
    const state = (headerId: number, timestamp: string, battery: number) => ({
      ...header(headerId, timestamp),
      orderId: '',
      orderUpdateId: 0,
      lastNodeId: 'F0-C55',
      lastNodeSequenceId: 0,
      nodeStates: [],
      edgeStates: [],
      driving: false,
      actionStates: [],
      batteryState: { batteryCharge: battery, charging: false },
      operatingMode: 'AUTOMATIC',
      errors: [],
      safetyState: { eStop: 'NONE', fieldViolation: false },
      agvPosition: { x: 55, y: 20, theta: 0, mapId: 'F0', positionInitialized: true },
    });

    beforeAll(async () => {
      const reg = await t.registerDevice({ kind: 'robot', name: 'raw', manufacturer: 'RawBots', serialNumber: 'RAW-1' });
      robotId = reg.device.id;
      raw = await connectMqtt(t.mqttUrl, { username: reg.credentials.username, password: reg.credentials.password });
    });
    afterAll(async () => {
      await raw?.endAsync(true);
    });

    it('applies a valid state, ignores an older replay, and rejects schema violations per robot', async () => {
      await raw.publishAsync('uagv/v2/RawBots/RAW-1/state', JSON.stringify(state(10, '2026-11-26T10:00:10.00Z', 80)), { qos: 1 });
      await waitForAsync(
        async () => (await t.api('GET', `/api/robots/${robotId}`, { token: t.adminToken })).body.battery?.chargePct === 80,
        3000,
        'state applied',
      );
      // a replay of an older message must not move the robot back
      await raw.publishAsync('uagv/v2/RawBots/RAW-1/state', JSON.stringify(state(9, '2026-11-26T10:00:09.00Z', 20)), { qos: 1 });
      await raw.publishAsync('uagv/v2/RawBots/RAW-1/state', JSON.stringify({ ...state(11, '2026-11-26T10:00:11.00Z', 70), operatingMode: 'TURBO' }), {
        qos: 1,
      });
      await raw.publishAsync('uagv/v2/RawBots/RAW-1/state', JSON.stringify({ ...state(12, '2026-11-26T10:00:12.00Z', 70), serialNumber: 'SOMEONE-ELSE' }), {
        qos: 1,
      });
      const r = await waitForAsync(
        async () => {
          const x = (await t.api('GET', `/api/robots/${robotId}`, { token: t.adminToken })).body;
          return x.rejectedMessages.schema && x.rejectedMessages.out_of_order && x.rejectedMessages.identity_mismatch ? x : null;
        },
        3000,
        'rejections counted',
      );
      expect(r.battery.chargePct).toBe(80);
      expect(r.operatingMode).toBe('AUTOMATIC');
      const m = await t.api('GET', '/metrics');
      expect(m.text).toMatch(/medloop_rejected_inputs_total\{channel="mqtt",family="vda5050.state",reason="schema"\} [1-9]/);
    });

    it('marks a silent robot stale with an alarm, and clears it when the robot reports again', async () => {
      const stale = await waitForAsync(
        async () => {
          const list = (await t.api('GET', '/api/alarms?type=robot.stale', { token: t.adminToken })).body as { source: { id: string }; state: string }[];
          return list.find((a) => a.source.id === robotId && a.state === 'raised');
        },
        6000,
        'stale alarm',
      );
      expect(stale).toBeDefined();
      expect((await t.api('GET', `/api/robots/${robotId}`, { token: t.adminToken })).body.stale).toBe(true);
      await raw.publishAsync('uagv/v2/RawBots/RAW-1/state', JSON.stringify(state(20, new Date().toISOString(), 79)), { qos: 1 });
      await waitForAsync(
        async () => {
          const list = (await t.api('GET', '/api/alarms?type=robot.stale', { token: t.adminToken })).body as { source: { id: string }; state: string }[];
          return list.find((a) => a.source.id === robotId)?.state === 'cleared';
        },
        3000,
        'stale alarm cleared',
      );
    });
  });

  it('lets a user acknowledge an alarm; the lifecycle is raised → acknowledged → cleared', async () => {
    const list = (await t.api('GET', '/api/alarms?state=cleared', { token: t.adminToken })).body as { id: string; acknowledged: unknown }[];
    const open = (await t.api('GET', '/api/alarms?state=raised', { token: t.adminToken })).body as { id: string }[];
    const target = open[0] ?? list.find((a) => !a.acknowledged);
    expect(target).toBeDefined();
    const ack = await t.api('POST', `/api/alarms/${target!.id}/acknowledge`, { token: t.adminToken });
    expect(ack.status).toBe(200);
    expect(ack.body.acknowledged.by).toBe('admin');
  });
});

describe('site file', () => {
  it('stops the server with the path and field at fault when the site file is malformed', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'medloop-site-'));
    const path = join(dir, 'site.json');
    writeFileSync(
      path,
      JSON.stringify({
        id: 's',
        name: 'S',
        floors: [{ mapId: 'F0', name: 'G', level: 0 }],
        wards: [],
        nodes: [{ id: 'A', floor: 'F9', x: 0, y: 0, kind: 'waypoint' }],
        edges: [],
      }),
    );
    try {
      await expect(startTestApp({ SITE_FILE: path })).rejects.toThrow(`site file ${path}: nodes[0].floor`);
      await expect(startTestApp({ SITE_FILE: join(dir, 'missing.json') })).rejects.toThrow(/file not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
