/**
 * Interoperability with a robot stack MedLoop did not write (issue #18): the open-source
 * `vda-5050-lib` (coatyio, VDA 5050 2.0) AgvController with
 * - its stock VirtualAgvAdapter, unmodified: a plain transport mission must end with every
 *   state accepted and with progress visible during the trip, not only at the end;
 * - MedLoop's compartment extension written as an adapter of that library
 *   (simulators/third-party): a delivery is loaded at the pharmacy, driven to the ward, and
 *   the nurse's unlock reaches the robot.
 * Real server, real broker, the library's own MQTT client with the credentials MedLoop issued.
 * Every rejection MedLoop sends the robot (medloop/v1/rejections/{deviceId}) is collected, so a
 * failure names what was refused and why.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { type RejectionEvent, validateVda } from '#contracts';
import { connectMqtt, waitForAsync } from '#testing';
import { startTestApp, type TestApp } from './support/test-app.js';
import { CustodyFixture } from './reliability/support.js';
import { startVirtualAgv, type VirtualAgv } from '../../../simulators/third-party/virtual-agv.js';

const MANUFACTURER = 'coatyio';

interface Sample {
  at: number;
  status: string;
  currentStop: number | null;
  events: string[];
  orderId: string | null;
  nodesLeft: number | null;
  lastNodeId: string | null;
}

describe('a third-party VDA 5050 robot: vda-5050-lib virtual AGV', () => {
  let t: TestApp;
  let monitor: MqttClient;
  const seen: { topic: string; payload: string }[] = [];
  const agvs: VirtualAgv[] = [];
  let serial = 0;

  beforeAll(async () => {
    t = await startTestApp({
      DISPATCH_INTERVAL_MS: '150',
      CUSTODY_TICK_MS: '200',
      UNLOCK_CONFIRM_TIMEOUT_MS: '3000',
    });
    const mon = await t.registerDevice({
      kind: 'integration',
      name: 'VDA monitor',
      acl: [
        { effect: 'allow', action: 'subscribe', pattern: 'uagv/#' },
        { effect: 'allow', action: 'subscribe', pattern: 'medloop/v1/rejections/#' },
      ],
    });
    monitor = await connectMqtt(t.mqttUrl, { username: mon.credentials.username, password: mon.credentials.password });
    monitor.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }));
    await monitor.subscribeAsync(['uagv/#', 'medloop/v1/rejections/#'], { qos: 0 });
  });

  afterEach(async () => {
    await Promise.all(agvs.splice(0).map((a) => a.stop().catch(() => undefined)));
  });

  afterAll(async () => {
    await monitor?.endAsync(true);
    await t?.close();
  });

  const robotView = async (id: string) => (await t.api('GET', `/api/robots/${id}`, { token: t.adminToken })).body;

  /** Registers a robot in MedLoop and starts the library's controller with the credentials it got. */
  async function libRobot(adapter: 'stock' | 'medloop', at = 'F0-PHARMACY-DOCK'): Promise<{ id: string; sn: string; agv: VirtualAgv }> {
    const sn = `LIB-${++serial}`;
    const reg = await t.registerDevice({ kind: 'robot', name: `vda-5050-lib ${sn}`, manufacturer: MANUFACTURER, serialNumber: sn });
    const site = (await t.api('GET', '/api/site', { token: t.adminToken })).body as { nodes: { id: string; floor: string; x: number; y: number }[] };
    const n = site.nodes.find((x) => x.id === at)!;
    const agv = await startVirtualAgv({
      brokerUrl: t.mqttUrl,
      username: reg.credentials.username,
      password: reg.credentials.password,
      manufacturer: MANUFACTURER,
      serialNumber: sn,
      initialNode: { nodeId: at, x: n.x, y: n.y, mapId: n.floor },
      adapter,
      timeLapse: 10,
    });
    agvs.push(agv);
    const id = reg.device.id as string;
    await waitForAsync(async () => (await robotView(id)).battery !== null, 10_000, `first state of ${sn} accepted`);
    return { id, sn, agv };
  }

  /** What MedLoop refused of this robot: its own counter, and the reasons it told the robot. */
  async function refusals(id: string) {
    const counted = (await robotView(id)).rejectedMessages as Record<string, number>;
    const told = seen
      .filter((m) => m.topic === `medloop/v1/rejections/${id}`)
      .map((m) => JSON.parse(m.payload) as RejectionEvent)
      .map((e) => ({ topic: e.topic.split('/').at(-1), reason: e.reason, errors: (e.errors ?? []).slice(0, 3).map((x) => `${x.path}: ${x.message}`) }));
    // one line per distinct refusal, with how often: 45 identical schema errors read as one
    const distinct = new Map<string, number>();
    for (const r of told) distinct.set(JSON.stringify(r), (distinct.get(JSON.stringify(r)) ?? 0) + 1);
    return {
      total: Object.values(counted).reduce((s, n) => s + n, 0),
      counted,
      reasons: [...distinct].map(([r, n]) => ({ times: n, ...(JSON.parse(r) as object) })),
    };
  }

  const statesOf = (sn: string) =>
    seen.filter((m) => m.topic === `uagv/v2/${MANUFACTURER}/${sn}/state`).map((m) => JSON.parse(m.payload) as { orderId: string; nodeStates: unknown[] });

  it('the stock VirtualAgvAdapter drives a plain transport mission to the end: every state accepted, progress visible on the way', async () => {
    const { id: robotId, sn, agv } = await libRobot('stock');
    expect((await robotView(robotId)).lastNodeId).toBe('F0-PHARMACY-DOCK');
    // two stops on the ground floor: the first order releases only the way to the first stop,
    // the update that releases the rest is stitched at it (the library's "stitch" path)
    const created = await t.api('POST', '/api/missions', {
      token: t.adminToken,
      body: { stops: [{ nodeId: 'F0-C25' }, { nodeId: 'F0-PARK-1' }], priority: 'urgent', requiredRobotId: robotId },
    });
    expect(created.status).toBe(201);
    const missionId = created.body.id as string;

    // watch the trip through the API, as the dashboard would (bounded: 60 s, 100 ms apart)
    const samples: Sample[] = [];
    const end = await waitForAsync(
      async () => {
        const [m, r] = await Promise.all([t.api('GET', `/api/missions/${missionId}`, { token: t.adminToken }).then((x) => x.body), robotView(robotId)]);
        samples.push({
          at: Date.now(),
          status: m.status,
          currentStop: m.currentStop ?? null,
          events: (m.history as { event: string }[]).map((h) => h.event),
          orderId: r.order?.orderId ?? null,
          nodesLeft: r.order?.nodesLeft ?? null,
          lastNodeId: r.lastNodeId,
        });
        return ['finished', 'failed', 'canceled'].includes(m.status) ? m : null;
      },
      60_000,
      'mission end',
    );

    const robot = await robotView(robotId);
    // progress during the trip: before the mission ended, MedLoop had taken the order as
    // acknowledged, moved on to the second stop, and shown the robot's nodeStates shrinking
    // (stops without actions are passed, not "arrived at": their sign is the `progress` event)
    const before = samples.filter((s) => !['finished', 'failed', 'canceled'].includes(s.status));
    const nodesLeftSeen = [...new Set(before.filter((s) => s.orderId === `mission-${missionId}` && (s.nodesLeft ?? 0) > 0).map((s) => s.nodesLeft))];
    // on the wire: the library published states with nodes still to go, each valid VDA 5050 2.0
    // as MedLoop reads it
    const onTheWay = statesOf(sn).filter((s) => s.orderId === `mission-${missionId}` && s.nodeStates.length > 0);
    const invalid = seen
      .filter((m) => m.topic.startsWith(`uagv/v2/${MANUFACTURER}/${sn}/`) && /\/(state|connection|visualization)$/.test(m.topic))
      .map((m) => validateVda(m.topic.split('/')[4] as 'state', m.payload))
      .filter((r) => !r.ok).length;
    // one comparison, so that a failure shows every point at once
    expect({
      refused: await refusals(robotId),
      mission: [end.status, end.failureReason ?? null],
      // where MedLoop believes the robot is, and where the library says it is
      robotAt: [robot.lastNodeId, robot.position.mapId],
      robotSaysItIsAt: agv.controller.currentState.lastNodeId,
      acknowledgedBeforeEnd: before.some((s) => s.events.includes('order_acknowledged')),
      secondStopBeforeEnd: before.some((s) => s.currentStop === 1 && s.events.includes('progress')),
      nodesLeftSeenShrinking: nodesLeftSeen.length >= 2 && nodesLeftSeen.every((n, i) => i === 0 || n! < nodesLeftSeen[i - 1]!),
      statesWithNodesToGo: onTheWay.length > 2,
      invalidOnTheWire: invalid,
    }).toEqual({
      refused: { total: 0, counted: {}, reasons: [] },
      mission: ['finished', null],
      robotAt: ['F0-PARK-1', 'F0'],
      robotSaysItIsAt: 'F0-PARK-1',
      acknowledgedBeforeEnd: true,
      secondStopBeforeEnd: true,
      nodesLeftSeenShrinking: true,
      statesWithNodesToGo: true,
      invalidOnTheWire: 0,
    });
    // and the robot refused nothing MedLoop sent it (its errors would raise robot.message_refused)
    const refusedAlarms = (await t.api('GET', '/api/alarms?type=robot.message_refused', { token: t.adminToken })).body as { source: { id: string } }[];
    expect(refusedAlarms.filter((a) => a.source.id === robotId)).toEqual([]);
  }, 90_000);

  it('with the MedLoop compartment adapter it takes a delivery: loaded at the pharmacy, driven to the ward, unlocked by the nurse', async () => {
    const pharmacist = await t.userToken('pharmacist');
    const nurse = await t.userToken('nurse', ['W-CARD']);
    const api = (token: string, method: string, path: string, body?: unknown) => t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
    const fx = await CustodyFixture.create(api, pharmacist.token, '0950600013637', t.adminToken);
    const patient = await fx.patient('W-CARD');
    const orderId = await fx.verifiedOrder(patient.id);

    const { id: robotId, sn, agv } = await libRobot('medloop');
    // the adapter's factsheet (published through the library's controller) declares the actions
    const declared = await waitForAsync(async () => (await robotView(robotId)).factsheetActions as string[] | null, 10_000, 'factsheet');
    expect(declared).toEqual(expect.arrayContaining(['medloop.unlockCompartment', 'medloop.lockCompartment', 'medloop.waitForRecipient', 'medloop.trigger']));
    const before = await robotView(robotId);
    expect(before.compartments.map((c: { compartmentId: string; lock: string }) => [c.compartmentId, c.lock])).toEqual([
      ['C1', 'LOCKED'],
      ['C2', 'LOCKED'],
      ['C3', 'LOCKED'],
    ]);

    const d = await fx.delivery('W-CARD', [orderId], 'dispatched', robotId);
    const delivery = async () => (await api(t.adminToken, 'GET', `/api/deliveries/${d.id}`)).body;
    const arrived = await waitForAsync(
      async () => {
        const x = await delivery();
        return ['arrived', 'failed', 'returned', 'lost'].includes(x.state) ? x : null;
      },
      60_000,
      'delivery arrived at the ward',
    );
    expect({
      delivery: arrived.state,
      refused: await refusals(robotId),
      // where the doses physically are: the library's own idea of its last node
      robotSaysItIsAt: agv.controller.currentState.lastNodeId,
    }).toEqual({ delivery: 'arrived', refused: { total: 0, counted: {}, reasons: [] }, robotSaysItIsAt: 'F1-CARD-STATION' });
    // it waits at the nurse station, and says why
    const waiting = await robotView(robotId);
    expect([waiting.lastNodeId, waiting.position.mapId]).toEqual(['F1-CARD-STATION', 'F1']);

    const unlocked = await api(nurse.token, 'POST', `/api/deliveries/${d.id}/unlock`, { compartmentId: 'C1' });
    expect([unlocked.status, unlocked.body?.error ?? null, unlocked.body?.message ?? null]).toEqual([200, null, null]);
    const robotAfterUnlock = await robotView(robotId);
    expect(robotAfterUnlock.compartments.find((c: { compartmentId: string }) => c.compartmentId === 'C1')?.lock).toBe('UNLOCKED');
    expect(robotAfterUnlock.compartments.find((c: { compartmentId: string }) => c.compartmentId === 'C2')?.lock).toBe('LOCKED');

    expect((await api(nurse.token, 'POST', `/api/deliveries/${d.id}/receipt`, { barcode: d.barcodes[0] })).status).toBe(200);
    const done = await api(nurse.token, 'POST', `/api/deliveries/${d.id}/receipt/complete`);
    expect(done.body.state).toBe('completed');
    // the receipt releases the robot from its wait and locks the compartment again
    const mission = await waitForAsync(
      async () => {
        const m = (await api(t.adminToken, 'GET', `/api/missions/${done.body.missionId}`)).body;
        return ['finished', 'failed', 'canceled'].includes(m.status) ? m : null;
      },
      20_000,
      'mission end',
    );
    expect(mission.status).toBe('finished');
    await waitForAsync(
      async () => (await robotView(robotId)).compartments.every((c: { lock: string }) => c.lock === 'LOCKED'),
      10_000,
      'compartments locked again',
    );
    expect(await refusals(robotId)).toEqual({ total: 0, counted: {}, reasons: [] });
    expect(statesOf(sn).length).toBeGreaterThan(0);
  }, 120_000);

  it('the stock VirtualAgvAdapter rides the lift but keeps reporting the old floor map: MedLoop flags it, it does not accept it silently', async () => {
    const { id: robotId, agv } = await libRobot('stock');
    const created = await t.api('POST', '/api/missions', {
      token: t.adminToken,
      body: { stops: [{ nodeId: 'F1-CARD-STATION' }], priority: 'urgent', requiredRobotId: robotId },
    });
    expect(created.status).toBe(201);
    const alarm = async () =>
      (
        (await t.api('GET', '/api/alarms?type=robot.map_mismatch', { token: t.adminToken })).body as {
          source: { id: string };
          state: string;
          message: string;
        }[]
      ).find((a) => a.source.id === robotId);
    const raised = await waitForAsync(async () => ((await alarm())?.state === 'raised' ? await alarm() : null), 60_000, 'map mismatch after the lift');
    // the library's own view: on a F1 node, still on map F0
    expect(agv.controller.currentState.agvPosition?.mapId).toBe('F0');
    expect(raised!.message).toMatch(/map F1.*map F0/);
    const metrics = await t.api('GET', '/metrics');
    expect(metrics.text).toMatch(new RegExp(`medloop_robot_map_mismatch_total\\{robot="${robotId}"\\} [1-9]`));
  }, 90_000);
});
