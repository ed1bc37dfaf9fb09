/**
 * Interoperability with VDA 5050 robots as found in the field (issue #18), over the real
 * broker with a robot client that speaks raw VDA 5050: a 2.0 state that only echoes order
 * positions without theta is accepted and counted; any other schema error is still refused
 * on the rejection topic; instant actions go out in the robot's dialect; a robot's
 * validationError about MedLoop's message raises an alarm with the robot's own words, bounded
 * whatever the robot sent, and cleared when the robot drops it, also after a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { rejectionTopic, type State, type VdaVersion, vdaTopic } from '#contracts';
import { sampleState } from '../../../libs/contracts/src/vda5050/vda5050.samples.js';
import { connectMqtt, waitForAsync } from '#testing';
import { RobotCommandsService } from '../src/fleet/robot-commands.service.js';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './support/test-app.js';

describe('VDA 5050 leniencies and dialects', () => {
  let t: TestApp;
  const clients: MqttClient[] = [];
  let headerId = 0;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true);
    await t?.close();
  });

  async function robot(sn: string, version: VdaVersion, opts: { subscribe?: boolean } = {}) {
    const { device, credentials } = await t.registerDevice({ kind: 'robot', name: sn, manufacturer: 'MedLoop', serialNumber: sn });
    const c = await connectMqtt(t.mqttUrl, { clientId: `raw-${sn}`, username: credentials.username, password: credentials.password });
    clients.push(c);
    const inbox: { topic: string; body: any }[] = [];
    c.on('message', (topic, payload) => inbox.push({ topic, body: JSON.parse(payload.toString()) }));
    const subscribe = () => c.subscribeAsync([vdaTopic('uagv', 'MedLoop', sn, 'instantActions'), rejectionTopic(device.id)], { qos: 1 });
    if (opts.subscribe !== false) await subscribe();
    const state = (patch: (s: State) => void = () => undefined) => {
      const s = {
        ...sampleState(version),
        headerId: ++headerId,
        timestamp: new Date(Date.now() + headerId).toISOString(),
        manufacturer: 'MedLoop',
        serialNumber: sn,
      };
      patch(s);
      return c.publishAsync(vdaTopic('uagv', 'MedLoop', sn, 'state'), JSON.stringify(s), { qos: 1 });
    };
    return { id: device.id as string, sn, inbox, state, subscribe };
  }

  const metrics = async () => (await t.api('GET', '/metrics')).text;

  it('accepts a 2.0 state whose nodeStates echo positions without theta, and counts the leniency', async () => {
    const r = await robot('LEN-1', '2.0.0');
    await r.state((s) => {
      s.nodeStates = [{ nodeId: 'F0-PHARMACY-DOCK', sequenceId: 0, released: true, nodePosition: { x: 11, y: 8, mapId: 'F0' } }];
      s.lastNodeId = 'lenient-node';
    });
    await waitForAsync(
      async () => (await metrics()).includes('medloop_vda_leniency_total{robot="MedLoop/LEN-1",kind="nodeState_theta_missing"} 1'),
      10_000,
      'leniency counted',
    );
    const live = await t.api('GET', `/api/robots`, { token: t.adminToken });
    expect(JSON.stringify(live.body)).toContain('lenient-node');
    expect(r.inbox.filter((m) => m.topic.includes('/rejections/'))).toEqual([]);
  });

  it('still refuses a state with another schema error, with the reason on the rejection topic', async () => {
    const r = await robot('LEN-2', '2.0.0');
    await r.state((s) => {
      s.nodeStates = [{ nodeId: 'n', sequenceId: 0, released: true, nodePosition: { x: 0, y: 0, mapId: 'F0' } }];
      delete (s as Partial<State>).driving;
    });
    await waitForAsync(async () => r.inbox.some((m) => m.topic.includes('/rejections/')), 10_000, 'rejection published');
    const rej = r.inbox.find((m) => m.topic.includes('/rejections/'))!.body;
    expect(JSON.stringify(rej)).toContain('driving');
    expect(await metrics()).not.toContain('robot="MedLoop/LEN-2"');
  });

  it.each([
    ['2.0.0', true],
    ['2.1.0', false],
  ] as const)('sends instantActions to a %s robot in its dialect (instantActions array: %s)', async (version, both) => {
    const r = await robot(`DIA-${version}`, version);
    await r.state();
    const commands = t.cp.app.get(RobotCommandsService);
    await commands.sendInstantActions({ deviceId: r.id, interfaceName: 'uagv', manufacturer: 'MedLoop', serialNumber: r.sn }, [
      { actionType: 'startPause', actionId: `p-${version}`, blockingType: 'HARD' },
    ]);
    await waitForAsync(async () => r.inbox.some((m) => m.topic.endsWith('/instantActions')), 10_000, 'instant actions received');
    const msg = r.inbox.find((m) => m.topic.endsWith('/instantActions'))!.body;
    expect(msg.version).toBe(version);
    expect(msg.actions.map((a: { actionId: string }) => a.actionId)).toEqual([`p-${version}`]);
    if (both) expect(msg.instantActions).toEqual(msg.actions);
    else expect(msg).not.toHaveProperty('instantActions');
    expect(await metrics()).toContain(`medloop_vda_dialect_messages_total{topic="instantActions",dialect="${both ? 'vda2.0' : 'vda2.1'}"}`);
  });

  it('holds an instant action for a connected robot until its SUBSCRIBE is in place (ONLINE and state come first)', async () => {
    const r = await robot('LATE-SUB', '2.0.0', { subscribe: false });
    await r.state();
    await waitForAsync(
      async () => JSON.stringify((await t.api('GET', '/api/robots', { token: t.adminToken })).body).includes('LATE-SUB'),
      10_000,
      'robot known',
    );
    const commands = t.cp.app.get(RobotCommandsService);
    // sent while the robot talks but does not listen yet; it subscribes 500 ms later
    const sending = commands.sendInstantActions({ deviceId: r.id, interfaceName: 'uagv', manufacturer: 'MedLoop', serialNumber: r.sn }, [
      { actionType: 'startPause', actionId: 'late-sub', blockingType: 'HARD' },
    ]);
    await new Promise((done) => setTimeout(done, 500));
    await r.subscribe();
    await sending;
    await waitForAsync(async () => r.inbox.some((m) => m.topic.endsWith('/instantActions')), 5_000, 'instant action received after the late SUBSCRIBE');
    expect(r.inbox.find((m) => m.topic.endsWith('/instantActions'))!.body.actions[0].actionId).toBe('late-sub');
  });

  it("raises an alarm naming the refused message and the robot's text, once, and clears it when the error goes", async () => {
    const r = await robot('REF-1', '2.1.0');
    const refusal = (s: State) => {
      s.errors = [
        {
          errorType: 'validationError',
          errorLevel: 'WARNING',
          errorDescription: 'instantActions: actions[0].blockingType must be one of NONE, SOFT, HARD',
          errorReferences: [
            { referenceKey: 'topic', referenceValue: 'instantActions' },
            { referenceKey: 'headerId', referenceValue: '41' },
          ],
        },
      ];
    };
    await r.state(refusal);
    await r.state(refusal);
    type Alarm = { state: string; message: string; occurrences: number; source: { id: string } };
    const list = async () =>
      ((await t.api('GET', '/api/alarms?type=robot.message_refused', { token: t.adminToken })).body as Alarm[]).filter((a) => a.source.id === r.id);
    await waitForAsync(async () => (await list()).length === 1, 10_000, 'alarm raised');
    await r.state();
    await waitForAsync(async () => (await list())[0]?.state === 'cleared', 10_000, 'alarm cleared');
    const [alarm] = await list();
    expect(alarm!.message).toContain('instantActions');
    expect(alarm!.message).toContain('headerId 41');
    expect(alarm!.message).toContain('actions[0].blockingType must be one of NONE, SOFT, HARD');
    expect(alarm!.occurrences).toBe(1);
  });
  type RefusedAlarm = { state: string; details: Record<string, unknown>; source: { id: string } };
  const refusedAlarms = async (robotId: string) =>
    ((await t.api('GET', '/api/alarms?type=robot.message_refused&limit=1000', { token: t.adminToken })).body as RefusedAlarm[]).filter(
      (a) => a.source.id === robotId,
    );

  it("raises the alarm of a refusal with long robot text, its key within alarms.key, the robot's text clipped", async () => {
    const r = await robot('REF-LONG', '2.1.0');
    const long = 'o'.repeat(3_000);
    await r.state((s) => {
      s.errors = [
        {
          errorType: 'orderError',
          errorLevel: 'WARNING',
          errorDescription: `order is not executable: ${'d'.repeat(3_000)}`,
          errorReferences: [
            { referenceKey: 'topic', referenceValue: 'order' },
            { referenceKey: 'headerId', referenceValue: '9' },
            { referenceKey: 'orderId', referenceValue: long },
            { referenceKey: 'orderUpdateId', referenceValue: '0' },
          ],
        },
      ];
    });
    await waitForAsync(async () => (await refusedAlarms(r.id)).length === 1, 10_000, 'alarm raised');
    const [alarm] = await refusedAlarms(r.id);
    expect(alarm!.details['orderId']).toBe(long.slice(0, 500));
    expect(String(alarm!.details['errorDescription'])).toHaveLength(500);
    await r.state();
    await waitForAsync(async () => (await refusedAlarms(r.id))[0]?.state === 'cleared', 10_000, 'alarm cleared');
  });

  it('raises at most the first 20 distinct refusals of one state', async () => {
    const r = await robot('REF-MANY', '2.1.0');
    await r.state((s) => {
      s.errors = Array.from({ length: 30 }, (_, i) => ({
        errorType: 'validationError',
        errorLevel: 'WARNING' as const,
        errorReferences: [
          { referenceKey: 'topic', referenceValue: 'instantActions' },
          { referenceKey: 'headerId', referenceValue: String(100 + i) },
        ],
      }));
    });
    await waitForAsync(async () => (await refusedAlarms(r.id)).length >= 20, 10_000, '20 refusals raised');
    await r.state();
    await waitForAsync(async () => (await refusedAlarms(r.id)).every((a) => a.state === 'cleared'), 10_000, 'all cleared');
    expect((await refusedAlarms(r.id)).map((a) => Number(a.details['headerId'])).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => 100 + i));
  });
});

describe('robot.message_refused across a restart', () => {
  let db: TestDatabase;
  let t: TestApp;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({}, db);
  });
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true);
    await t?.close();
    await db?.drop().catch(() => undefined);
  });

  it('clears an alarm raised before the restart when the robot no longer reports the error', async () => {
    const { device, credentials } = await t.registerDevice({ kind: 'robot', name: 'REF-RST', manufacturer: 'MedLoop', serialNumber: 'REF-RST' });
    let headerId = 0;
    const state = (c: MqttClient, errors: State['errors']) =>
      c.publishAsync(
        vdaTopic('uagv', 'MedLoop', 'REF-RST', 'state'),
        JSON.stringify({
          ...sampleState('2.1.0'),
          headerId: ++headerId,
          timestamp: new Date(Date.now() + headerId).toISOString(),
          manufacturer: 'MedLoop',
          serialNumber: 'REF-RST',
          errors,
        }),
        { qos: 1 },
      );
    const connect = async () => {
      const c = await connectMqtt(t.mqttUrl, { clientId: 'raw-REF-RST', username: credentials.username, password: credentials.password });
      clients.push(c);
      return c;
    };
    type Alarm = { state: string; source: { id: string } };
    const list = async () =>
      ((await t.api('GET', '/api/alarms?type=robot.message_refused', { token: t.adminToken })).body as Alarm[]).filter((a) => a.source.id === device.id);

    await state(await connect(), [
      {
        errorType: 'validationError',
        errorLevel: 'WARNING',
        errorDescription: 'invalid instant actions: actions[0].blockingType must be one of NONE, SOFT, HARD',
        errorReferences: [
          { referenceKey: 'topic', referenceValue: 'instantActions' },
          { referenceKey: 'headerId', referenceValue: '5' },
        ],
      },
    ]);
    await waitForAsync(async () => (await list())[0]?.state === 'raised', 10_000, 'alarm raised');

    for (const c of clients.splice(0)) await c.endAsync(true);
    await t.stop();
    t = await startTestApp({}, db);
    expect((await list()).map((a) => a.state)).toEqual(['raised']);

    await state(await connect(), []);
    await waitForAsync(async () => (await list())[0]?.state === 'cleared', 10_000, 'alarm cleared after the restart');
    expect(await list()).toHaveLength(1);
  });
});
