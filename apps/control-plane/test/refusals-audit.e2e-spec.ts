/**
 * Every refusal is a record, and the safety officer finds it: refused custody acts (a
 * high-alert check without its second pharmacist or with the same one twice, a dispatch
 * before the check, a wrong drug at the pick, a controlled drug kept off robots by the site's
 * default policy, a verification by the pharmacist who entered the order, a bedside scan of
 * a dose never received) are each written on the custody chain with the ids they concerned,
 * and `GET /api/audit/events` finds them by dose, order or delivery, filters and pages them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newGsrn, orderBody, patientBody, unitBarcode, waitForAsync, withCheck, wristband } from '#testing';
import { startTestApp, type TestApp } from './support/test-app.js';

const GTIN_AMOX = withCheck('0950600013535');
const GTIN_HEPARIN = withCheck('0950600013536');
const GTIN_MORPHINE = withCheck('0950600013537');

type AuditEvent = {
  seq: number;
  action: string;
  outcome: 'refused' | 'accepted';
  code?: string;
  actor: { id: string };
  location: string | null;
  ward: string | null;
  doseId: string | null;
  orderId: string | null;
  deliveryId: string | null;
  evidence: Record<string, unknown>;
};
type AuditPage = { events: AuditEvent[]; total: number; nextBefore: number | null };

describe('refusals on the record and the audit query', () => {
  let t: TestApp;
  let pharmacist: { token: string; username: string; password: string };
  let pharmacist2: { token: string; username: string; password: string };
  let nurse: { token: string; username: string };
  let porter: { token: string; username: string };
  let officer: { token: string };
  const meds: Record<string, string> = {};

  beforeAll(async () => {
    // a courier's delivery not received within 1.5 s is overdue (the controlled-drug case)
    t = await startTestApp({ DELIVERY_RECEIPT_ALARM_MS: '1500', CUSTODY_TICK_MS: '200' });
    pharmacist = await t.userToken('pharmacist');
    pharmacist2 = await t.userToken('pharmacist');
    nurse = await t.userToken('nurse', ['W-CARD']);
    // a nurse of the ward who carries a delivery by hand
    porter = await t.userToken('nurse', ['W-CARD']);
    officer = await t.userToken('safety_officer');
    const med = async (key: string, body: Record<string, unknown>) => {
      const r = await api(pharmacist.token, 'POST', '/api/medications', { strength: '1 unit', route: 'oral', ...body });
      expect(r.status).toBe(201);
      meds[key] = r.body.id as string;
    };
    await med('amox', { gtin: GTIN_AMOX, name: 'Amoxicillin' });
    await med('heparin', { gtin: GTIN_HEPARIN, name: 'Heparin', highAlert: true });
    // controlled, and its entry says nothing about robots: the safe defaults decide
    await med('morphine', { gtin: GTIN_MORPHINE, name: 'Morphine', controlled: true });
  });
  afterAll(async () => {
    await t?.close();
  });

  const api = (token: string, method: string, path: string, body?: unknown) => t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
  const audit = async (query: string, token = officer.token): Promise<AuditPage> => {
    const r = await api(token, 'GET', `/api/audit/events?${query}`);
    expect(r.status).toBe(200);
    return r.body as AuditPage;
  };
  let serial = 0;
  const unit = (gtin: string) => unitBarcode(gtin, `RF-${++serial}`);

  async function patient() {
    const g = newGsrn();
    const r = await api(pharmacist.token, 'POST', '/api/patients', patientBody(g, 'W-CARD'));
    expect(r.status).toBe(201);
    return { id: r.body.id as string, gsrn: g };
  }

  /** Entered at the order desk (the admin), verified by the pharmacist. */
  async function verifiedOrder(patientId: string, medication: string): Promise<string> {
    const o = await api(t.adminToken, 'POST', '/api/orders', orderBody(patientId, meds[medication]!, { inMinutes: 10 }));
    expect(o.status).toBe(201);
    expect((await api(pharmacist.token, 'POST', `/api/orders/${o.body.id}/verify`)).status).toBe(200);
    return o.body.id as string;
  }

  async function delivery(): Promise<string> {
    const d = await api(pharmacist.token, 'POST', '/api/deliveries', { ward: 'W-CARD' });
    expect(d.status).toBe(201);
    return d.body.id as string;
  }

  it('records the high-alert check refused without a second pharmacist, and with the same one as witness', async () => {
    const p = await patient();
    const orderId = await verifiedOrder(p.id, 'heparin');
    const d = await delivery();
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${d}/picks`, { orderId, barcode: unit(GTIN_HEPARIN) })).status).toBe(201);
    const alone = await api(pharmacist.token, 'POST', `/api/deliveries/${d}/check`, {});
    expect(alone.status).toBe(422);
    expect(alone.body.error).toBe('witness_required');
    const self = await api(pharmacist.token, 'POST', `/api/deliveries/${d}/check`, {
      witness: { username: pharmacist.username, password: pharmacist.password },
    });
    expect(self.body.error).toBe('witness_same_as_actor');

    const refused = (await audit(`deliveryId=${d}&outcome=refused`)).events;
    expect(refused.map((e) => [e.action, e.code])).toEqual([
      ['check_refused', 'witness_same_as_actor'],
      ['check_refused', 'witness_required'],
    ]);
    const [doseId] = (await api(pharmacist.token, 'GET', `/api/deliveries/${d}`)).body.doses.map((x: { id: string }) => x.id);
    for (const e of refused) {
      expect(e).toMatchObject({ outcome: 'refused', actor: { id: pharmacist.username }, location: 'pharmacy', ward: 'W-CARD', deliveryId: d, doseId });
      // the witness's password is never on the record
      expect(JSON.stringify(e)).not.toContain(pharmacist.password);
    }
    // found by the dose too
    expect((await audit(`doseId=${doseId}&outcome=refused`)).events).toHaveLength(2);
    // and the accepted acts are not refusals
    expect((await audit(`deliveryId=${d}&outcome=accepted`)).events.map((e) => e.action)).toEqual(['picked', 'delivery_created']);
  });

  it('records a dispatch before the check and a wrong drug at the pick, with the delivery and order', async () => {
    const p = await patient();
    const orderId = await verifiedOrder(p.id, 'amox');
    const d = await delivery();
    const early = await api(pharmacist.token, 'POST', `/api/deliveries/${d}/dispatch`);
    expect(early.status).toBe(422);
    expect(early.body.error).toBe('illegal_transition');
    const wrong = await api(pharmacist.token, 'POST', `/api/deliveries/${d}/picks`, { orderId, barcode: unit(GTIN_HEPARIN) });
    expect(wrong.body.error).toBe('wrong_drug');

    const byDelivery = (await audit(`deliveryId=${d}&outcome=refused`)).events;
    expect(byDelivery.map((e) => [e.action, e.code])).toEqual([
      ['pick_refused', 'wrong_drug'],
      ['dispatch_refused', 'illegal_transition'],
    ]);
    const byOrder = (await audit(`orderId=${orderId}&outcome=refused`)).events;
    expect(byOrder).toHaveLength(1);
    expect(byOrder[0]).toMatchObject({ action: 'pick_refused', deliveryId: d, orderId, ward: 'W-CARD', evidence: { code: 'wrong_drug' } });
  });

  it('keeps a controlled drug off robots by default (the refused load on the record) and hands it to a courier', async () => {
    const p = await patient();
    const orderId = await verifiedOrder(p.id, 'morphine');
    const d = await delivery();
    const barcode = unit(GTIN_MORPHINE);
    // picked and checked like any other drug
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${d}/picks`, { orderId, barcode })).status).toBe(201);
    const medication = ((await api(pharmacist.token, 'GET', '/api/medications')).body as { id: string; robotTransportAllowed: boolean }[]).find(
      (m) => m.id === meds['morphine'],
    );
    expect(medication?.robotTransportAllowed).toBe(false);
    // a courier takes only checked doses
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${d}/escalate`, { courier: 'porter.li', reason: 'controlled drug' })).body.error).toBe(
      'doses_not_checked',
    );
    expect((await audit(`deliveryId=${d}&action=courier_handoff_refused`)).events).toMatchObject([
      { code: 'doses_not_checked', evidence: { courier: 'porter.li' } },
    ]);
    const checked = await api(pharmacist.token, 'POST', `/api/deliveries/${d}/check`, {});
    expect(checked.status).toBe(200);
    const [doseId] = checked.body.doses.map((x: { id: string }) => x.id);
    // it may not board a robot: the site's default policy
    const { device } = await t.registerDevice({ kind: 'robot', name: 'R-CTRL', manufacturer: 'Acme', serialNumber: 'R-CTRL-1' });
    const load = await api(pharmacist.token, 'POST', `/api/deliveries/${d}/load`, { robotId: device.id, compartments: { C1: [doseId] } });
    expect(load.status).toBe(422);
    expect(load.body.error).toBe('controlled_substance_barred_from_robot');
    const [e] = (await audit(`deliveryId=${d}&action=load_refused`)).events;
    expect(e).toMatchObject({ code: 'controlled_substance_barred_from_robot', doseId, orderId: null });
    // so it goes by hand, from the pharmacy, and the ward receives it from the courier
    const esc = await api(pharmacist.token, 'POST', `/api/deliveries/${d}/escalate`, { courier: porter.username, reason: 'controlled drug: by hand' });
    expect(esc.status).toBe(200);
    expect(esc.body.state).toBe('escalated_manual');
    expect(esc.body.doses[0]).toMatchObject({ state: 'escalated_manual', location: `courier:${porter.username}` });
    // a courier who never arrives is overdue like a robot
    await waitForAsync(
      async () =>
        ((await api(t.adminToken, 'GET', '/api/alarms?type=custody.receipt_overdue')).body as { source: { id: string } }[]).some((a) => a.source.id === d),
      10_000,
      'receipt overdue for the courier delivery',
    );
    // whoever carried it does not also sign for it
    const self = await api(porter.token, 'POST', `/api/deliveries/${d}/receipt`, { barcode });
    expect(self.status).toBe(422);
    expect(self.body.error).toBe('receipt_not_independent');
    const received = await api(nurse.token, 'POST', `/api/deliveries/${d}/receipt`, { barcode });
    expect(received.status).toBe(200);
    expect(received.body.doses[0].state).toBe('received');
  });

  it('hands to a courier from the pharmacy only what may not ride a robot', async () => {
    const p = await patient();
    const orderId = await verifiedOrder(p.id, 'amox');
    const d = await delivery();
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${d}/picks`, { orderId, barcode: unit(GTIN_AMOX) })).status).toBe(201);
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${d}/check`, {})).status).toBe(200);
    const r = await api(pharmacist.token, 'POST', `/api/deliveries/${d}/escalate`, { courier: porter.username, reason: 'quicker' });
    expect(r.status).toBe(422);
    expect(r.body.error).toBe('robot_transport_allowed');
  });

  it('refuses the verification by the pharmacist who entered the order, records it, and lets another verify', async () => {
    const p = await patient();
    const o = await api(pharmacist.token, 'POST', '/api/orders', orderBody(p.id, meds['amox']!, { inMinutes: 10 }));
    const self = await api(pharmacist.token, 'POST', `/api/orders/${o.body.id}/verify`);
    expect(self.status).toBe(422);
    expect(self.body.error).toBe('verifier_entered_order');
    const [e] = (await audit(`orderId=${o.body.id}&outcome=refused`)).events;
    expect(e).toMatchObject({ action: 'verification_refused', code: 'verifier_entered_order', actor: { id: pharmacist.username }, ward: 'W-CARD' });
    expect((await api(pharmacist2.token, 'POST', `/api/orders/${o.body.id}/verify`)).status).toBe(200);
    const verified = (await audit(`orderId=${o.body.id}&action=order_verified`)).events;
    expect(verified).toMatchObject([{ outcome: 'accepted', actor: { id: pharmacist2.username }, location: 'pharmacy', ward: 'W-CARD' }]);
  });

  it('records a bedside scan of a dose never received with the dose and order it names', async () => {
    const p = await patient();
    const orderId = await verifiedOrder(p.id, 'amox');
    const d = await delivery();
    const barcode = unit(GTIN_AMOX);
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${d}/picks`, { orderId, barcode })).status).toBe(201);
    const r = await api(nurse.token, 'POST', '/api/administrations', {
      wristband: wristband(p.gsrn),
      dose: barcode,
      outcome: 'given',
      given: { amount: 500, unit: 'mg', route: 'oral' },
    });
    expect(r.body.error).toBe('dose_not_received');
    const [doseId] = (await api(pharmacist.token, 'GET', `/api/deliveries/${d}`)).body.doses.map((x: { id: string }) => x.id);
    const [e] = (await audit(`doseId=${doseId}&outcome=refused`)).events;
    expect(e).toMatchObject({
      action: 'administration_blocked',
      code: 'dose_not_received',
      orderId,
      deliveryId: d,
      ward: 'W-CARD',
      actor: { id: nurse.username },
    });
  });

  it("records another ward's nurse refused before the body is read, by the delivery she named", async () => {
    const otherWard = await t.userToken('nurse', ['W-SURG']);
    const d = await delivery();
    const r = await api(otherWard.token, 'POST', `/api/deliveries/${d}/unlock`, {});
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('ward_forbidden');
    const [e] = (await audit(`deliveryId=${d}&outcome=refused`)).events;
    expect(e).toMatchObject({ action: 'unlock_refused', code: 'ward_forbidden', actor: { id: otherWard.username }, ward: 'W-CARD', location: 'ward:W-CARD' });
    // an id that names nothing concerns nothing: refused, not recorded
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await api(otherWard.token, 'POST', `/api/deliveries/${unknown}/unlock`, {})).body.error).toBe('ward_forbidden');
    expect((await audit(`actor=${otherWard.username}`)).events).toHaveLength(1);
  });

  it('filters by actor, ward and time, pages newest first, and is for the roles that see every ward', async () => {
    const all = await audit('outcome=refused&limit=2');
    expect(all.events).toHaveLength(2);
    // the eleven refusals of the cases above
    expect(all.total).toBe(11);
    expect(all.events[0]!.seq).toBeGreaterThan(all.events[1]!.seq);
    const next = await audit(`outcome=refused&limit=2&before=${all.nextBefore}`);
    expect(next.events[0]!.seq).toBeLessThan(all.events[1]!.seq);
    const seen = new Set<number>();
    let before: number | null = null;
    for (let i = 0; i < 50; i++) {
      const page: AuditPage = await audit(`outcome=refused&limit=3${before ? `&before=${before}` : ''}`);
      for (const e of page.events) seen.add(e.seq);
      before = page.nextBefore;
      if (before === null) break;
    }
    expect(seen.size).toBe(all.total);

    const mine = (await audit(`actor=${encodeURIComponent(nurse.username)}`)).events;
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((e) => e.actor.id === nurse.username)).toBe(true);
    // an actor is matched exactly: another case is another user (SQLite's LIKE would not tell)
    expect((await audit(`actor=${encodeURIComponent(nurse.username.toUpperCase())}`)).events).toEqual([]);
    expect((await audit('ward=W-SURG&outcome=refused')).events).toEqual([]);
    expect((await audit('ward=W-CARD&outcome=refused')).total).toBe(all.total);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await audit(`from=${encodeURIComponent(future)}`)).events).toEqual([]);

    // the query's edge: bad filters are named
    const bad = await api(officer.token, 'GET', '/api/audit/events?outcome=maybe');
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('outcome');
    expect((await api(officer.token, 'GET', '/api/audit/events?doseId=x')).body.field).toBe('doseId');
    // admins and pharmacists read it too; a nurse does not
    expect((await api(t.adminToken, 'GET', '/api/audit/events?limit=1')).status).toBe(200);
    expect((await api(nurse.token, 'GET', '/api/audit/events')).status).toBe(403);
    // the chain still verifies with the refusals on it
    expect((await api(t.adminToken, 'GET', '/api/audit/verify')).body).toMatchObject({ ok: true });
  });
});
