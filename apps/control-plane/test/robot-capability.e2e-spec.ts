/**
 * What robots declare and report, against the site, end to end: real server, real broker,
 * real database, and robots as plain MQTT clients with their own credentials (so each message
 * is exactly the one a robot in the field sends). A factsheet (VDA 5050 2.0 here) is kept
 * across a restart and decides which missions dispatch offers the robot; a robot without one
 * takes plain transport only; a state that puts a node on another floor's map raises an alarm
 * until the robot reports consistently again.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { connectMqtt, waitForAsync } from '#testing';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './support/test-app.js';

const MANUFACTURER = 'CapBots';
let headerId = 0;
const header = (serialNumber: string, version = '2.0.0') => ({
  headerId: ++headerId,
  timestamp: new Date().toISOString(),
  version,
  manufacturer: MANUFACTURER,
  serialNumber,
});

function state(serialNumber: string, at: { lastNodeId: string; x: number; y: number; mapId: string }, nodeStates: unknown[] = [], batteryCharge = 90) {
  return {
    ...header(serialNumber),
    orderId: '',
    orderUpdateId: 0,
    lastNodeId: at.lastNodeId,
    lastNodeSequenceId: 0,
    nodeStates,
    edgeStates: [],
    driving: false,
    actionStates: [],
    batteryState: { batteryCharge, charging: false },
    operatingMode: 'AUTOMATIC',
    errors: [],
    safetyState: { eStop: 'NONE', fieldViolation: false },
    agvPosition: { x: at.x, y: at.y, theta: 0, mapId: at.mapId, positionInitialized: true },
  };
}

/** A VDA 5050 2.0 factsheet declaring pick and drop and one compartment. */
function factsheet(serialNumber: string) {
  return {
    ...header(serialNumber),
    typeSpecification: {
      seriesName: 'Cap',
      agvKinematic: 'DIFF',
      agvClass: 'CARRIER',
      maxLoadMass: 10,
      localizationTypes: ['NATURAL'],
      navigationTypes: ['AUTONOMOUS'],
    },
    physicalParameters: { speedMin: 0, speedMax: 1, accelerationMax: 1, decelerationMax: 1, heightMax: 1, width: 0.5, length: 0.7 },
    protocolLimits: { maxStringLens: {}, maxArrayLens: {}, timing: { minOrderInterval: 0.5, minStateInterval: 0.1 } },
    protocolFeatures: {
      optionalParameters: [],
      agvActions: [
        { actionType: 'pick', actionScopes: ['NODE'] },
        { actionType: 'drop', actionScopes: ['NODE'] },
      ],
    },
    agvGeometry: {},
    loadSpecification: { loadPositions: ['C1'] },
  };
}

const DOCK = { lastNodeId: 'F0-PHARMACY-DOCK', x: 11, y: 8, mapId: 'F0' };

