/**
 * Late and missed doses reach the alarm list (issue #19: a ward with 7 late doses showed
 * "Alarms 0"), and alarms that wait for a pharmacist's decision are acknowledged by a
 * pharmacist only. Real server, database and HTTP API: orders are entered and verified, the
 * custody timer moves their slots, the dose is carried by a courier and given at the bedside.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newGsrn, orderBody, patientBody, unitBarcode, waitForAsync, withCheck, wristband } from '#testing';
import { startTestApp, type TestApp } from './support/test-app.js';

const WARD = 'W-PAED';
const GTIN_MORPHINE = withCheck('0950600019701');
const MIN = 60_000;

type Alarm = {
  id: string;
  type: string;
  severity: string;
  state: string;
  ward: string | null;
  source: { kind: string; id: string };
  details: Record<string, any>;
  acknowledgeRoles: string[] | null;
  cleared: { reason: string | null } | null;
};

describe('late and missed doses raise alarms; pharmacist-decision alarms are theirs to acknowledge', () => {
  let t: TestApp;
  let pharmacist: { token: string };
  let verifier: { token: string };
  let nurse: { token: string };
  let porter: { token: string; username: string };
  let medicationId = '';
  const patient = { id: '', gsrn: newGsrn() };

  const api = (token: string, method: string, path: string, body?: unknown) => t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
  const alarms = async (token: string, query: string) => (await api(token, 'GET', `/api/alarms?${query}`)).body as Alarm[];
  /** an order scheduled `minutesAgo` before now, verified (its slot and dose exist from then) */
  const verifiedOrder = async (minutesAgo: number, windowMinutes = 60) => {
    const body = orderBody(patient.id, medicationId, { amount: 10, inMinutes: -minutesAgo });
    const o = await api(pharmacist.token, 'POST', '/api/orders', { ...body, schedule: { ...body.schedule, windowMinutes } });
    expect(o.status).toBe(201);
    const v = await api(verifier.token, 'POST', `/api/orders/${o.body.id}/verify`);
    expect(v.status).toBe(200);
    return { orderId: o.body.id as string };
  };
  /** the order's one slot, and its dose, from the patient's MAR */
  const slotOf = async (orderId: string) => {
    const mar = (await api(nurse.token, 'GET', `/api/patients/${patient.id}/medication`)).body as { slots: { id: string; orderId: string; doseId: string }[] };
    const slot = mar.slots.find((s) => s.orderId === orderId)!;
    return { slotId: slot.id, id: slot.doseId };
  };
  const alarmOfSlot = (type: string, slotId: string) =>
    waitForAsync(
      async () => (await alarms(nurse.token, `type=${type}`)).find((a) => a.source.id === slotId) ?? null,
      15_000,
      `${type} for slot ${slotId}`,
    ) as Promise<Alarm>;

  beforeAll(async () => {
    // the default grace (15 min) stands: a dose 20 min past its time is late, one 5 min past is not yet
    t = await startTestApp({ CUSTODY_TICK_MS: '200' });
    pharmacist = await t.userToken('pharmacist');
    verifier = await t.userToken('pharmacist');
    nurse = await t.userToken('nurse', [WARD]);
    porter = await t.userToken('nurse', [WARD]);
    // a controlled drug goes to the ward by courier from the pharmacy (no robot needed)
    medicationId = (
      await api(pharmacist.token, 'POST', '/api/medications', { gtin: GTIN_MORPHINE, name: 'Morphine', strength: '10 mg', route: 'oral', controlled: true })
    ).body.id;
    patient.id = (await api(pharmacist.token, 'POST', '/api/patients', patientBody(patient.gsrn, WARD, '7'))).body.id;
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  it('raises custody.dose_late for a due dose past its grace, on the ward, naming bed, drug and time; giving it clears it', async () => {
    const { orderId } = await verifiedOrder(20);
    const notYet = await verifiedOrder(5);
    const dose = await slotOf(orderId);
    const late = await alarmOfSlot('custody.dose_late', dose.slotId);
    expect(late).toMatchObject({
      severity: 'warning',
      state: 'raised',
      ward: WARD,
      source: { kind: 'administration_slot', id: dose.slotId },
      details: { slotId: dose.slotId, doseId: dose.id, bed: '7', medication: 'Morphine 10 mg', patientId: patient.id },
    });
    expect(late.details['minutesLate']).toBeGreaterThanOrEqual(19);
    expect(Date.parse(late.details['scheduledAt'])).toBeLessThan(Date.now() - 19 * MIN);
    // the same tick looked at the dose 5 min past its time: within the grace, no alarm
    const early = await slotOf(notYet.orderId);
    expect((await alarms(nurse.token, 'type=custody.dose_late')).filter((a) => a.source.id === early.slotId)).toEqual([]);
    // one alarm per slot, however many ticks see it late
    await new Promise((r) => setTimeout(r, 600));
    expect((await alarms(nurse.token, 'type=custody.dose_late')).filter((a) => a.source.id === dose.slotId)).toHaveLength(1);

    // the dose comes by courier, is received on the ward and given: the alarm clears
    const delivery = (await api(pharmacist.token, 'POST', '/api/deliveries', { ward: WARD })).body.id as string;
    const barcode = unitBarcode(GTIN_MORPHINE, 'LATE-1');
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${delivery}/picks`, { orderId, barcode })).status).toBe(201);
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${delivery}/check`, {})).status).toBe(200);
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${delivery}/escalate`, { courier: porter.username, reason: 'controlled drug' })).status).toBe(
      200,
    );
    expect((await api(nurse.token, 'POST', `/api/deliveries/${delivery}/receipt`, { barcode })).status).toBe(200);
    const given = await api(nurse.token, 'POST', '/api/administrations', {
      wristband: wristband(patient.gsrn),
      dose: barcode,
      outcome: 'given',
      given: { amount: 10, unit: 'mg', route: 'oral' },
    });
    expect({ status: given.status, error: given.body.error }).toEqual({ status: 201, error: undefined });
    const cleared = await waitForAsync(
      async () => (await alarms(nurse.token, 'type=custody.dose_late')).find((a) => a.source.id === dose.slotId && a.state === 'cleared') ?? null,
      10_000,
      'dose_late cleared',
    );
    expect(cleared?.cleared?.reason).toMatch(/administered|given/);
  });

  it('raises custody.dose_missed (critical) once the window closed, clearing the late alarm; the nurse documents it', async () => {
    // 90 min past a ±60 min window: missed on the first tick
    const { orderId } = await verifiedOrder(90);
    const dose = await slotOf(orderId);
    const missed = await alarmOfSlot('custody.dose_missed', dose.slotId);
    expect(missed).toMatchObject({ severity: 'critical', ward: WARD, details: { bed: '7', medication: 'Morphine 10 mg', windowMinutes: 60 } });
    expect(missed.details['minutesLate']).toBeGreaterThanOrEqual(89);
    // the late alarm of that slot (raised on the same tick or not at all) is not left open
    expect((await alarms(nurse.token, 'type=custody.dose_late&state=open')).filter((a) => a.source.id === dose.slotId)).toEqual([]);
    const resolved = await api(nurse.token, 'POST', `/api/alarms/${missed.id}/resolve`, { reason: 'patient in theatre; prescriber informed' });
    expect(resolved.status).toBe(200);
    expect(resolved.body.state).toBe('cleared');
  });

  it("a late dose's alarm is the nurse's to acknowledge; a pharmacist's decision alarm is not (403 naming the role), a pharmacist's it is", async () => {
    const { orderId } = await verifiedOrder(30);
    const dose = await slotOf(orderId);
    const late = await alarmOfSlot('custody.dose_late', dose.slotId);
    expect(late.acknowledgeRoles).toBeNull();
    expect((await api(nurse.token, 'POST', `/api/alarms/${late.id}/acknowledge`)).status).toBe(200);

    // a receipt discrepancy on the ward: a pharmacist must reconcile it
    const delivery = (await api(pharmacist.token, 'POST', '/api/deliveries', { ward: WARD })).body.id as string;
    const other = await verifiedOrder(-30);
    const barcode = unitBarcode(GTIN_MORPHINE, 'DISC-1');
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${delivery}/picks`, { orderId: other.orderId, barcode })).status).toBe(201);
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${delivery}/check`, {})).status).toBe(200);
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${delivery}/escalate`, { courier: porter.username, reason: 'controlled drug' })).status).toBe(
      200,
    );
    // a unit that is not part of the delivery, scanned on receipt
    await api(nurse.token, 'POST', `/api/deliveries/${delivery}/receipt`, { barcode: unitBarcode(GTIN_MORPHINE, 'STRANGER-1') });
    const disc = (await waitForAsync(
      async () => (await alarms(nurse.token, 'type=custody.receipt_discrepancy')).find((a) => a.source.id === delivery) ?? null,
      10_000,
      'receipt discrepancy alarm',
    )) as Alarm;
    expect(disc.acknowledgeRoles).toEqual(['pharmacist', 'ward_pharmacist']);
    const refused = await api(nurse.token, 'POST', `/api/alarms/${disc.id}/acknowledge`);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('alarm_acknowledge_role_required');
    expect(refused.body.message).toMatch(/pharmacist/);
    expect((await api(t.adminToken, 'GET', `/api/alarms/${disc.id}`)).body.state).toBe('raised');
    const ok = await api(pharmacist.token, 'POST', `/api/alarms/${disc.id}/acknowledge`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ state: 'acknowledged', acknowledged: { by: expect.any(String) } });
  });
});
