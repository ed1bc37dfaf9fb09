/**
 * Every alarm ends: the six alarm types that used to stay open for ever, raised through real
 * inputs (simulated robots and a raw VDA 5050 client over MQTT, the custody HTTP API), each
 * seen to clear on a live site station (`alarm` delta `cleared`), in a fresh snapshot and in
 * the open list — by its condition ending, or by a pharmacist's POST /api/alarms/:id/resolve.
 * Also the resolve endpoint's refusals. Nothing here emits on the bus.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import { DataSource } from 'typeorm';
import { LIVE_NAMESPACE, type LiveDelta, type LiveSnapshot } from '#contracts';
import { gtinCheckDigit } from '#domain';
import { CustodyEventEntity } from '#persistence';
import { connectMqtt, waitFor, waitForAsync } from '#testing';
import { startTestApp, type TestApp } from './support/test-app.js';
import type { RobotSimulator } from '../../../simulators/robot/index.js';
import { startRobot } from './support/robot.js';

const GS = '\u001d';
const withCheck = (digits: string) => digits + gtinCheckDigit(digits);
const GTIN_AMOX = withCheck('0950600013435');
let gsrnSeq = 500;
const gsrn = () => withCheck(`80180000000000${String(++gsrnSeq).padStart(3, '0')}`);
const yymmdd = (d: Date) => `${String(d.getUTCFullYear()).slice(2)}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
const NEXT_YEAR = yymmdd(new Date(Date.now() + 365 * 86400_000));
const unit = (gtin: string, serial: string) => `]d201${gtin}17${NEXT_YEAR}10LOT42${GS}21${serial}`;

interface AlarmJson {
  id: string;
  key: string;
  type: string;
  state: string;
  ward: string | null;
  source: { kind: string; id: string };
  title: string;
  message: string;
  cleared: { at: string; reason: string | null } | null;
  clears: { by: string; roles?: string[] } | null;
  resolution: { by: string; role: string; reason: string; at: string } | null;
}

describe('alarm lifecycle: every alarm clears', () => {
  let t: TestApp;
  let station: Socket;
  const deltas: LiveDelta[] = [];
  let pharmacist: { token: string; username: string };
  let nurseCard: { token: string; username: string };
  let amox: string;
  const sims: RobotSimulator[] = [];
  const raws: MqttClient[] = [];
  let serial = 0;

  beforeAll(async () => {
    t = await startTestApp({
      ORDER_ACK_TIMEOUT_MS: '400',
      ORDER_MAX_ATTEMPTS: '2',
      DISPATCH_INTERVAL_MS: '150',
      ROBOT_OFFLINE_GRACE_MS: '800',
      CUSTODY_TICK_MS: '200',
      // deliveries not received within 8 s have their doses declared lost
      DELIVERY_LOST_MS: '8000',
      LIVE_BATCH_MS: '1',
    });
    pharmacist = await t.userToken('pharmacist');
    nurseCard = await t.userToken('nurse', ['W-CARD']);
    amox = (
      await t.api('POST', '/api/medications', { token: pharmacist.token, body: { gtin: GTIN_AMOX, name: 'Amoxicillin', strength: '500 mg', route: 'oral' } })
    ).body.id;
    station = io(`${t.baseUrl}${LIVE_NAMESPACE}`, { auth: { token: t.adminToken }, transports: ['websocket'], reconnection: false, forceNew: true });
    const snapshots: LiveSnapshot[] = [];
    station.on('snapshot', (s: LiveSnapshot) => snapshots.push(s));
    station.on('deltas', (batch: LiveDelta[]) => deltas.push(...batch));
    await new Promise<void>((resolve, reject) => {
      station.once('connect', () => resolve());
      station.once('connect_error', reject);
    });
    station.emit('subscribe', { room: 'site' });
    await waitFor(() => snapshots.length > 0, 5000, 'site snapshot');
  });
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.stop().catch(() => undefined)));
    await Promise.all(raws.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  });
  afterAll(async () => {
    station?.disconnect();
    await t?.close();
  });

  const api = (token: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    t.api(method, path, { token, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });

  // ---- live station -------------------------------------------------------------------

  const liveAlarms = (change: string) =>
    deltas.flatMap((d) => (d.event.type === 'alarm' && d.event.data.change === change ? [d.event.data.alarm as unknown as AlarmJson] : []));

  /** Waits for the live station to see an alarm raised that matches. */
  async function raisedLive(type: string, sourceId: string, timeoutMs = 15_000): Promise<AlarmJson> {
    let found: AlarmJson | undefined;
    await waitFor(() => !!(found = liveAlarms('raised').find((a) => a.type === type && a.source.id === sourceId)), timeoutMs, `${type} raised live`);
    return found!;
  }

  /** The alarm is gone: a live `cleared` delta, not in a fresh snapshot, not in the open list. */
  async function goneEverywhere(alarm: AlarmJson, timeoutMs = 15_000): Promise<AlarmJson> {
    let cleared: AlarmJson | undefined;
    await waitFor(() => !!(cleared = liveAlarms('cleared').find((a) => a.id === alarm.id)), timeoutMs, `${alarm.type} cleared live`);
    expect(cleared!.state).toBe('cleared');
    const fresh = io(`${t.baseUrl}${LIVE_NAMESPACE}`, { auth: { token: t.adminToken }, transports: ['websocket'], reconnection: false, forceNew: true });
    try {
      const snap = await new Promise<LiveSnapshot>((resolve, reject) => {
        fresh.once('snapshot', resolve);
        fresh.once('connect_error', reject);
        fresh.once('connect', () => fresh.emit('subscribe', { room: 'site' }));
      });
      expect(snap.alarms.map((a) => a.id)).not.toContain(alarm.id);
    } finally {
      fresh.disconnect();
    }
    const open = (await api(t.adminToken, 'GET', `/api/alarms?state=open&type=${alarm.type}`)).body as AlarmJson[];
    expect(open.map((a) => a.id)).not.toContain(alarm.id);
    const stored = (await api(t.adminToken, 'GET', `/api/alarms/${alarm.id}`)).body as AlarmJson;
    expect(stored.state).toBe('cleared');
    expect(stored.key).toMatch(new RegExp(`^${alarm.type.replace('.', '\\.')}:`));
    return stored;
  }

  // ---- robots, orders and deliveries --------------------------------------------------

  async function robot(): Promise<{ sim: RobotSimulator; id: string }> {
    const r = await startRobot(t.baseUrl, t.mqttUrl, t.adminToken, `LIFE-${++serial}`);
    sims.push(r.sim);
    return r;
  }

  async function verifiedOrder(ward = 'W-CARD') {
    const g = gsrn();
    const p = await api(pharmacist.token, 'POST', '/api/patients', {
      mrn: `MRN${g.slice(-6)}`,
      wristbandGsrn: g,
      name: `Patient ${g.slice(-4)}`,
      ward,
      bed: '3',
    });
    expect(p.status).toBe(201);
    const o = await api(t.adminToken, 'POST', '/api/orders', {
      patientId: p.body.id,
      medicationId: amox,
      dose: { amount: 500, unit: 'mg' },
      route: 'oral',
      schedule: { times: [new Date(Date.now() + 10 * 60_000).toISOString()], windowMinutes: 60 },
      priority: 'urgent',
    });
    expect(o.status).toBe(201);
    expect((await api(pharmacist.token, 'POST', `/api/orders/${o.body.id}/verify`)).status).toBe(200);
    return o.body.id as string;
  }

  /** Builds, checks, loads and dispatches a one-dose delivery in C1; waits for arrival when asked. */
  async function deliver(robotId: string, doseSerial: string, waitArrival: boolean) {
    const orderId = await verifiedOrder();
    const d = await api(pharmacist.token, 'POST', '/api/deliveries', { ward: 'W-CARD' });
    expect(d.status).toBe(201);
    const id = d.body.id as string;
    const picked = await api(pharmacist.token, 'POST', `/api/deliveries/${id}/picks`, { orderId, barcode: unit(GTIN_AMOX, doseSerial) });
    expect(picked.status).toBe(201);
    const doseId = (picked.body.doses as { id: string; serial: string }[]).find((x) => x.serial === doseSerial)!.id;
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${id}/check`, {})).status).toBe(200);
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${id}/load`, { robotId, compartments: { C1: [doseId] } })).status).toBe(200);
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${id}/dispatch`)).status).toBe(200);
    if (waitArrival)
      await waitForAsync(async () => (await api(t.adminToken, 'GET', `/api/deliveries/${id}`)).body.state === 'arrived', 30_000, 'delivery arrived');
    return { id, doseId };
  }

  const resolve = (token: string, alarmId: string, body?: unknown, headers?: Record<string, string>) =>
    api(token, 'POST', `/api/alarms/${alarmId}/resolve`, body, headers);

  async function ledgerActions(deliveryId: string): Promise<{ action: string; evidence: Record<string, unknown>; actor: { id: string } }[]> {
    const ds = t.cp.app.get(DataSource);
    return (await ds.getRepository(CustodyEventEntity).find({ where: { deliveryId }, order: { seq: 'ASC' } })) as never;
  }

  // ---- the six ------------------------------------------------------------------------

  it('robot.fatal_error clears when the robot reports without the FATAL error; it cannot be resolved by hand', async () => {
    const { sim, id: robotId } = await robot();
    const m = await api(t.adminToken, 'POST', '/api/missions', {
      stops: [{ nodeId: 'F3-PAED-STATION', actions: [] }],
      priority: 'urgent',
      requiredRobotId: robotId,
    });
    expect(m.status).toBe(201);
    await waitForAsync(
      async () => ['running', 'accepted'].includes((await api(t.adminToken, 'GET', `/api/missions/${m.body.id}`)).body.status),
      10_000,
      'running',
    );
    sim.faults.fatal('drive motor overcurrent');
    const alarm = await raisedLive('robot.fatal_error', robotId);
    expect(alarm.key).toBe(`robot.fatal_error:${robotId}`);
    expect(alarm.title).toMatch(/fatal error/);
    expect(alarm.clears).toMatchObject({ by: 'condition' });
    // a condition type: the system clears it, nobody resolves it
    const refused = await resolve(t.adminToken, alarm.id, { reason: 'looks fine to me' });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toBe('alarm_clears_by_condition');
    expect(refused.body.message).toMatch(/clears by itself when the robot reports a state without a FATAL error/);
    // still FATAL in the next states: stays open
    await new Promise((r) => setTimeout(r, 600));
    expect((await api(t.adminToken, 'GET', `/api/alarms/${alarm.id}`)).body.state).toBe('raised');
    sim.faults.clearFatal();
    const stored = await goneEverywhere(alarm);
    expect(stored.cleared?.reason).toMatch(/no FATAL error/);
  }, 60_000);

  it('mission.order_unacknowledged clears when the robot acknowledges the order after all', async () => {
    const reg = await t.registerDevice({ kind: 'robot', name: 'deaf', manufacturer: 'RawBots', serialNumber: 'DEAF-1' });
    const raw = await connectMqtt(t.mqttUrl, { username: reg.credentials.username, password: reg.credentials.password });
    raws.push(raw);
    const orders: { orderId: string; orderUpdateId: number }[] = [];
    const instant: { actions: { actionType: string }[] }[] = [];
    raw.on('message', (topic, payload) => {
      if (topic.endsWith('/order')) orders.push(JSON.parse(payload.toString()) as { orderId: string; orderUpdateId: number });
      else instant.push(JSON.parse(payload.toString()) as { actions: { actionType: string }[] });
    });
    await raw.subscribeAsync(['uagv/v2/RawBots/DEAF-1/order', 'uagv/v2/RawBots/DEAF-1/instantActions'], { qos: 0 });
    let headerId = 0;
    const state = (orderId = '', orderUpdateId = 0) =>
      JSON.stringify({
        headerId: ++headerId,
        timestamp: new Date().toISOString(),
        version: '2.0.0',
        manufacturer: 'RawBots',
        serialNumber: 'DEAF-1',
        orderId,
        orderUpdateId,
        lastNodeId: 'F0-C55',
        lastNodeSequenceId: 0,
        nodeStates: [],
        edgeStates: [],
        driving: false,
        actionStates: [],
        batteryState: { batteryCharge: 90, charging: false },
        operatingMode: 'AUTOMATIC',
        errors: [],
        safetyState: { eStop: 'NONE', fieldViolation: false },
        agvPosition: { x: 55, y: 20, theta: 0, mapId: 'F0', positionInitialized: true },
      });
    await raw.publishAsync(
      'uagv/v2/RawBots/DEAF-1/connection',
      JSON.stringify({
        headerId: 1,
        timestamp: new Date().toISOString(),
        version: '2.0.0',
        manufacturer: 'RawBots',
        serialNumber: 'DEAF-1',
        connectionState: 'ONLINE',
      }),
      { qos: 1 },
    );
    await raw.publishAsync('uagv/v2/RawBots/DEAF-1/state', state(), { qos: 1 });
    await waitForAsync(async () => (await api(t.adminToken, 'GET', `/api/robots/${reg.device.id}`)).body.battery !== null, 5000, 'raw robot known');
    const m = await api(t.adminToken, 'POST', '/api/missions', {
      stops: [{ nodeId: 'F0-PHARMACY-DOCK', actions: [] }],
      priority: 'urgent',
      requiredRobotId: reg.device.id,
    });
    expect(m.status).toBe(201);
    // the robot hears the order (twice) and never echoes it
    const alarm = await raisedLive('mission.order_unacknowledged', reg.device.id);
    expect(alarm.key).toBe(`mission.order_unacknowledged:${m.body.id}`);
    expect(orders.length).toBeGreaterThanOrEqual(1);
    expect(alarm.message).toContain(orders[0]!.orderId);
    await waitForAsync(async () => (await api(t.adminToken, 'GET', `/api/missions/${m.body.id}`)).body.status === 'failed', 5000, 'mission failed');
    // the order may have reached it all the same: given up, it is told to drop it
    await waitFor(() => instant.some((i) => i.actions.some((x) => x.actionType === 'cancelOrder')), 5000, 'cancelOrder after giving up');
    // the mission's failure is what the alarm announces: still open
    expect((await api(t.adminToken, 'GET', `/api/alarms/${alarm.id}`)).body.state).toBe('raised');
    // late, the robot's state echoes the order: it did get it
    await raw.publishAsync('uagv/v2/RawBots/DEAF-1/state', state(orders[0]!.orderId, orders[0]!.orderUpdateId), { qos: 1 });
    const stored = await goneEverywhere(alarm);
    expect(stored.cleared?.reason).toMatch(/acknowledged order/);
  }, 60_000);

  it('custody.robot_lost stays while the robot comes back (the doses are still aboard a failed delivery) and clears when a courier takes them', async () => {
    const { sim, id: robotId } = await robot();
    const { id } = await deliver(robotId, 'LOST-ROBOT-1', false);
    await waitForAsync(async () => (await api(t.adminToken, 'GET', `/api/deliveries/${id}`)).body.state === 'in_transit', 10_000, 'in transit');
    await sim.faults.disconnect(4);
    const alarm = await raisedLive('custody.robot_lost', id, 4000);
    expect(alarm.ward).toBe('W-CARD');
    expect(alarm.key).toBe(`custody.robot_lost:${id}`);
    // the robot reconnects: the delivery has failed, the doses are not on the ward, the alarm stays
    await waitForAsync(async () => (await api(t.adminToken, 'GET', `/api/robots/${robotId}`)).body.connection === 'ONLINE', 15_000, 'robot back');
    await new Promise((r) => setTimeout(r, 500));
    expect((await api(t.adminToken, 'GET', `/api/alarms/${alarm.id}`)).body.state).not.toBe('cleared');
    const esc = await api(pharmacist.token, 'POST', `/api/deliveries/${id}/escalate`, { courier: 'porter-17', reason: 'robot lost on the way' });
    expect(esc.status).toBe(200);
    const stored = await goneEverywhere(alarm, 15_000);
    expect(stored.cleared?.reason).toMatch(/courier/);
  }, 60_000);

  it('custody.compartment_forced is resolved by a pharmacist with a reason, audited on the custody ledger; refusals name why', async () => {
    const { sim, id: robotId } = await robot();
    const { id } = await deliver(robotId, 'FORCED-1', true);
    sim.faults.forceCompartment('C1');
    const alarm = await raisedLive('custody.compartment_forced', id);
    expect(alarm.key).toBe(`custody.compartment_forced:${id}:C1`);
    expect(alarm.clears).toMatchObject({ by: 'resolution', roles: expect.arrayContaining(['pharmacist']) });
    // a nurse of the ward sees it but may not close it
    const nurse = await resolve(nurseCard.token, alarm.id, { reason: 'closed the door' });
    expect(nurse.status).toBe(403);
    expect(nurse.body.error).toBe('role_forbidden');
    // a reason is required, non-empty and bounded
    const none = await resolve(pharmacist.token, alarm.id, {});
    expect(none.status).toBe(400);
    expect(none.body.field).toBe('reason');
    const blank = await resolve(pharmacist.token, alarm.id, { reason: '   ' });
    expect(blank.status).toBe(400);
    expect(blank.body.field).toBe('reason');
    const long = await resolve(pharmacist.token, alarm.id, { reason: 'x'.repeat(501) });
    expect(long.status).toBe(400);
    expect(long.body.field).toBe('reason');
    // resolved once, with an Idempotency-Key: a retry with the key replays the outcome
    const key = { 'idempotency-key': `resolve-${alarm.id}` };
    const ok = await resolve(pharmacist.token, alarm.id, { reason: 'inspected: seal intact, doses to be destroyed' }, key);
    expect(ok.status).toBe(200);
    expect(ok.body.state).toBe('cleared');
    expect(ok.body.resolution).toMatchObject({ by: pharmacist.username, role: 'pharmacist', reason: 'inspected: seal intact, doses to be destroyed' });
    const replay = await resolve(pharmacist.token, alarm.id, { reason: 'inspected: seal intact, doses to be destroyed' }, key);
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(alarm.id);
    // without the key, closing it again is a conflict
    const again = await resolve(pharmacist.token, alarm.id, { reason: 'again' });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('alarm_already_cleared');
    const stored = await goneEverywhere(alarm);
    expect(stored.resolution?.by).toBe(pharmacist.username);
    // custody hears the resolution and records it on the delivery's chain
    await waitForAsync(async () => (await ledgerActions(id)).some((e) => e.action === 'alarm_resolved'), 5000, 'resolution on the custody record');
    const audited = (await ledgerActions(id)).filter((e) => e.action === 'alarm_resolved');
    expect(audited).toHaveLength(1);
    expect(audited[0]!.actor.id).toBe(pharmacist.username);
    expect(audited[0]!.evidence).toMatchObject({ alarmId: alarm.id, reason: 'inspected: seal intact, doses to be destroyed' });
    expect((await api(t.adminToken, 'GET', '/api/audit/verify')).body).toMatchObject({ ok: true });
  }, 60_000);

  it('custody.receipt_discrepancy is resolved by a pharmacist', async () => {
    const { id: robotId } = await robot();
    const { id } = await deliver(robotId, 'RCPT-1', true);
    expect((await api(nurseCard.token, 'POST', `/api/deliveries/${id}/unlock`, { compartmentId: 'C1' })).status).toBe(200);
    // a unit that is not part of the delivery
    const extra = await api(nurseCard.token, 'POST', `/api/deliveries/${id}/receipt`, { barcode: unit(GTIN_AMOX, 'NOT-OURS-1') });
    expect(extra.status).toBe(422);
    const alarm = await raisedLive('custody.receipt_discrepancy', id);
    expect(alarm.message).toMatch(/not part of it/);
    // the nurse closes the receipt without scanning the real dose: still the same alarm, repeated
    expect((await api(nurseCard.token, 'POST', `/api/deliveries/${id}/receipt/complete`)).status).toBe(200);
    await waitFor(() => liveAlarms('repeated').some((a) => a.id === alarm.id), 5000, 'repeated');
    const ok = await resolve(pharmacist.token, alarm.id, { reason: 'extra unit returned to pharmacy; missing dose found in C1' });
    expect(ok.status).toBe(200);
    await goneEverywhere(alarm);
    await waitForAsync(async () => (await ledgerActions(id)).some((e) => e.action === 'alarm_resolved'), 5000, 'resolution on the custody record');
  }, 60_000);

  it('custody.doses_lost is resolved by a pharmacist', async () => {
    const { id: robotId } = await robot();
    const { id } = await deliver(robotId, 'LOST-1', true);
    // nobody comes: after DELIVERY_LOST_MS its dose is declared lost
    const alarm = await raisedLive('custody.doses_lost', id, 20_000);
    expect(alarm.title).toMatch(/doses lost/);
    const ok = await resolve(pharmacist.token, alarm.id, { reason: 'dose found in the ward fridge, returned to pharmacy' });
    expect(ok.status).toBe(200);
    expect(ok.body.cleared.reason).toMatch(/^resolved by /);
    await goneEverywhere(alarm);
  }, 60_000);
});
