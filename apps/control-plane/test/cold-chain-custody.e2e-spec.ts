/**
 * Cold chain per dose, end to end: a refrigerated dose is picked from pharmacy fridge F,
 * carried in a robot's refrigerated compartment and received into ward fridge W, each a real
 * device (fridge loggers over the v1 protocol on raw MQTT clients, a simulated VDA 5050 robot
 * reporting its compartment temperature). An excursion in F (before the pick), in the
 * compartment (in transit) and in W (after receipt) quarantines exactly the doses that were
 * inside during its window, wherever they are by then; the bedside refuses them; the
 * pharmacist's release or destruction is on the custody record. Durations are judged on the
 * server's clock with a short cold-chain profile (1 s to confirm, 5 s to quarantine).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { deviceTopic } from '#contracts';
import { connectMqtt, newGsrn, orderBody, patientBody, unitBarcode, waitForAsync, withCheck, wristband } from '#testing';
import type { RobotSimulator } from '../../../simulators/robot/index.js';
import { startRobot } from './support/robot.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const GTIN_FILGRASTIM = withCheck('0950600013501');
const GTIN_AMOX = withCheck('0950600013502');
const GTIN_INSULIN = withCheck('0950600013503');
/** what the nurse records as given: the ordered dose (orderBody, 300 mg oral) */
const GIVEN_300_MG = { amount: 300, unit: 'mg', route: 'oral' };

