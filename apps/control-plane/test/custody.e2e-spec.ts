/**
 * Closed-loop custody end to end with a simulated robot: order → verify → pick (GS1 scans)
 * → check → load → dispatch → robot arrives → a nurse of that ward unlocks → receipt scans
 * → bedside five rights → administered, with a valid hash chain; and the negative paths,
 * each with a specific error and an audit entry.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { validateEpcisDocument, validateFhirBundle } from '#domain';
import { CustodyEventEntity } from '#persistence';
import { NEXT_YEAR, newGsrn, orderBody, patientBody, unitBarcode, waitForAsync, withCheck, wristband } from '#testing';
import { withoutAppendOnlyGuard } from './support/append-only.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import type { RobotSimulator } from '../../../simulators/robot/index.js';
import { startRobot } from './support/robot.js';
import { ColdChainService } from '../src/cold-chain/cold-chain.service.js';

const GTIN_AMOX = withCheck('0950600013435');
const GTIN_MORPH = withCheck('0950600013436');
const gsrn = newGsrn;
/** what the nurse records as given: the ordered dose (orderBody, 500 mg oral) */
const GIVEN_500_MG = { amount: 500, unit: 'mg', route: 'oral' };
const unit = (gtin: string, serial: string, expiry?: string, lot?: string) =>
  unitBarcode(gtin, serial, { ...(expiry ? { expiry } : {}), ...(lot ? { lot } : {}) });