describe('robot capability and map consistency', () => {
  let db: TestDatabase;
  let t: TestApp;
  const clients: MqttClient[] = [];

  const robot = async (serialNumber: string) => {
    const reg = await t.registerDevice({ kind: 'robot', name: serialNumber, manufacturer: MANUFACTURER, serialNumber });
    return { id: reg.device.id as string, credentials: reg.credentials, serialNumber };
  };
  const connect = async (r: { credentials: { username: string; password: string } }) => {
    const c = await connectMqtt(t.mqttUrl, { username: r.credentials.username, password: r.credentials.password });
    clients.push(c);
    return c;
  };
  const publish = (c: MqttClient, serialNumber: string, topic: string, body: unknown) =>
    c.publishAsync(`uagv/v2/${MANUFACTURER}/${serialNumber}/${topic}`, JSON.stringify(body), { qos: 1 });
  const view = async (id: string) => (await t.api('GET', `/api/robots/${id}`, { token: t.adminToken })).body;
  const missionOf = async (id: string) => (await t.api('GET', `/api/missions/${id}`, { token: t.adminToken })).body;
  const closeClients = () => Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ DISPATCH_INTERVAL_MS: '150', ORDER_ACK_TIMEOUT_MS: '60000' }, db);
  });
  afterAll(async () => {
    await closeClients();
    await t?.close();
    await db?.drop().catch(() => undefined);
  });

  it('keeps a factsheet across a restart and offers missions only to robots that declare their actions', async () => {
    const capable = await robot('CAP-1');
    const plain = await robot('CAP-2');
    const c1 = await connect(capable);
    // not retained: after the restart only the database can know it
    await c1.publishAsync(`uagv/v2/${MANUFACTURER}/CAP-1/factsheet`, JSON.stringify(factsheet('CAP-1')), { qos: 1, retain: false });
    await waitForAsync(async () => (await view(capable.id)).factsheet?.actions?.includes('pick'), 5000, 'factsheet applied');

    await closeClients();
    await t.stop();
    t = await startTestApp({ DISPATCH_INTERVAL_MS: '150', ORDER_ACK_TIMEOUT_MS: '60000' }, db);

    // before the robot said anything to the new server
    expect((await view(capable.id)).factsheet).toMatchObject({ version: '2.0.0', actions: ['pick', 'drop'], compartments: ['C1'] });
    expect((await view(plain.id)).factsheet).toBeNull();

    // only the robot without a factsheet is there: a mission with pick/drop waits, with the reason
    const c2 = await connect(plain);
    await publish(c2, 'CAP-2', 'state', state('CAP-2', DOCK));
    await waitForAsync(async () => (await view(plain.id)).connection === 'ONLINE', 5000, 'plain robot online');
    const created = await t.api('POST', '/api/missions', {
      token: t.adminToken,
      body: {
        priority: 'urgent',
        stops: [
          { nodeId: 'F0-PHARMACY-DOCK', actions: [{ kind: 'pick', compartmentId: 'C1', parameters: { loadId: 'tote-1' } }] },
          { nodeId: 'F1-CARD-STATION', actions: [{ kind: 'drop', compartmentId: 'C1' }] },
        ],
      },
    });
    expect(created.status).toBe(201);
    const withActions = created.body.id as string;
    const waiting = await waitForAsync(async () => (await missionOf(withActions)).waitingReason, 5000, 'waiting reason');
    expect(waiting).toMatch(/^no_capable_robot: .*published no factsheet, so it takes plain transport only/);
    expect((await missionOf(withActions)).status).toBe('queued');

    // the robot whose stored factsheet declares pick, drop and C1 reports in: it gets the mission
    const c1b = await connect(capable);
    await publish(c1b, 'CAP-1', 'state', state('CAP-1', DOCK));
    const assigned = await waitForAsync(
      async () => {
        const m = await missionOf(withActions);
        return m.status !== 'queued' ? m : null;
      },
      5000,
      'mission assigned',
    );
    expect(assigned.robotId).toBe(capable.id);

    // a plain transport mission goes to the robot without a factsheet
    const plainMission = await t.api('POST', '/api/missions', {
      token: t.adminToken,
      body: { priority: 'urgent', stops: [{ nodeId: 'F1-CARD-STATION', actions: [] }] },
    });
    expect(plainMission.status).toBe(201);
    const p = await waitForAsync(
      async () => {
        const m = await missionOf(plainMission.body.id);
        return m.status !== 'queued' ? m : null;
      },
      5000,
      'plain mission assigned',
    );
    expect(p.robotId).toBe(plain.id);
  }, 60_000);

  it('raises robot.cannot_charge for a low robot whose factsheet does not declare startCharging, once, and clears it when the battery recovers', async () => {
    const r = await robot('CHG-1');
    const c = await connect(r);
    await publish(c, 'CHG-1', 'factsheet', factsheet('CHG-1'));
    await waitForAsync(async () => (await view(r.id)).factsheet?.actions?.includes('pick'), 5000, 'factsheet applied');
    const alarms = async () =>
      (
        (await t.api('GET', '/api/alarms?type=robot.cannot_charge', { token: t.adminToken })).body as {
          source: { id: string };
          state: string;
          message: string;
          occurrences?: number;
        }[]
      ).filter((a) => a.source.id === r.id);
    await publish(c, 'CHG-1', 'state', state('CHG-1', DOCK, [], 10));
    const raised = await waitForAsync(async () => (await alarms()).find((a) => a.state === 'raised'), 5000, 'cannot charge alarm');
    expect(raised.message).toMatch(/10 %.*does not declare startCharging/);
    // rounds go on (every 150 ms): still one alarm, and no charge mission for the robot
    await publish(c, 'CHG-1', 'state', state('CHG-1', DOCK, [], 9));
    await new Promise((res) => setTimeout(res, 600));
    expect(await alarms()).toHaveLength(1);
    const missions = (await t.api('GET', '/api/missions', { token: t.adminToken })).body as { kind: string }[];
    expect(missions.filter((m) => m.kind === 'charge')).toEqual([]);

    await publish(c, 'CHG-1', 'state', state('CHG-1', DOCK, [], 80));
    await waitForAsync(async () => (await alarms())[0]?.state === 'cleared', 5000, 'cannot charge alarm cleared');
  }, 30_000);

  it('raises an alarm for a state naming a floor 2 node with the floor 1 map, and clears it when consistent', async () => {
    const r = await robot('MAP-1');
    const c = await connect(r);
    const alarm = async () =>
      (
        (await t.api('GET', '/api/alarms?type=robot.map_mismatch', { token: t.adminToken })).body as {
          source: { id: string };
          state: string;
          message: string;
        }[]
      ).find((a) => a.source.id === r.id);
    // after the lift ride F1 -> F2 the robot names the exit lobby on F2 but keeps the F1 map
    await publish(c, 'MAP-1', 'state', state('MAP-1', { lastNodeId: 'F2-LIFT-A', x: 35, y: 26, mapId: 'F1' }));
    const raised = await waitForAsync(async () => ((await alarm())?.state === 'raised' ? await alarm() : null), 5000, 'map mismatch alarm');
    expect(raised!.message).toMatch(/F2-LIFT-A.*map F2.*map F1/);
    // the state still applies: the position is what the robot reports
    expect((await view(r.id)).position.mapId).toBe('F1');
    const metrics = await t.api('GET', '/metrics');
    expect(metrics.text).toMatch(new RegExp(`medloop_robot_map_mismatch_total\\{robot="${r.id}"\\} [1-9]`));

    await publish(c, 'MAP-1', 'state', state('MAP-1', { lastNodeId: 'F2-LIFT-A', x: 35, y: 26, mapId: 'F2' }));
    await waitForAsync(async () => (await alarm())?.state === 'cleared', 5000, 'map mismatch alarm cleared');
    expect((await view(r.id)).position.mapId).toBe('F2');
  }, 30_000);
});
