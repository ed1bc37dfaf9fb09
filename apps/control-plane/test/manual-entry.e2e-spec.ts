/**
 * Scan or choose (issue #19): when the scan cannot be had, the pharmacist keys the unit's GS1
 * data from its label and the nurse chooses the dose and the patient from the expected items,
 * with a reason, through the real HTTP API, server and database (and a simulated robot for the
 * load). The manual path passes the same checks as a scan (a dose not expected there is refused
 * with the same code), is written on the custody event and counted.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newGsrn, orderBody, patientBody, unitBarcode, withCheck, wristband } from '#testing';
import type { RobotSimulator } from '../../../simulators/robot/index.js';
import { startRobot } from './support/robot.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const WARD = 'W-CARD';
const GTIN_AMOX = withCheck('0950600013701');
const GTIN_OTHER = withCheck('0950600013702');

type Event = { action: string; evidence: Record<string, any> };

describe('manual entry: choose instead of scan, same checks, on the record and counted', () => {
  let t: TestApp;
  let sim: RobotSimulator | undefined;
  let pharmacist: { token: string };
  let nurse: { token: string };
  const p1 = { id: '', gsrn: newGsrn() };
  const p2 = { id: '', gsrn: newGsrn() };
  let amox = '';
  let delivery = '';
  let building = '';
  /** keyed: picked by keying; chosen: received by choosing; p2dose: received, P2's; elsewhere: a dose of another delivery */
  const doses = { keyed: '', chosen: '', scanned: '', p2dose: '', elsewhere: '' };
  const barcodes: Record<string, string> = {};

  const api = (token: string, method: string, path: string, body?: unknown) => t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
  const timeline = async (doseId: string) => (await api(t.adminToken, 'GET', `/api/doses/${doseId}/timeline`)).body.events as Event[];
  const counter = async (step: string, reason: string) => {
    const text = (await t.api('GET', '/metrics')).text;
    const line = text.split('\n').find((l) => l.startsWith(`medloop_manual_entries_total{step="${step}",reason="${reason}"}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  const order = async (patientId: string) => {
    const o = await api(pharmacist.token, 'POST', '/api/orders', orderBody(patientId, amox, { amount: 500, inMinutes: 10, priority: 'urgent' }));
    expect(o.status).toBe(201);
    expect((await api(verifier.token, 'POST', `/api/orders/${o.body.id}/verify`)).status).toBe(200);
    return o.body.id as string;
  };
  let verifier: { token: string };

  beforeAll(async () => {
    t = await startTestApp({ ORDER_ACK_TIMEOUT_MS: '400', DISPATCH_INTERVAL_MS: '150', CUSTODY_TICK_MS: '200' });
    pharmacist = await t.userToken('pharmacist');
    verifier = await t.userToken('pharmacist');
    nurse = await t.userToken('nurse', [WARD]);
    amox = (await api(pharmacist.token, 'POST', '/api/medications', { gtin: GTIN_AMOX, name: 'Amoxicillin', strength: '500 mg', route: 'oral' })).body.id;
    p1.id = (await api(pharmacist.token, 'POST', '/api/patients', patientBody(p1.gsrn, WARD, '4'))).body.id;
    p2.id = (await api(pharmacist.token, 'POST', '/api/patients', patientBody(p2.gsrn, WARD, '5'))).body.id;
    delivery = (await api(pharmacist.token, 'POST', '/api/deliveries', { ward: WARD })).body.id;
    building = (await api(pharmacist.token, 'POST', '/api/deliveries', { ward: WARD })).body.id;
  }, 60_000);

  afterAll(async () => {
    await sim?.stop().catch(() => undefined);
    await t?.close();
  });

  it('pick: keyed from the label with a reason, checked as a scan (wrong drug refused alike), on the record', async () => {
    const orderId = await order(p1.id);
    const both = await api(pharmacist.token, 'POST', `/api/deliveries/${delivery}/picks`, {
      orderId,
      barcode: unitBarcode(GTIN_AMOX, 'K-1'),
      manual: { gtin: GTIN_AMOX, expiry: '2099-12-31', serial: 'K-1', reason: 'label_damaged' },
    });
    expect([both.status, both.body.field]).toEqual([400, 'barcode']);
    const neither = await api(pharmacist.token, 'POST', `/api/deliveries/${delivery}/picks`, { orderId });
    expect([neither.status, neither.body.field]).toEqual([400, 'barcode']);
    const badReason = await api(pharmacist.token, 'POST', `/api/deliveries/${delivery}/picks`, {
      orderId,
      manual: { gtin: GTIN_AMOX, expiry: '2099-12-31', serial: 'K-1', reason: 'in_a_hurry' },
    });
    expect([badReason.status, badReason.body.field]).toEqual([400, 'manual.reason']);

    const wrongScan = await api(pharmacist.token, 'POST', `/api/deliveries/${delivery}/picks`, { orderId, barcode: unitBarcode(GTIN_OTHER, 'X-1') });
    const wrongKeyed = await api(pharmacist.token, 'POST', `/api/deliveries/${delivery}/picks`, {
      orderId,
      manual: { gtin: GTIN_OTHER, lot: 'LOT42', expiry: '2099-12-31', serial: 'X-1', reason: 'label_damaged' },
    });
    expect([wrongKeyed.status, wrongKeyed.body.error]).toEqual([wrongScan.status, wrongScan.body.error]);
    expect(wrongKeyed.body.error).toBe('wrong_drug');

    const before = await counter('pick', 'label_damaged');
    const picked = await api(pharmacist.token, 'POST', `/api/deliveries/${delivery}/picks`, {
      orderId,
      manual: { gtin: GTIN_AMOX, lot: 'LOT7', expiry: '2099-12-31', serial: 'K-1', reason: 'label_damaged', note: 'DataMatrix torn' },
    });
    expect(picked.status).toBe(201);
    const dose = (picked.body.doses as { id: string; serial: string; lot: string; expiry: string; gtin: string }[]).find((d) => d.serial === 'K-1')!;
    expect(dose).toMatchObject({ gtin: GTIN_AMOX, lot: 'LOT7', expiry: '2099-12-31' });
    doses.keyed = dose.id;
    barcodes['keyed'] = unitBarcode(GTIN_AMOX, 'K-1', { lot: 'LOT7', expiry: '991231' });
    const ev = (await timeline(dose.id)).find((e) => e.action === 'picked')!;
    expect(ev.evidence).toMatchObject({
      identification: 'manual',
      manualEntry: { reason: 'label_damaged', note: 'DataMatrix torn', fields: ['barcode'] },
      barcode: { gtin: GTIN_AMOX, lot: 'LOT7', serial: 'K-1' },
    });
    expect(await counter('pick', 'label_damaged')).toBe(before + 1);
  });

  it('setup: the rest of the delivery is scanned in, loaded, and handed to a courier', async () => {
    for (const [key, patientId] of [
      ['chosen', p1.id],
      ['scanned', p1.id],
      ['p2dose', p2.id],
    ] as const) {
      const barcode = unitBarcode(GTIN_AMOX, `M-${key}`);
      const picked = await api(pharmacist.token, 'POST', `/api/deliveries/${delivery}/picks`, { orderId: await order(patientId), barcode });
      expect(picked.status).toBe(201);
      doses[key] = (picked.body.doses as { id: string; serial: string }[]).find((d) => d.serial === `M-${key}`)!.id;
      barcodes[key] = barcode;
    }
    const other = await api(pharmacist.token, 'POST', `/api/deliveries/${building}/picks`, {
      orderId: await order(p1.id),
      barcode: unitBarcode(GTIN_AMOX, 'E-1'),
    });
    expect(other.status).toBe(201);
    doses.elsewhere = (other.body.doses as { id: string }[])[0]!.id;
    const r = await startRobot(t.baseUrl, t.mqttUrl, t.adminToken, `MANUAL-${Date.now() % 100000}`);
    sim = r.sim;
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${delivery}/check`, {})).status).toBe(200);
    const loaded = await api(pharmacist.token, 'POST', `/api/deliveries/${delivery}/load`, {
      robotId: r.id,
      compartments: { C1: [doses.keyed, doses.chosen, doses.scanned, doses.p2dose] },
    });
    expect(loaded.status).toBe(200);
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${delivery}/escalate`, { courier: 'porter-3', reason: 'scanner test' })).status).toBe(200);
  }, 60_000);

  it('receipt: exactly one of barcode and manual (400 naming the field)', async () => {
    const both = await api(nurse.token, 'POST', `/api/deliveries/${delivery}/receipt`, {
      barcode: barcodes['chosen'],
      manual: { doseId: doses.chosen, reason: 'scanner_unavailable' },
    });
    expect([both.status, both.body.field]).toEqual([400, 'barcode']);
    const longNote = await api(nurse.token, 'POST', `/api/deliveries/${delivery}/receipt`, {
      manual: { doseId: doses.chosen, reason: 'other', note: 'x'.repeat(201) },
    });
    expect([longNote.status, longNote.body.field]).toEqual([400, 'manual.note']);
  });

  it('receipt: a dose not of this delivery is refused when chosen exactly as when scanned', async () => {
    const scanned = await api(nurse.token, 'POST', `/api/deliveries/${delivery}/receipt`, { barcode: unitBarcode(GTIN_AMOX, 'E-1') });
    const chosen = await api(nurse.token, 'POST', `/api/deliveries/${delivery}/receipt`, {
      manual: { doseId: doses.elsewhere, reason: 'scanner_unavailable' },
    });
    expect([chosen.status, chosen.body.error]).toEqual([scanned.status, scanned.body.error]);
    expect(chosen.body.error).toBe('receipt_extra_item');
    expect(chosen.body.field).toBe('manual.doseId');
    expect(await counter('receipt', 'scanner_unavailable')).toBe(0);
  });

  it('receipt: a dose chosen from the delivery is received, the reason on its event, counted', async () => {
    const r = await api(nurse.token, 'POST', `/api/deliveries/${delivery}/receipt`, {
      manual: { doseId: doses.chosen, reason: 'scanner_unavailable', note: 'wedge scanner dead' },
    });
    expect(r.status).toBe(200);
    expect((r.body.doses as { id: string; state: string }[]).find((d) => d.id === doses.chosen)!.state).toBe('received');
    const ev = (await timeline(doses.chosen)).find((e) => e.action === 'received')!;
    expect(ev.evidence).toMatchObject({
      identification: 'manual',
      manualEntry: { reason: 'scanner_unavailable', note: 'wedge scanner dead', fields: ['barcode'] },
      barcode: { gtin: GTIN_AMOX, lot: 'LOT42', serial: 'M-chosen' },
    });
    expect(await counter('receipt', 'scanner_unavailable')).toBe(1);
    // the same dose twice is refused as a second scan of it would be
    const again = await api(nurse.token, 'POST', `/api/deliveries/${delivery}/receipt`, { manual: { doseId: doses.chosen, reason: 'scanner_unavailable' } });
    expect(again.body.error).toBe('receipt_extra_item');
    for (const k of ['keyed', 'scanned', 'p2dose']) {
      const s = await api(nurse.token, 'POST', `/api/deliveries/${delivery}/receipt`, { barcode: barcodes[k] });
      expect(s.status).toBe(200);
    }
    const scannedEv = (await timeline(doses.scanned)).find((e) => e.action === 'received')!;
    expect(scannedEv.evidence['identification']).toBe('scan');
  });

  const given = { amount: 500, unit: 'mg', route: 'oral' };

  it('bedside: exactly one of wristband and manual.patientId, of dose and manual.doseId', async () => {
    const both = await api(nurse.token, 'POST', '/api/administrations', {
      wristband: wristband(p1.gsrn),
      dose: barcodes['chosen'],
      manual: { patientId: p1.id, reason: 'wristband_unreadable' },
      outcome: 'given',
      given,
    });
    expect([both.status, both.body.field]).toEqual([400, 'wristband']);
    const noDose = await api(nurse.token, 'POST', '/api/administrations', { wristband: wristband(p1.gsrn), outcome: 'given', given });
    expect([noDose.status, noDose.body.field]).toEqual([400, 'dose']);
  });

  it("bedside: another patient's dose chosen is refused exactly as when scanned (wrong patient)", async () => {
    const scanned = await api(nurse.token, 'POST', '/api/administrations', {
      wristband: wristband(p1.gsrn),
      dose: barcodes['p2dose'],
      outcome: 'given',
      given,
    });
    const chosen = await api(nurse.token, 'POST', '/api/administrations', {
      manual: { patientId: p1.id, doseId: doses.p2dose, reason: 'wristband_unreadable' },
      outcome: 'given',
      given,
    });
    expect([chosen.status, chosen.body.error]).toEqual([scanned.status, scanned.body.error]);
    expect(chosen.body.error).toBe('wrong_patient');
    const unknown = await api(nurse.token, 'POST', '/api/administrations', {
      wristband: wristband(p1.gsrn),
      manual: { doseId: doses.elsewhere, reason: 'label_damaged' },
      outcome: 'given',
      given,
    });
    expect([unknown.status, unknown.body.error, unknown.body.field]).toEqual([422, 'dose_not_received', 'manual.doseId']);
    expect(await counter('bedside_patient', 'wristband_unreadable')).toBe(0);
  });

  it('bedside: patient and dose chosen, five rights checked, given, the reason on the event, counted', async () => {
    const r = await api(nurse.token, 'POST', '/api/administrations', {
      manual: { patientId: p1.id, doseId: doses.chosen, reason: 'wristband_unreadable', note: 'band wet' },
      outcome: 'given',
      given,
    });
    expect({ status: r.status, error: r.body.error }).toEqual({ status: 201, error: undefined });
    expect(r.body.dose.state).toBe('administered');
    expect((r.body.rights as { pass: boolean }[]).every((x) => x.pass)).toBe(true);
    const ev = (await timeline(doses.chosen)).find((e) => e.action === 'administered')!;
    expect(ev.evidence).toMatchObject({
      patientId: p1.id,
      wristband: p1.gsrn,
      identification: 'manual',
      manualEntry: { reason: 'wristband_unreadable', note: 'band wet', fields: ['wristband', 'dose'] },
    });
    expect(await counter('bedside_patient', 'wristband_unreadable')).toBe(1);
    expect(await counter('bedside_dose', 'wristband_unreadable')).toBe(1);
    // a wristband scanned and the dose chosen: only the dose is manual
    const half = await api(nurse.token, 'POST', '/api/administrations', {
      wristband: wristband(p1.gsrn),
      manual: { doseId: doses.scanned, reason: 'label_damaged' },
      outcome: 'given',
      given,
    });
    expect(half.status).toBe(201);
    const halfEv = (await timeline(doses.scanned)).find((e) => e.action === 'administered')!;
    expect(halfEv.evidence['manualEntry']).toEqual({ reason: 'label_damaged', fields: ['dose'] });
  });
});