describe('closed-loop custody', () => {
  let t: TestApp;
  let pharmacist: { token: string; username: string; password: string };
  let pharmacist2: { token: string; username: string; password: string };
  let nurseCard: { token: string; username: string; id: string };
  let nurseSurg: { token: string };
  let amox: string;
  const sims: RobotSimulator[] = [];
  let serial = 0;

  beforeAll(async () => {
    t = await startTestApp({
      ORDER_ACK_TIMEOUT_MS: '400',
      DISPATCH_INTERVAL_MS: '150',
      ROBOT_OFFLINE_GRACE_MS: '800',
      CUSTODY_TICK_MS: '200',
      UNLOCK_CONFIRM_TIMEOUT_MS: '1500',
    });
    pharmacist = await t.userToken('pharmacist');
    pharmacist2 = await t.userToken('pharmacist');
    nurseCard = await t.userToken('nurse', ['W-CARD']);
    nurseSurg = await t.userToken('nurse', ['W-SURG']);
    amox = (
      await t.api('POST', '/api/medications', { token: pharmacist.token, body: { gtin: GTIN_AMOX, name: 'Amoxicillin', strength: '500 mg', route: 'oral' } })
    ).body.id;
  });
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.stop().catch(() => undefined)));
  });
  afterAll(async () => {
    await t?.close();
  });

  const api = (token: string, method: string, path: string, body?: unknown) => t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });

  async function robot(): Promise<{ sim: RobotSimulator; id: string }> {
    const r = await startRobot(t.baseUrl, t.mqttUrl, t.adminToken, `CUST-${++serial}`);
    sims.push(r.sim);
    return r;
  }

  async function patient(ward = 'W-CARD') {
    const g = gsrn();
    const r = await api(pharmacist.token, 'POST', '/api/patients', patientBody(g, ward));
    expect(r.status).toBe(201);
    return { id: r.body.id as string, gsrn: g };
  }

  async function verifiedOrder(patientId: string, medicationId = amox) {
    // entered at the order desk (an admin), verified by the pharmacist: separation of duties
    const o = await api(t.adminToken, 'POST', '/api/orders', orderBody(patientId, medicationId, { inMinutes: 10, priority: 'urgent' }));
    expect(o.status).toBe(201);
    const v = await api(pharmacist.token, 'POST', `/api/orders/${o.body.id}/verify`);
    expect(v.status).toBe(200);
    return o.body.id as string;
  }

  /** Builds, checks, loads and dispatches a delivery of the given picks; returns it once arrived. */
  async function deliver(robotId: string, picks: { orderId: string; barcode: string; compartment: string }[], ward = 'W-CARD', waitArrival = true) {
    const d = await api(pharmacist.token, 'POST', '/api/deliveries', { ward });
    expect(d.status).toBe(201);
    const id = d.body.id as string;
    const doseIds: Record<string, string[]> = {};
    for (const p of picks) {
      const r = await api(pharmacist.token, 'POST', `/api/deliveries/${id}/picks`, { orderId: p.orderId, barcode: p.barcode });
      expect(r.status).toBe(201);
      const picked = (r.body.doses as { id: string; serial: string }[]).find((x) => p.barcode.endsWith(x.serial))!;
      (doseIds[p.compartment] ??= []).push(picked.id);
    }
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${id}/check`, {})).status).toBe(200);
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${id}/load`, { robotId, compartments: doseIds })).status).toBe(200);
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${id}/dispatch`)).status).toBe(200);
    if (waitArrival)
      await waitForAsync(async () => (await api(t.adminToken, 'GET', `/api/deliveries/${id}`)).body.state === 'arrived', 30_000, 'delivery arrived');
    return { id, doseIds };
  }

  const events = async (doseId: string) =>
    ((await api(t.adminToken, 'GET', `/api/doses/${doseId}/timeline`)).body.events as { action: string; toState: string | null }[]).map((e) => e.action);

  it('traces a dose from verification to the bedside, every step on a valid hash chain', async () => {
    const p = await patient();
    const orderId = await verifiedOrder(p.id);
    const { id: robotId } = await robot();
    const { id: deliveryId, doseIds } = await deliver(robotId, [{ orderId, barcode: unit(GTIN_AMOX, 'S-1001'), compartment: 'C1' }]);
    const doseId = doseIds['C1']![0]!;
    // a nurse of another ward may not open it
    const wrongWard = await api(nurseSurg.token, 'POST', `/api/deliveries/${deliveryId}/unlock`, { compartmentId: 'C1' });
    expect(wrongWard.status).toBe(403);
    expect(wrongWard.body.error).toBe('ward_forbidden');
    expect(JSON.stringify(wrongWard.body)).not.toContain(p.id);
    // the nurse of the ward may, and the robot unlocks exactly that compartment
    const unlocked = await api(nurseCard.token, 'POST', `/api/deliveries/${deliveryId}/unlock`, { compartmentId: 'C1' });
    expect(unlocked.status).toBe(200);
    await waitForAsync(
      async () => {
        const r = (await api(t.adminToken, 'GET', `/api/robots/${robotId}`)).body;
        return (
          r.compartments.find((c: { compartmentId: string }) => c.compartmentId === 'C1')?.lock === 'UNLOCKED' &&
          r.compartments.find((c: { compartmentId: string }) => c.compartmentId === 'C2')?.lock === 'LOCKED'
        );
      },
      5000,
      'C1 unlocked on the robot, C2 still locked',
    );
    expect((await api(nurseCard.token, 'POST', `/api/deliveries/${deliveryId}/receipt`, { barcode: unit(GTIN_AMOX, 'S-1001') })).status).toBe(200);
    const done = await api(nurseCard.token, 'POST', `/api/deliveries/${deliveryId}/receipt/complete`);
    expect(done.body.state).toBe('completed');
    // the robot is released from its wait and its mission ends
    const missionId = done.body.missionId as string;
    await waitForAsync(async () => (await api(t.adminToken, 'GET', `/api/missions/${missionId}`)).body.status === 'finished', 10_000, 'mission finished');
    // bedside: five rights pass → administered
    const given = await api(nurseCard.token, 'POST', '/api/administrations', {
      wristband: wristband(p.gsrn),
      dose: unit(GTIN_AMOX, 'S-1001'),
      outcome: 'given',
      given: GIVEN_500_MG,
    });
    expect(given.status).toBe(201);
    expect(given.body.dose.state).toBe('administered');
    expect(given.body.rights.every((r: { pass: boolean }) => r.pass)).toBe(true);
    const timeline = await events(doseId);
    expect(timeline).toEqual(
      expect.arrayContaining([
        'order_received',
        'order_verified',
        'dose_queued',
        'picked',
        'checked',
        'loaded',
        // in transit once the robot departs, not at dispatch
        'departed',
        'arrived',
        'received',
        'administered',
      ]),
    );
    // every event of the dose's story names a place, and the opening of its compartment (recorded
    // once, on the delivery) is on the dose's own timeline with who opened it
    const full = (await api(t.adminToken, 'GET', `/api/doses/${doseId}/timeline`)).body.events as {
      action: string;
      location: string | null;
      actor: { id: string };
    }[];
    expect(full.filter((e) => !e.location).map((e) => e.action)).toEqual([]);
    expect(full.find((e) => e.action === 'order_verified')?.location).toBe('pharmacy');
    expect(full.find((e) => e.action === 'compartment_unlocked')).toMatchObject({ location: `robot:${robotId}:C1`, actor: { id: nurseCard.username } });
    const verify = await api(t.adminToken, 'GET', '/api/audit/verify');
    expect(verify.body).toMatchObject({ ok: true });
    expect(verify.body.events).toBeGreaterThanOrEqual(10);
    // exports: FHIR R4 with standard status codes, and GS1 EPCIS 2.0 events for the chain
    const fhir = (await api(t.adminToken, 'GET', `/api/doses/${doseId}/fhir`)).body;
    expect(validateFhirBundle(fhir)).toEqual([]);
    const types = (fhir.entry as { resource: { resourceType: string; status?: string } }[]).map((e) => e.resource);
    expect(types.find((r) => r.resourceType === 'MedicationAdministration')?.status).toBe('completed');
    expect(types.find((r) => r.resourceType === 'MedicationDispense')?.status).toBe('completed');
    expect(types.some((r) => r.resourceType === 'Task')).toBe(true);
    const epcis = (await api(t.adminToken, 'GET', `/api/doses/${doseId}/epcis`)).body;
    expect(validateEpcisDocument(epcis)).toEqual([]);
    expect((epcis.epcisBody.eventList as { bizStep: string }[]).map((e) => e.bizStep)).toEqual(expect.arrayContaining(['picking', 'loading', 'receiving']));
    expect(validateFhirBundle((await api(t.adminToken, 'GET', `/api/deliveries/${deliveryId}/fhir`)).body)).toEqual([]);
    expect(validateEpcisDocument((await api(t.adminToken, 'GET', `/api/deliveries/${deliveryId}/epcis`)).body)).toEqual([]);
  }, 90_000);

  it('refuses expired and wrong-drug units at picking, with specific errors and audit entries', async () => {
    const p = await patient();
    const orderId = await verifiedOrder(p.id);
    const d = (await api(pharmacist.token, 'POST', '/api/deliveries', { ward: 'W-CARD' })).body.id;
    const expired = await api(pharmacist.token, 'POST', `/api/deliveries/${d}/picks`, { orderId, barcode: unit(GTIN_AMOX, 'S-EXP', '200131') });
    expect(expired.status).toBe(422);
    expect(expired.body.error).toBe('product_expired');
    const wrong = await api(pharmacist.token, 'POST', `/api/deliveries/${d}/picks`, { orderId, barcode: unit(withCheck('0950600099999'), 'S-W') });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error).toBe('wrong_drug');
    const wrongCheck = GTIN_AMOX.slice(0, 13) + String((Number(GTIN_AMOX[13]) + 1) % 10);
    const bad = await api(pharmacist.token, 'POST', `/api/deliveries/${d}/picks`, { orderId, barcode: `]d201${wrongCheck}17${NEXT_YEAR}` });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/check digit/);
    const unverified = await api(pharmacist.token, 'POST', '/api/orders', {
      patientId: p.id,
      medicationId: amox,
      dose: { amount: 500, unit: 'mg' },
      route: 'oral',
      schedule: { times: [new Date().toISOString()] },
    });
    const nv = await api(pharmacist.token, 'POST', `/api/deliveries/${d}/picks`, { orderId: unverified.body.id, barcode: unit(GTIN_AMOX, 'S-NV') });
    expect(nv.status).toBe(422);
    expect(nv.body.error).toBe('order_not_verified');
    // each refusal is in the ledger
    const ds = t.cp.app.get(DataSource);
    const refused = await ds.getRepository(CustodyEventEntity).findBy({ action: 'pick_refused' });
    expect(refused.map((e) => e.evidence['code'])).toEqual(expect.arrayContaining(['product_expired', 'wrong_drug', 'order_not_verified']));
  });

  it('blocks the wrong patient at the bedside, even for a dose in the same compartment; an override is flagged for review', async () => {
    const a = await patient();
    const b = await patient();
    const oa = await verifiedOrder(a.id);
    const ob = await verifiedOrder(b.id);
    const { id: robotId } = await robot();
    const { id } = await deliver(robotId, [
      { orderId: oa, barcode: unit(GTIN_AMOX, 'S-A1'), compartment: 'C2' },
      { orderId: ob, barcode: unit(GTIN_AMOX, 'S-B1'), compartment: 'C2' },
    ]);
    await api(nurseCard.token, 'POST', `/api/deliveries/${id}/unlock`, { compartmentId: 'C2' });
    await api(nurseCard.token, 'POST', `/api/deliveries/${id}/receipt`, { barcode: unit(GTIN_AMOX, 'S-A1') });
    await api(nurseCard.token, 'POST', `/api/deliveries/${id}/receipt`, { barcode: unit(GTIN_AMOX, 'S-B1') });
    await api(nurseCard.token, 'POST', `/api/deliveries/${id}/receipt/complete`);
    // patient A's wristband with patient B's dose
    const wrong = await api(nurseCard.token, 'POST', '/api/administrations', {
      wristband: wristband(a.gsrn),
      dose: unit(GTIN_AMOX, 'S-B1'),
      outcome: 'given',
      given: GIVEN_500_MG,
      override: { reason: 'trying to force it' },
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error).toBe('wrong_patient');
    // a wristband no admitted patient wears
    const unknown = await api(nurseCard.token, 'POST', '/api/administrations', {
      wristband: wristband(gsrn()),
      dose: unit(GTIN_AMOX, 'S-A1'),
      outcome: 'given',
      given: GIVEN_500_MG,
    });
    expect(unknown.body.error).toBe('unknown_wristband');
    // held needs a reason
    const held = await api(nurseCard.token, 'POST', '/api/administrations', { wristband: wristband(b.gsrn), dose: unit(GTIN_AMOX, 'S-B1'), outcome: 'held' });
    expect(held.status).toBe(400);
    expect(held.body.field).toBe('reason');
    const ok = await api(nurseCard.token, 'POST', '/api/administrations', {
      wristband: wristband(b.gsrn),
      dose: unit(GTIN_AMOX, 'S-B1'),
      outcome: 'held',
      reason: 'patient nil by mouth',
    });
    expect(ok.body.dose.state).toBe('held');
    const ds = t.cp.app.get(DataSource);
    const blocked = await ds.getRepository(CustodyEventEntity).findBy({ action: 'administration_blocked' });
    expect(blocked.map((e) => e.evidence['code'])).toEqual(expect.arrayContaining(['wrong_patient', 'unknown_wristband']));
  }, 90_000);

  it('answers an unlock only once the robot reports it: a refusal gives the robot reason, silence times out, never "unlocked"', async () => {
    const p = await patient();
    const o1 = await verifiedOrder(p.id);
    const o2 = await verifiedOrder(p.id);
    const { sim, id: robotId } = await robot();
    const { id } = await deliver(robotId, [
      { orderId: o1, barcode: unit(GTIN_AMOX, 'S-U1'), compartment: 'C1' },
      { orderId: o2, barcode: unit(GTIN_AMOX, 'S-U2'), compartment: 'C2' },
    ]);
    const unlock = (c: string) => api(nurseCard.token, 'POST', `/api/deliveries/${id}/unlock`, { compartmentId: c });
    const state = async () => (await api(t.adminToken, 'GET', `/api/deliveries/${id}`)).body.state as string;

    // a jammed lock: the robot fails the action with its reason, which the nurse gets
    sim.faults.refuseUnlock('C1');
    const jammed = await unlock('C1');
    expect(jammed.status).toBe(409);
    expect(jammed.body.error).toBe('robot_refused');
    expect(jammed.body.message).toContain('compartment C1 lock is jammed');
    expect(jammed.body.details).toMatchObject({ compartmentId: 'C1', errorType: 'medloop.compartmentError' });
    expect(await state()).toBe('arrived');
    // the second refusal of the same compartment raises an alarm for the ward
    expect((await unlock('C1')).body.error).toBe('robot_refused');
    const alarm = await waitForAsync(
      async () =>
        ((await api(t.adminToken, 'GET', '/api/alarms?type=custody.unlock_failed')).body as { source: { id: string }; ward: string; message: string }[]).find(
          (a) => a.source.id === id,
        ),
      5000,
      'unlock_failed alarm',
    );
    expect(alarm.ward).toBe('W-CARD');
    expect(alarm.message).toMatch(/lock is jammed/);
    sim.faults.refuseUnlock('C1', false);

    // a robot that rejects the command as invalid: its validationError is the answer
    sim.faults.rejectUnlocksAsInvalid();
    const invalid = await unlock('C1');
    sim.faults.rejectUnlocksAsInvalid(false);
    expect(invalid.status).toBe(409);
    expect(invalid.body.error).toBe('robot_refused');
    expect(invalid.body.details.errorType).toBe('validationError');
    expect(invalid.body.message).toMatch(/unlockToken is required/);
    expect((await t.api('GET', '/metrics')).text).toMatch(/medloop_robot_action_errors_total\{errorType="validationError"\} [1-9]/);

    // a robot that never answers: a time-out saying so, never "unlocked"
    sim.faults.ignoreUnlocks();
    const key = { 'idempotency-key': `unlock-${Date.now()}` };
    const silent = await t.api('POST', `/api/deliveries/${id}/unlock`, { token: nurseCard.token, body: { compartmentId: 'C1' }, headers: key });
    expect(silent.status).toBe(504);
    expect(silent.body.error).toBe('unlock_not_confirmed');
    expect(silent.body.message).toMatch(/did not confirm .* within 1.5 s/);
    expect(await state()).toBe('arrived');
    // a resend of that request (the web client resends a lost answer) answers the same, never "committed"
    const resent = await t.api('POST', `/api/deliveries/${id}/unlock`, { token: nurseCard.token, body: { compartmentId: 'C1' }, headers: key });
    expect([resent.status, resent.body.error]).toEqual([504, 'unlock_not_confirmed']);
    sim.faults.ignoreUnlocks(false);
    const ds = t.cp.app.get(DataSource).getRepository(CustodyEventEntity);
    const failed = (await ds.findBy({ action: 'unlock_failed', deliveryId: id })).map((e) => e.evidence['reason']);
    expect(failed.sort()).toEqual(['robot_refused', 'robot_refused', 'robot_refused', 'unlock_not_confirmed']);
    expect((await ds.findBy({ action: 'unlock_requested', deliveryId: id })).length).toBe(4);

    // the robot obeys late (its command was only slow): not a break-in, and not an unlock on record
    // until a nurse asks again, when the robot's report confirms it at once
    sim.model.compartments.unlock('C1');
    sim.model.markDirty();
    await waitForAsync(
      async () =>
        (await api(t.adminToken, 'GET', `/api/robots/${robotId}`)).body.compartments.find((c: { compartmentId: string }) => c.compartmentId === 'C1')?.lock ===
        'UNLOCKED',
      5000,
      'C1 reported unlocked late',
    );
    await new Promise((r) => setTimeout(r, 500));
    const late = (await api(t.adminToken, 'GET', `/api/deliveries/${id}`)).body;
    expect([late.state, late.doses.map((x: { state: string }) => x.state)]).toEqual(['arrived', ['arrived', 'arrived']]);
    const again = await unlock('C1');
    expect([again.status, again.body.state]).toEqual([200, 'unlocked']);

    // a robot that obeys: 200 once it reports the compartment unlocked, and no break-in alarm
    const ok = await unlock('C2');
    expect(ok.status).toBe(200);
    expect(ok.body.unlocks.map((u: { compartmentId: string }) => u.compartmentId)).toEqual(['C1', 'C2']);
    const r = (await api(t.adminToken, 'GET', `/api/robots/${robotId}`)).body;
    expect(r.compartments.find((c: { compartmentId: string }) => c.compartmentId === 'C2').lock).toBe('UNLOCKED');
    const forced = (await api(t.adminToken, 'GET', '/api/alarms?type=custody.compartment_forced')).body as { source: { id: string } }[];
    expect(forced.some((a) => a.source.id === id)).toBe(false);
  }, 90_000);

  it('refuses a receipt scan out of a compartment the robot reports LOCKED, without a discrepancy', async () => {
    const p = await patient();
    const o1 = await verifiedOrder(p.id);
    const o2 = await verifiedOrder(p.id);
    const { sim, id: robotId } = await robot();
    const { id } = await deliver(robotId, [
      { orderId: o1, barcode: unit(GTIN_AMOX, 'S-K1'), compartment: 'C1' },
      { orderId: o2, barcode: unit(GTIN_AMOX, 'S-K2'), compartment: 'C2' },
    ]);
    expect((await api(nurseCard.token, 'POST', `/api/deliveries/${id}/unlock`, { compartmentId: 'C1' })).status).toBe(200);
    // the robot locks C1 again on its own (a relock timer, a reboot): its report wins over our record
    sim.model.compartments.lock('C1');
    sim.model.markDirty();
    await waitForAsync(
      async () =>
        (await api(t.adminToken, 'GET', `/api/robots/${robotId}`)).body.compartments.find((c: { compartmentId: string }) => c.compartmentId === 'C1')?.lock ===
        'LOCKED',
      5000,
      'C1 reported locked',
    );
    for (const barcode of [unit(GTIN_AMOX, 'S-K1'), unit(GTIN_AMOX, 'S-K2')]) {
      const r = await api(nurseCard.token, 'POST', `/api/deliveries/${id}/receipt`, { barcode });
      expect(r.status).toBe(409);
      expect(r.body.error).toBe('compartment_locked');
    }
    const d = (await api(t.adminToken, 'GET', `/api/deliveries/${id}`)).body;
    expect(d.doses.map((x: { state: string }) => x.state)).toEqual(['arrived', 'arrived']);
    const ds = t.cp.app.get(DataSource).getRepository(CustodyEventEntity);
    expect(await ds.findBy({ action: 'receipt_extra_item', deliveryId: id })).toEqual([]);
    expect((await ds.findBy({ action: 'receipt_refused', deliveryId: id })).map((e) => e.evidence['compartmentId']).sort()).toEqual(['C1', 'C2']);
    const discrepancies = (await api(t.adminToken, 'GET', '/api/alarms?type=custody.receipt_discrepancy')).body as { source: { id: string } }[];
    expect(discrepancies.some((a) => a.source.id === id)).toBe(false);
  }, 90_000);

  it('quarantines the doses of a compartment forced open without an authorised unlock, with an alarm', async () => {
    const p = await patient();
    const o = await verifiedOrder(p.id);
    const { sim, id: robotId } = await robot();
    const { id, doseIds } = await deliver(robotId, [{ orderId: o, barcode: unit(GTIN_AMOX, 'S-F1'), compartment: 'C1' }]);
    sim.faults.forceCompartment('C1');
    const doseId = doseIds['C1']![0]!;
    await waitForAsync(async () => (await api(t.adminToken, 'GET', `/api/deliveries/${id}`)).body.doses[0].state === 'quarantined', 5000, 'quarantined');
    const alarms = (await api(t.adminToken, 'GET', '/api/alarms?type=custody.compartment_forced')).body as {
      sourceId?: string;
      source: { id: string };
      ward: string;
    }[];
    expect(alarms.some((a) => a.source.id === id && a.ward === 'W-CARD')).toBe(true);
    expect(await events(doseId)).toContain('quarantined');
    // the pharmacy's exception list shows it, with its ward; a nurse of another ward does not see it
    const exceptions = (await api(pharmacist.token, 'GET', '/api/doses?state=quarantined,receipt_discrepancy,lost')).body as { id: string; ward: string }[];
    expect(exceptions.find((d) => d.id === doseId)?.ward).toBe('W-CARD');
    const other = (await api(nurseSurg.token, 'GET', '/api/doses?state=quarantined')).body as { id: string }[];
    expect(other.some((d) => d.id === doseId)).toBe(false);
  }, 60_000);

  it('quarantines the doses inside a robot compartment that had a cold-chain excursion, and tells the pharmacist', async () => {
    const p = await patient();
    const o = await verifiedOrder(p.id);
    const { id: robotId } = await robot();
    const { id, doseIds } = await deliver(robotId, [{ orderId: o, barcode: unit(GTIN_AMOX, 'S-CC1'), compartment: 'C3' }], 'W-CARD', false);
    const coldChain = t.cp.app.get(ColdChainService, { strict: false });
    const t0 = Date.now();
    // the compartment warms to 12 °C and stays there well past the excursion and quarantine limits
    for (const minutes of [0, 1, 10, 20, 40, 41]) {
      await coldChain.record({
        storageId: `${robotId}/C3`,
        storageKind: 'robot_compartment',
        ward: 'W-CARD',
        temperatureC: 12,
        at: new Date(t0 + minutes * 60_000).toISOString(),
      });
    }
    await waitForAsync(async () => (await api(t.adminToken, 'GET', `/api/deliveries/${id}`)).body.doses[0].state === 'quarantined', 10_000, 'dose quarantined');
    const timeline = (await api(t.adminToken, 'GET', `/api/doses/${doseIds['C3']![0]!}/timeline`)).body.events as {
      action: string;
      evidence: { reason?: string };
    }[];
    expect(timeline.find((e) => e.action === 'quarantined')?.evidence.reason).toBe('cold-chain excursion');
    // custody told the cold chain how many doses it holds for the excursion
    await waitForAsync(
      async () =>
        ((await api(pharmacist.token, 'GET', '/api/cold-chain/excursions')).body as { storageId: string; dosesQuarantined: number | null }[]).find(
          (e) => e.storageId === `${robotId}/C3`,
        )?.dosesQuarantined === 1,
      10_000,
      'dosesQuarantined reported',
    );
    // and the pharmacist's quarantine alarm says so
    const alarm = await waitForAsync(
      async () => {
        const open = (await api(pharmacist.token, 'GET', '/api/alarms?type=coldchain.quarantine&state=open')).body as {
          source: { id: string };
          message: string;
          details: { dosesQuarantined: number | null };
        }[];
        return open.find((x) => x.source.id === `${robotId}/C3` && x.details.dosesQuarantined === 1);
      },
      10_000,
      'quarantine alarm with its count',
    );
    expect(alarm.message).toMatch(/\(1 dose\)/);
  }, 60_000);

  it('recalls the delivery when its order is stopped in transit: the robot returns and the doses come back', async () => {
    const p = await patient();
    const o = await verifiedOrder(p.id);
    const { id: robotId } = await robot();
    const { id, doseIds } = await deliver(robotId, [{ orderId: o, barcode: unit(GTIN_AMOX, 'S-R1'), compartment: 'C1' }], 'W-CARD', false);
    await waitForAsync(
      async () => ['in_transit', 'arrived'].includes((await api(t.adminToken, 'GET', `/api/deliveries/${id}`)).body.state),
      10_000,
      'in transit',
    );
    const stop = await api(pharmacist.token, 'POST', `/api/orders/${o}/stop`, { reason: 'allergy reported' });
    expect(stop.status).toBe(200);
    expect(stop.body.recalledDeliveries).toEqual([id]);
    const back = await waitForAsync(
      async () => {
        const d = (await api(t.adminToken, 'GET', `/api/deliveries/${id}`)).body;
        return d.state === 'returned' ? d : null;
      },
      40_000,
      'returned',
    );
    expect(back.doses[0].state).toBe('returned');
    expect(await events(doseIds['C1']![0]!)).toEqual(expect.arrayContaining(['recalled', 'returned', 'order_stopped']));
  }, 90_000);

  it('escalates to a courier when the robot is lost mid-way, with an explicit custody handoff', async () => {
    const p = await patient();
    const o = await verifiedOrder(p.id);
    const { sim, id: robotId } = await robot();
    const { id, doseIds } = await deliver(robotId, [{ orderId: o, barcode: unit(GTIN_AMOX, 'S-L1'), compartment: 'C1' }], 'W-CARD', false);
    await waitForAsync(async () => (await api(t.adminToken, 'GET', `/api/deliveries/${id}`)).body.state === 'in_transit', 10_000, 'in transit');
    await sim.faults.disconnect();
    await waitForAsync(async () => (await api(t.adminToken, 'GET', `/api/deliveries/${id}`)).body.state === 'failed', 10_000, 'delivery failed');
    const lost = (await api(t.adminToken, 'GET', '/api/alarms?type=custody.robot_lost')).body as { source: { id: string } }[];
    expect(lost.some((a) => a.source.id === id)).toBe(true);
    const esc = await api(pharmacist.token, 'POST', `/api/deliveries/${id}/escalate`, { courier: 'porter-17', reason: 'robot offline on level 1' });
    expect(esc.status).toBe(200);
    expect(esc.body.doses[0].state).toBe('escalated_manual');
    expect((await api(nurseCard.token, 'POST', `/api/deliveries/${id}/receipt`, { barcode: unit(GTIN_AMOX, 'S-L1') })).body.doses[0].state).toBe('received');
    expect(await events(doseIds['C1']![0]!)).toEqual(expect.arrayContaining(['courier_handoff', 'received']));
  }, 90_000);

  it('requires a second pharmacist to check a high-alert drug', async () => {
    const morph = (
      await api(pharmacist.token, 'POST', '/api/medications', { gtin: GTIN_MORPH, name: 'Morphine', strength: '10 mg', route: 'oral', highAlert: true })
    ).body.id;
    const p = await patient();
    const o = await verifiedOrder(p.id, morph);
    const d = (await api(pharmacist.token, 'POST', '/api/deliveries', { ward: 'W-CARD' })).body.id;
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${d}/picks`, { orderId: o, barcode: unit(GTIN_MORPH, 'M-1') })).status).toBe(201);
    const alone = await api(pharmacist.token, 'POST', `/api/deliveries/${d}/check`, {});
    expect(alone.status).toBe(422);
    expect(alone.body.error).toBe('witness_required');
    const self = await api(pharmacist.token, 'POST', `/api/deliveries/${d}/check`, {
      witness: { username: pharmacist.username, password: pharmacist.password },
    });
    expect(self.body.error).toBe('witness_same_as_actor');
    const checked = await api(pharmacist.token, 'POST', `/api/deliveries/${d}/check`, {
      witness: { username: pharmacist2.username, password: pharmacist2.password },
    });
    expect(checked.status).toBe(200);
  });

  it('detects a custody event edited directly in the database and names it', async () => {
    const ds = t.cp.app.get(DataSource);
    const before = await api(t.adminToken, 'GET', '/api/audit/verify');
    expect(before.body.ok).toBe(true);
    const target = Math.max(2, Math.floor(before.body.events / 2));
    // the database refuses the edit until its append-only guard is dropped on purpose
    await withoutAppendOnlyGuard(ds, () =>
      ds.createQueryBuilder().update(CustodyEventEntity).set({ location: 'somewhere-else' }).where('seq = :seq', { seq: target }).execute(),
    );
    const after = await api(t.adminToken, 'GET', '/api/audit/verify');
    expect(after.body.ok).toBe(false);
    expect(after.body.brokenAt).toMatchObject({ seq: target, reason: 'hash_mismatch' });
  });
});
