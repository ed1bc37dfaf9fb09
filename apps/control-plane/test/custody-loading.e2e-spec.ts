/**
 * Loading and dispatch against the real robot (simulated VDA 5050 robots over real MQTT):
 * loading trusts the robot's own report — where it stands, which compartments it has, what is
 * in them, which are refrigerated, which actions its factsheet declares — and the deliveries
 * still aboard it, each refusal with its own code; dispatch checks the robot again; and a robot
 * that refuses the order leaves no dose in transit: the doses go back into the pharmacy's
 * custody and the pharmacy is alarmed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { vdaTimestamp } from '#contracts';
import { connectMqtt, newGsrn, orderBody, patientBody, unitBarcode, waitForAsync, withCheck } from '#testing';
import { parseFleetConfig, type RobotSimulator } from '../../../simulators/robot/index.js';
import { buildFactsheet } from '../../../simulators/robot/factsheet.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { startRobot } from './support/robot.js';

const GTIN_AMOX = withCheck('0950600013535');
const GTIN_INSULIN = withCheck('0950600013536');

describe('loading against the real robot', () => {
  let t: TestApp;
  let pharmacist: { token: string };
  let amox: string;
  let insulin: string;
  const sims: RobotSimulator[] = [];
  let serial = 0;
  let unitSerial = 0;

  beforeAll(async () => {
    t = await startTestApp({ ORDER_ACK_TIMEOUT_MS: '400', DISPATCH_INTERVAL_MS: '150', CUSTODY_TICK_MS: '200' });
    pharmacist = await t.userToken('pharmacist');
    const med = async (body: Record<string, unknown>) => (await t.api('POST', '/api/medications', { token: pharmacist.token, body })).body.id as string;
    amox = await med({ gtin: GTIN_AMOX, name: 'Amoxicillin', strength: '500 mg', route: 'oral' });
    insulin = await med({ gtin: GTIN_INSULIN, name: 'Insulin', strength: '100 IU/ml', route: 'subcutaneous', refrigerated: true });
    // a refrigerated unit is taken from the pharmacy's fridge
    await t.registerDevice({ kind: 'sensor', name: 'Pharmacy fridge 1' });
  });
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.stop().catch(() => undefined)));
  });
  afterAll(async () => {
    await t?.close();
  });

  const api = (method: string, path: string, body?: unknown) => t.api(method, path, { token: pharmacist.token, ...(body !== undefined ? { body } : {}) });

  async function robot(opts: Parameters<typeof startRobot>[4] = {}) {
    const sn = `LOAD-${++serial}`;
    const r = await startRobot(t.baseUrl, t.mqttUrl, t.adminToken, sn, opts);
    sims.push(r.sim);
    return { ...r, sn };
  }

  /** A delivery to W-CARD with one checked dose per medication given; answers its id and dose ids in that order. */
  async function checkedDelivery(...medications: { id: string; gtin: string }[]) {
    const g = newGsrn();
    const patient = (await api('POST', '/api/patients', patientBody(g, 'W-CARD'))).body.id as string;
    const d = (await api('POST', '/api/deliveries', { ward: 'W-CARD' })).body.id as string;
    const doses: string[] = [];
    for (const m of medications) {
      const entered = await t.api('POST', '/api/orders', { token: t.adminToken, body: orderBody(patient, m.id, { inMinutes: 10, priority: 'urgent' }) });
      const o = entered.body.id as string;
      expect((await api('POST', `/api/orders/${o}/verify`)).status).toBe(200);
      const s = `U-${++unitSerial}`;
      const r = await api('POST', `/api/deliveries/${d}/picks`, { orderId: o, barcode: unitBarcode(m.gtin, s) });
      expect(r.status).toBe(201);
      doses.push((r.body.doses as { id: string; serial: string }[]).find((x) => x.serial === s)!.id);
    }
    expect((await api('POST', `/api/deliveries/${d}/check`, {})).status).toBe(200);
    return { id: d, doses };
  }

  const AMOX = () => ({ id: amox, gtin: GTIN_AMOX });
  const INSULIN = () => ({ id: insulin, gtin: GTIN_INSULIN });
  const load = (d: string, robotId: string, compartments: Record<string, string[]>) => api('POST', `/api/deliveries/${d}/load`, { robotId, compartments });
  const delivery = async (d: string) => (await t.api('GET', `/api/deliveries/${d}`, { token: t.adminToken })).body;
  const robotView = async (id: string) => (await t.api('GET', `/api/robots/${id}`, { token: t.adminToken })).body;

  it('loads only into compartments the robot reports, free and (for a 2–8 °C dose) refrigerated', async () => {
    const { id: robotId, sim } = await robot();
    const d1 = await checkedDelivery(AMOX(), INSULIN());
    const [a1, ins] = d1.doses as [string, string];

    const unknown = await load(d1.id, robotId, { C9: [a1], C3: [ins] });
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ error: 'compartment_unknown', field: 'compartments.C9' });
    expect(unknown.body.message).toMatch(/reports no compartment C9/);

    const warm = await load(d1.id, robotId, { C1: [ins], C2: [a1] });
    expect(warm.status).toBe(422);
    expect(warm.body).toMatchObject({ error: 'compartment_not_refrigerated', field: 'compartments.C1' });
    expect((await delivery(d1.id)).state).toBe('building');

    // the insulin into the refrigerated C3 is accepted
    const ok = await load(d1.id, robotId, { C1: [a1], C3: [ins] });
    expect(ok.status).toBe(200);
    expect(ok.body.doses.map((x: { state: string }) => x.state)).toEqual(['loaded', 'loaded']);

    // a second delivery may not claim C1 of the same robot while the first is aboard
    const d2 = await checkedDelivery(AMOX());
    const reserved = await load(d2.id, robotId, { C1: d2.doses });
    expect(reserved.status).toBe(409);
    expect(reserved.body).toMatchObject({ error: 'compartment_reserved', field: 'compartments.C1', details: { deliveryId: d1.id } });
    expect(reserved.body.message).toContain(d1.id);

    // something the robot itself reports in C2 (left behind by hand) makes C2 occupied
    sim.model.compartments.place('C2', 'left-behind');
    sim.model.markDirty();
    sim.publishState();
    await waitForAsync(async () => (await robotView(robotId)).compartments.some((c: { loadId?: string }) => c.loadId === 'left-behind'), 5000, 'load reported');
    const occupied = await load(d2.id, robotId, { C2: d2.doses });
    expect(occupied.status).toBe(409);
    expect(occupied.body).toMatchObject({ error: 'compartment_occupied', field: 'compartments.C2' });
    expect((await delivery(d2.id)).doses[0].state).toBe('checked');
  }, 60_000);

  it('refuses a robot away from the dock, offline, or unable to run the delivery actions', async () => {
    const d = await checkedDelivery(AMOX());

    const parked = await robot({ initialNode: { nodeId: 'F0-PARK-1', x: 55, y: 33, mapId: 'F0' } });
    const away = await load(d.id, parked.id, { C1: d.doses });
    expect(away.status).toBe(409);
    expect(away.body).toMatchObject({ error: 'robot_not_at_dock', field: 'robotId' });
    expect(away.body.message).toContain('F0-PARK-1');

    // a robot that never published a factsheet: nothing says it can unlock a compartment for the nurse
    const silent = await robot({ factsheet: false });
    const unknown = await load(d.id, silent.id, { C1: d.doses });
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ error: 'robot_capabilities_unknown', field: 'robotId' });
    expect(unknown.body.message).not.toMatch(/2\.0 robots cannot/);

    // a robot whose factsheet lacks the compartment actions (it publishes a new one over its own link)
    const plain = await robot();
    await publishFactsheetWithout(plain, ['medloop.unlockCompartment', 'medloop.lockCompartment']);
    await waitForAsync(async () => !(await robotView(plain.id)).factsheetActions?.includes('medloop.lockCompartment'), 5000, 'new factsheet');
    const missing = await load(d.id, plain.id, { C1: d.doses });
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({
      error: 'robot_missing_actions',
      field: 'robotId',
      details: { missing: ['medloop.unlockCompartment', 'medloop.lockCompartment'] },
    });
    expect(missing.body.message).toMatch(/medloop\.unlockCompartment, medloop\.lockCompartment/);

    const gone = await robot();
    await gone.sim.stop();
    await waitForAsync(async () => (await robotView(gone.id)).connection === 'OFFLINE', 5000, 'robot offline');
    const unreachable = await load(d.id, gone.id, { C1: d.doses });
    expect(unreachable.status).toBe(409);
    expect(unreachable.body).toMatchObject({ error: 'robot_unreachable', field: 'robotId' });
    expect((await delivery(d.id)).state).toBe('building');
  }, 60_000);

  it('loads a VDA 5050 2.0 robot whose factsheet declares the delivery actions', async () => {
    const old = await robot({ version: '2.0.0' });
    const view = await robotView(old.id);
    expect(view.factsheet).toMatchObject({ version: '2.0.0', compartments: ['C1', 'C2', 'C3'] });
    expect(view.factsheet.actions).toEqual(expect.arrayContaining(['medloop.waitForRecipient', 'medloop.unlockCompartment', 'medloop.lockCompartment']));
    const d = await checkedDelivery(AMOX());
    const loaded = await load(d.id, old.id, { C1: d.doses });
    expect(loaded.status).toBe(200);
  }, 60_000);

  it('checks the robot again at dispatch', async () => {
    const r = await robot();
    const d = await checkedDelivery(AMOX());
    expect((await load(d.id, r.id, { C1: d.doses })).status).toBe(200);
    await publishFactsheetWithout(r, ['medloop.waitForRecipient']);
    await waitForAsync(async () => !(await robotView(r.id)).factsheetActions?.includes('medloop.waitForRecipient'), 5000, 'new factsheet');
    const missing = await api('POST', `/api/deliveries/${d.id}/dispatch`);
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({ error: 'robot_missing_actions', details: { missing: ['medloop.waitForRecipient'] } });
    await r.sim.stop();
    await waitForAsync(async () => (await robotView(r.id)).connection === 'OFFLINE', 5000, 'robot offline');
    const offline = await api('POST', `/api/deliveries/${d.id}/dispatch`);
    expect(offline.status).toBe(409);
    expect(offline.body.error).toBe('robot_unreachable');
    const after = await delivery(d.id);
    expect(after.state).toBe('loaded');
    expect(after.missionId).toBeNull();
  }, 60_000);

  it('a robot that refuses the order leaves no dose in transit: the doses go back to the pharmacy, with an alarm', async () => {
    const r = await robot();
    const d = await checkedDelivery(AMOX(), INSULIN());
    expect((await load(d.id, r.id, { C1: [d.doses[0]!], C3: [d.doses[1]!] })).status).toBe(200);
    // someone started a job on the robot's own panel: it waits at the dock, and refuses any other order
    const decision = r.sim.model.receiveOrder({
      headerId: 0,
      timestamp: vdaTimestamp(),
      version: '2.1.0',
      manufacturer: 'MedLoop',
      serialNumber: r.sn,
      orderId: 'local-panel-job',
      orderUpdateId: 0,
      nodes: [
        {
          nodeId: 'F0-PHARMACY-DOCK',
          sequenceId: 0,
          released: true,
          actions: [{ actionType: 'waitForTrigger', actionId: 'local-wait', blockingType: 'HARD', actionParameters: [] }],
        },
      ],
      edges: [],
    });
    expect(decision.kind).toBe('new');
    r.sim.model.takeDirty();
    r.sim.publishState();
    await waitForAsync(async () => (await robotView(r.id)).order?.orderId === 'local-panel-job', 5000, 'robot on its local job');

    const sent = await api('POST', `/api/deliveries/${d.id}/dispatch`);
    expect(sent.status).toBe(200);
    expect(sent.body.state).toBe('dispatched');
    // sealed at the dock until the robot actually leaves
    expect(sent.body.doses.map((x: { state: string }) => x.state)).toEqual(['loaded', 'loaded']);

    const back = await waitForAsync(
      async () => {
        const x = await delivery(d.id);
        return x.state === 'returned' ? x : null;
      },
      15_000,
      'delivery returned',
    );
    expect(back.doses.map((x: { state: string; location: string }) => [x.state, x.location])).toEqual([
      ['returned', 'pharmacy'],
      ['returned', 'pharmacy'],
    ]);
    const mission = (await t.api('GET', `/api/missions/${back.missionId}`, { token: t.adminToken })).body;
    expect(mission).toMatchObject({ status: 'failed', failureReason: 'order_refused' });
    for (const doseId of d.doses) {
      const events = (await t.api('GET', `/api/doses/${doseId}/timeline`, { token: t.adminToken })).body.events as {
        action: string;
        fromState: string | null;
        toState: string | null;
        location: string | null;
      }[];
      expect(events.map((e) => e.toState)).not.toContain('in_transit');
      expect(events.find((e) => e.action === 'dispatch_refused')).toMatchObject({ fromState: 'loaded', toState: 'returned', location: 'pharmacy' });
    }
    const alarms = (await api('GET', '/api/alarms?type=custody.dispatch_refused&state=open')).body as { source: { id: string }; message: string }[];
    const alarm = alarms.find((a) => a.source.id === d.id);
    expect(alarm?.message).toMatch(/2 doses returned to the pharmacy/);
    expect((await t.api('GET', '/api/audit/verify', { token: t.adminToken })).body.ok).toBe(true);
  }, 60_000);

  /** The robot announces a new factsheet without `drop` actions, over a second session of its own credentials. */
  async function publishFactsheetWithout(r: { sim: RobotSimulator; sn: string; credentials: { username: string; password: string } }, drop: string[]) {
    const cfg = parseFleetConfig({
      brokerUrl: t.mqttUrl,
      robots: [{ serialNumber: r.sn, initialNode: { nodeId: 'F0-PHARMACY-DOCK', x: 11, y: 8, mapId: 'F0' } }],
    });
    const { robots, ...settings } = cfg;
    const header = { headerId: 1_000, timestamp: vdaTimestamp(), version: '2.1.0', manufacturer: 'MedLoop', serialNumber: r.sn };
    const sheet = buildFactsheet(header, robots[0]!, settings);
    sheet.protocolFeatures.agvActions = sheet.protocolFeatures.agvActions.filter((a) => !drop.includes(a.actionType));
    const c = await connectMqtt(t.mqttUrl, { username: r.credentials.username, password: r.credentials.password, clientId: `${r.sn}-service-tool` });
    await c.publishAsync(r.sim.topic('factsheet'), JSON.stringify(sheet), { qos: 1 });
    await c.endAsync();
  }
});