describe('cold chain per dose: every dose inside a storage during an excursion, and no other', () => {
  let t: TestApp;
  let pharmacist: { token: string; username: string };
  let nurse: { token: string; username: string };
  let filgrastim: string;
  let amox: string;
  let insulin: string;
  let patient: { id: string; gsrn: string };
  const sims: RobotSimulator[] = [];
  const clients: MqttClient[] = [];
  /** fridge id → the product temperature its logger reports every 250 ms */
  const temperature = new Map<string, number>();
  const seqs = new Map<string, number>();
  let feeder: NodeJS.Timeout | undefined;
  let F: string;
  let W: string;
  let serial = 0;

  const api = (token: string, method: string, path: string, body?: unknown) => t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });

  async function fridge(name: string, ward?: string, wantedId?: string): Promise<string> {
    const reg = await t.registerDevice({
      kind: 'sensor',
      name,
      ...(ward ? { ward } : {}),
      ...(wantedId ? { id: wantedId } : {}),
      location: 'medication fridge',
    });
    const id = reg.device.id as string;
    const client = await connectMqtt(t.mqttUrl, { username: id, password: reg.credentials.password });
    clients.push(client);
    temperature.set(id, 4.5);
    return id;
  }

  /** Every logger reports its current product temperature, stamped with the wall clock. */
  function feed(): void {
    clients.forEach((client, i) => {
      const id = [...temperature.keys()][i]!;
      const seq = (seqs.get(id) ?? 0) + 1;
      seqs.set(id, seq);
      const msg = { v: 1, deviceId: id, seq, ts: new Date().toISOString(), readings: [{ channel: 'product', temperatureC: temperature.get(id)! }] };
      client.publish(deviceTopic('sensor', id, 'telemetry'), JSON.stringify(msg), { qos: 1 });
    });
  }

  beforeAll(async () => {
    t = await startTestApp({
      ORDER_ACK_TIMEOUT_MS: '400',
      DISPATCH_INTERVAL_MS: '150',
      CUSTODY_TICK_MS: '200',
      COLD_CHAIN_MIN_EXCURSION_S: '1',
      COLD_CHAIN_QUARANTINE_AFTER_S: '5',
      COLD_CHAIN_RECOVER_S: '1',
    });
    pharmacist = await t.userToken('pharmacist');
    nurse = await t.userToken('nurse', ['W-CARD']);
    const med = (gtin: string, name: string, refrigerated: boolean) =>
      api(pharmacist.token, 'POST', '/api/medications', { gtin, name, strength: '300 mcg', route: 'oral', refrigerated, torAllowanceMinutes: 60 });
    filgrastim = (await med(GTIN_FILGRASTIM, 'Filgrastim', true)).body.id;
    insulin = (
      await api(pharmacist.token, 'POST', '/api/medications', {
        gtin: GTIN_INSULIN,
        name: 'Insulin',
        strength: '10 units',
        route: 'oral',
        refrigerated: true,
        torAllowanceMinutes: 0,
      })
    ).body.id;
    amox = (await med(GTIN_AMOX, 'Amoxicillin', false)).body.id;
    const g = newGsrn();
    patient = { id: (await api(pharmacist.token, 'POST', '/api/patients', patientBody(g, 'W-CARD'))).body.id, gsrn: g };
    // an id with `_` and `.`: location queries must match it literally
    F = await fridge('Pharmacy fridge F', undefined, `ph_fridge.F-${Date.now() % 100000}`);
    W = await fridge('Cardiology med fridge W', 'W-CARD');
    feeder = setInterval(feed, 250);
  });

  afterAll(async () => {
    clearInterval(feeder);
    await Promise.all(sims.map((s) => s.stop().catch(() => undefined)));
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await t?.close();
  });

  async function order(medicationId: string): Promise<string> {
    // entered at the order desk (an admin), verified by the pharmacist: separation of duties
    const o = await api(t.adminToken, 'POST', '/api/orders', orderBody(patient.id, medicationId, { amount: 300, inMinutes: 10, priority: 'urgent' }));
    expect(o.status).toBe(201);
    expect((await api(pharmacist.token, 'POST', `/api/orders/${o.body.id}/verify`)).status).toBe(200);
    return o.body.id as string;
  }

  async function pick(deliveryId: string, medicationId: string, gtin: string, storageId?: string): Promise<{ doseId: string; barcode: string }> {
    const barcode = unitBarcode(gtin, `CC-${++serial}`);
    const r = await api(pharmacist.token, 'POST', `/api/deliveries/${deliveryId}/picks`, {
      orderId: await order(medicationId),
      barcode,
      ...(storageId ? { storageId } : {}),
    });
    expect(r.status).toBe(201);
    return { doseId: (r.body.doses as { id: string; serial: string }[]).find((x) => barcode.endsWith(x.serial))!.id, barcode };
  }

  const dose = async (id: string) => (await api(t.adminToken, 'GET', `/api/doses/${id}/locations`)).body;
  const stateOf = async (id: string) => (await dose(id)).dose.state as string;
  const storage = async (id: string) =>
    ((await api(pharmacist.token, 'GET', '/api/cold-chain/storages')).body as { storageId: string; status: string; excursionId: string | null }[]).find(
      (s) => s.storageId === id,
    );

  /** Holds a storage out of range until it is quarantined; then back in range until its window has closed. */
  async function excursion(storageId: string, warm: (on: boolean) => void): Promise<string> {
    warm(true);
    const q = await waitForAsync(
      async () => ((await storage(storageId))?.status === 'quarantine' ? storage(storageId) : undefined),
      20_000,
      `${storageId} quarantined`,
    );
    warm(false);
    const excursionId = q!.excursionId!;
    await waitForAsync(
      async () =>
        ((await api(pharmacist.token, 'GET', '/api/cold-chain/excursions')).body as { id: string; window: { end: string | null } }[]).find(
          (e) => e.id === excursionId,
        )?.window.end,
      20_000,
      'window closed',
    );
    return excursionId;
  }

  /** Custody has answered the quarantine: the excursion counts the doses it holds. */
  async function counted(excursionId: string, expectedDoses: number): Promise<void> {
    await waitForAsync(
      async () =>
        ((await api(pharmacist.token, 'GET', '/api/cold-chain/excursions')).body as { id: string; dosesQuarantined: number | null }[]).find(
          (e) => e.id === excursionId,
        )?.dosesQuarantined === expectedDoses,
      10_000,
      `${expectedDoses} doses counted on the excursion`,
    );
  }

  /** The pharmacist returns the storage to service (the doses keep their own quarantine). */
  async function decide(excursionId: string): Promise<void> {
    expect((await api(pharmacist.token, 'POST', `/api/cold-chain/excursions/${excursionId}/decision`, { disposition: 'released' })).status).toBe(200);
  }

  async function robotAtDock(): Promise<{ sim: RobotSimulator; id: string }> {
    const r = await startRobot(t.baseUrl, t.mqttUrl, t.adminToken, `COLD-${++serial}`);
    sims.push(r.sim);
    return r;
  }

  async function sendAndArrive(deliveryId: string, robotId: string, compartments: Record<string, string[]>): Promise<void> {
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${deliveryId}/check`, {})).status).toBe(200);
    const load = await api(pharmacist.token, 'POST', `/api/deliveries/${deliveryId}/load`, { robotId, compartments });
    expect(load.status).toBe(200);
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${deliveryId}/dispatch`)).status).toBe(200);
  }

  const arrived = (deliveryId: string) =>
    waitForAsync(async () => (await api(t.adminToken, 'GET', `/api/deliveries/${deliveryId}`)).body.state === 'arrived', 30_000, 'delivery arrived');

  let inCompartment: { doseId: string; barcode: string };
  let shelfDose: { doseId: string; barcode: string };
  let shelfRobot: string;

  it('an excursion of fridge F quarantines the dose picked from it during the window, not those picked before', async () => {
    const d = (await api(pharmacist.token, 'POST', '/api/deliveries', { ward: 'W-CARD' })).body.id as string;
    const before = await pick(d, filgrastim, GTIN_FILGRASTIM, F);
    // a refrigerated drug is picked from a named fridge, or the pharmacy's only one
    const byDefault = await pick(d, filgrastim, GTIN_FILGRASTIM);
    expect((await dose(byDefault.doseId)).intervals.map((i: { location: string; from: string | null }) => [i.location, i.from === null])).toEqual([
      [`storage:${F}`, true],
      ['pharmacy', false],
    ]);

    const orderId = await order(filgrastim);
    temperature.set(F, 12.4);
    await waitForAsync(async () => (await storage(F))?.status === 'excursion', 20_000, 'F in excursion');
    // out of range but not yet quarantined: the pick is allowed, and the window will reach the dose
    const barcode = unitBarcode(GTIN_FILGRASTIM, `CC-${++serial}`);
    const during = await api(pharmacist.token, 'POST', `/api/deliveries/${d}/picks`, { orderId, barcode, storageId: F });
    expect(during.status).toBe(201);
    const duringId = (during.body.doses as { id: string; serial: string }[]).find((x) => barcode.endsWith(x.serial))!.id;
    const excursionId = await excursion(F, (on) => {
      temperature.set(F, on ? 12.4 : 4.5);
    });
    await counted(excursionId, 1);
    expect(await stateOf(duringId)).toBe('quarantined');
    expect(await stateOf(before.doseId)).toBe('picked');
    expect(await stateOf(byDefault.doseId)).toBe('picked');
    await decide(excursionId);
  });

  it('a compartment excursion in transit quarantines the dose in it, not the one in the next compartment; the bedside refuses it', async () => {
    const { sim, id: robotId } = await robotAtDock();
    const d = (await api(pharmacist.token, 'POST', '/api/deliveries', { ward: 'W-CARD' })).body.id as string;
    inCompartment = await pick(d, filgrastim, GTIN_FILGRASTIM, F);
    shelfDose = await pick(d, amox, GTIN_AMOX);
    shelfRobot = robotId;
    await sendAndArrive(d, robotId, { C3: [inCompartment.doseId], C1: [shelfDose.doseId] });
    // on its way (or arrived, still aboard) before the compartment warms
    await waitForAsync(async () => ['in_transit', 'arrived'].includes(await stateOf(inCompartment.doseId)), 20_000, 'dose departed');
    const excursionId = await excursion(`${robotId}/C3`, (on) => sim.model.compartments.setTemperature('C3', on ? 12.4 : null));
    await counted(excursionId, 1);
    expect(await stateOf(inCompartment.doseId)).toBe('quarantined');
    expect(await stateOf(shelfDose.doseId)).not.toBe('quarantined');
    await decide(excursionId);
    const history = (await dose(inCompartment.doseId)).intervals as { location: string; refrigerated: boolean }[];
    expect(history.map((i) => i.location)).toEqual([`storage:${F}`, 'pharmacy', `robot:${robotId}:C3`]);
    expect(history[2]!.refrigerated).toBe(true);

    await arrived(d);
    for (const c of ['C1', 'C3']) expect((await api(nurse.token, 'POST', `/api/deliveries/${d}/unlock`, { compartmentId: c })).status).toBe(200);
    // the quarantined dose is taken out into the ward fridge, still quarantined; the other into the medication room
    expect((await api(nurse.token, 'POST', `/api/deliveries/${d}/receipt`, { barcode: inCompartment.barcode })).status).toBe(200);
    expect((await api(nurse.token, 'POST', `/api/deliveries/${d}/receipt`, { barcode: shelfDose.barcode })).status).toBe(200);
    expect((await api(nurse.token, 'POST', `/api/deliveries/${d}/receipt/complete`)).status).toBe(200);
    expect(await dose(inCompartment.doseId)).toMatchObject({ dose: { state: 'quarantined', location: `storage:${W}` } });
    expect(await dose(shelfDose.doseId)).toMatchObject({ dose: { state: 'received', location: 'ward:W-CARD' } });

    const given = await api(nurse.token, 'POST', '/api/administrations', {
      wristband: wristband(patient.gsrn),
      dose: inCompartment.barcode,
      outcome: 'given',
      given: GIVEN_300_MG,
    });
    expect(given.status).toBe(422);
    expect(given.body.error).toBe('cold_chain_quarantine');
  });

  it('a ward-fridge excursion after receipt quarantines what is inside W; a pharmacist releases one and destroys another, on the record', async () => {
    const { id: robotId } = await robotAtDock();
    const d = (await api(pharmacist.token, 'POST', '/api/deliveries', { ward: 'W-CARD' })).body.id as string;
    const received = await pick(d, filgrastim, GTIN_FILGRASTIM, F);
    const noAllowance = await pick(d, insulin, GTIN_INSULIN, F);
    await sendAndArrive(d, robotId, { C3: [received.doseId, noAllowance.doseId] });
    await arrived(d);
    expect((await api(nurse.token, 'POST', `/api/deliveries/${d}/unlock`, { compartmentId: 'C3' })).status).toBe(200);
    // a refrigerated dose goes into the ward's fridge (its only one, when not named)
    expect((await api(nurse.token, 'POST', `/api/deliveries/${d}/receipt`, { barcode: received.barcode })).status).toBe(200);
    expect((await api(nurse.token, 'POST', `/api/deliveries/${d}/receipt`, { barcode: noAllowance.barcode, storageId: W })).status).toBe(200);
    expect((await api(nurse.token, 'POST', `/api/deliveries/${d}/receipt/complete`)).status).toBe(200);
    expect(await dose(received.doseId)).toMatchObject({ dose: { state: 'received', location: `storage:${W}` } });

    // insulin allows no time out of the cold, and it spent seconds on the pharmacy bench: the bedside quarantines it
    const tooLong = await api(nurse.token, 'POST', '/api/administrations', {
      wristband: wristband(patient.gsrn),
      dose: noAllowance.barcode,
      outcome: 'given',
      given: GIVEN_300_MG,
    });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.error).toBe('cold_chain_time_out_exceeded');
    expect(await dose(noAllowance.doseId)).toMatchObject({ dose: { state: 'quarantined' }, coldChain: { allowanceMinutes: 0 } });
    expect((await dose(noAllowance.doseId)).coldChain.minutesOutOfRefrigeration).toBeGreaterThan(0);

    const excursionId = await excursion(W, (on) => {
      temperature.set(W, on ? 12.4 : 4.5);
    });
    // the doses already quarantined in W count; the amoxicillin in the medication room is untouched
    await counted(excursionId, 3);
    expect(await stateOf(received.doseId)).toBe('quarantined');
    expect(await stateOf(shelfDose.doseId)).toBe('received');
    await decide(excursionId);

    const inW = await api(pharmacist.token, 'GET', `/api/locations/doses?location=storage:${W}&from=${new Date(Date.now() - 3600_000).toISOString()}`);
    expect(inW.status).toBe(200);
    expect((inW.body.doses as { dose: { id: string } }[]).map((x) => x.dose.id).sort()).toEqual(
      [inCompartment.doseId, received.doseId, noAllowance.doseId].sort(),
    );
    const inF = await api(pharmacist.token, 'GET', `/api/locations/doses?location=storage:${F}&from=${new Date(Date.now() - 3600_000).toISOString()}`);
    expect((inF.body.doses as { dose: { id: string } }[]).map((x) => x.dose.id)).toEqual(expect.arrayContaining([received.doseId, inCompartment.doseId]));

    const refused = await api(nurse.token, 'POST', '/api/administrations', {
      wristband: wristband(patient.gsrn),
      dose: received.barcode,
      outcome: 'given',
      given: GIVEN_300_MG,
    });
    expect(refused.body.error).toBe('cold_chain_quarantine');

    // only a pharmacist reviews; a reason is required
    expect((await api(nurse.token, 'POST', `/api/doses/${received.doseId}/release`, { reason: 'logger fault' })).status).toBe(403);
    expect((await api(pharmacist.token, 'POST', `/api/doses/${received.doseId}/release`, {})).status).toBe(400);
    const released = await api(pharmacist.token, 'POST', `/api/doses/${received.doseId}/release`, { reason: 'stability data allow 2 h at 25 °C' });
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ state: 'received', location: `storage:${W}` });
    const destroyed = await api(pharmacist.token, 'POST', `/api/doses/${inCompartment.doseId}/destroy`, { reason: 'two excursions' });
    expect(destroyed.status).toBe(200);
    expect(destroyed.body.state).toBe('wasted');
    expect((await api(pharmacist.token, 'POST', `/api/doses/${inCompartment.doseId}/release`, { reason: 'again' })).body.error).toBe('dose_not_quarantined');
    // a refused release is on the record, found by its dose
    const refusedRelease = (await api(t.adminToken, 'GET', `/api/audit/events?doseId=${inCompartment.doseId}&action=release_refused`)).body.events;
    expect(refusedRelease).toMatchObject([{ outcome: 'refused', code: 'dose_not_quarantined', doseId: inCompartment.doseId, evidence: { reason: 'again' } }]);

    const timeline = async (id: string) =>
      (await api(t.adminToken, 'GET', `/api/doses/${id}/timeline`)).body.events as { action: string; actor: { id: string }; evidence: any }[];
    expect((await timeline(received.doseId)).find((e) => e.action === 'quarantine_released')).toMatchObject({
      actor: { id: pharmacist.username },
      evidence: { reason: 'stability data allow 2 h at 25 °C', quarantine: { excursionId } },
    });
    expect((await timeline(inCompartment.doseId)).find((e) => e.action === 'quarantine_destroyed')).toMatchObject({ actor: { id: pharmacist.username } });

    // released, it is given at the bedside, where its location history ends
    const given = await api(nurse.token, 'POST', '/api/administrations', {
      wristband: wristband(patient.gsrn),
      dose: received.barcode,
      outcome: 'given',
      given: GIVEN_300_MG,
    });
    expect(given.status).toBe(201);
    const last = (await dose(received.doseId)).intervals.at(-1);
    expect(last).toMatchObject({ location: `bedside:${patient.id}` });
    expect(last.to).not.toBeNull();
    // an unused dose goes back to the pharmacy, its last place
    expect((await api(nurse.token, 'POST', `/api/doses/${shelfDose.doseId}/return`, { reason: 'patient discharged' })).status).toBe(403);
    const back = await api(pharmacist.token, 'POST', `/api/doses/${shelfDose.doseId}/return`, { reason: 'patient discharged' });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ state: 'returned', location: 'pharmacy' });
    expect((await dose(shelfDose.doseId)).intervals.map((i: { location: string }) => i.location)).toEqual([
      'pharmacy',
      `robot:${shelfRobot}:C1`,
      'ward:W-CARD',
      'pharmacy',
    ]);
    expect((await api(pharmacist.token, 'POST', `/api/doses/${shelfDose.doseId}/return`, { reason: 'again' })).body.error).toBe('dose_not_returnable');
    expect((await api(t.adminToken, 'GET', '/api/audit/verify')).body.ok).toBe(true);
  });

  it('refuses a pick from a quarantined fridge, a pick naming a storage that is not a fridge, and a bad location query', async () => {
    const d = (await api(pharmacist.token, 'POST', '/api/deliveries', { ward: 'W-CARD' })).body.id as string;
    const room = (await t.registerDevice({ kind: 'sensor', name: 'Pharmacy room climate', location: 'dispensary' })).device.id as string;
    for (const [storageId, why] of [
      [room, /storageId: .* is not a registered fridge/],
      [W, /storageId: fridge .* is not in the pharmacy/],
      ['no-such-fridge', /storageId: .* is not a registered fridge/],
    ] as const) {
      const r = await api(pharmacist.token, 'POST', `/api/deliveries/${d}/picks`, {
        orderId: await order(filgrastim),
        barcode: unitBarcode(GTIN_FILGRASTIM, `CC-${++serial}`),
        storageId,
      });
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(why);
    }
    temperature.set(F, 12.4);
    await waitForAsync(async () => (await storage(F))?.status === 'quarantine', 20_000, 'F quarantined');
    const r = await api(pharmacist.token, 'POST', `/api/deliveries/${d}/picks`, {
      orderId: await order(filgrastim),
      barcode: unitBarcode(GTIN_FILGRASTIM, `CC-${++serial}`),
    });
    expect(r.status).toBe(422);
    expect(r.body.error).toBe('storage_quarantined');
    temperature.set(F, 4.5);
    for (const [query, field] of [
      ['location=fridge42&from=2026-01-01T00:00:00Z', /location/],
      [`location=storage:${F}&from=yesterday`, /from/],
      [`location=storage:${F}&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`, /to/],
    ] as const) {
      const bad = await api(pharmacist.token, 'GET', `/api/locations/doses?${query}`);
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(field);
    }
  });
});
