/**
 * The five rights for real at the bedside, partial doses with wastage, and the review of
 * overrides, through the real HTTP API, server, database and a simulated robot: the nurse
 * records what was actually given; a wrong amount or route is refused, or given under an
 * override that waits for a pharmacist's review (listed, reviewed once, on the hash chain); an
 * override unreviewed for too long raises an alarm that the review clears.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newGsrn, orderBody, patientBody, unitBarcode, waitForAsync, withCheck, wristband } from '#testing';
import type { RobotSimulator } from '../../../simulators/robot/index.js';
import { startRobot } from './support/robot.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const WARD = 'W-CARD';
const GTIN_AMOX = withCheck('0950600013601');
const GTIN_ONDANSETRON = withCheck('0950600013602');
const GTIN_MORPHINE = withCheck('0950600013603');
const GTIN_MORPHINE_AMPOULE = withCheck('0950600013604');
const GTIN_FENTANYL = withCheck('0950600013605');
const REVIEW_AFTER_MS = 2500;

describe('bedside: what was given, wastage, and override review', () => {
  let t: TestApp;
  let sim: RobotSimulator | undefined;
  let pharmacist: { token: string; username: string; password: string };
  let wardPharmacist: { token: string; username: string };
  let nurse: { token: string; username: string };
  let witness: { username: string; password: string };
  const patient = { id: '', gsrn: newGsrn() };
  /** one received dose per purpose: its id and the barcode the nurse scans */
  const doses: Record<
    'wrongAmount' | 'wrongRoute' | 'converted' | 'tolerance' | 'wasted' | 'ampoule' | 'ampouleEmpty' | 'fentanyl' | 'witnessedOverride' | 'selfOverride',
    { id: string; barcode: string }
  > = {} as never;

  const api = (token: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    t.api(method, path, { token, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
  const administer = (dose: keyof typeof doses, extra: Record<string, unknown>) =>
    api(nurse.token, 'POST', '/api/administrations', { wristband: wristband(patient.gsrn), dose: doses[dose].barcode, outcome: 'given', ...extra });
  const timeline = async (doseId: string) =>
    (await api(t.adminToken, 'GET', `/api/doses/${doseId}/timeline`)).body.events as { action: string; evidence: Record<string, any>; actor: { id: string } }[];
  const overrides = async (query: string, token = wardPharmacist.token) => (await api(token, 'GET', `/api/administrations/overrides${query}`)).body;

  beforeAll(async () => {
    t = await startTestApp({
      ORDER_ACK_TIMEOUT_MS: '400',
      DISPATCH_INTERVAL_MS: '150',
      CUSTODY_TICK_MS: '200',
      OVERRIDE_REVIEW_AFTER_MS: String(REVIEW_AFTER_MS),
      // the morphine rides with the rest (the courier takes the robot's load at the dock); the safe default keeps it off robots
      POLICY_CONTROLLED_ROBOT_TRANSPORT: 'true',
    });
    pharmacist = await t.userToken('pharmacist');
    // separation of duties: another pharmacist verifies the orders the first one entered
    const verifier = await t.userToken('pharmacist');
    wardPharmacist = await t.userToken('ward_pharmacist');
    nurse = await t.userToken('nurse', [WARD]);
    // the witness co-signs with username + password in the request (never a token)
    witness = { username: `witness-${Date.now() % 100000}`, password: 'witness-password-1234' };
    expect((await t.api('POST', '/api/users', { token: t.adminToken, body: { ...witness, role: 'nurse', wards: [WARD] } })).status).toBe(201);
    const med = async (body: Record<string, unknown>) => (await api(pharmacist.token, 'POST', '/api/medications', body)).body.id as string;
    const amox = await med({ gtin: GTIN_AMOX, name: 'Amoxicillin', strength: '500 mg', route: 'oral' });
    const ondansetron = await med({ gtin: GTIN_ONDANSETRON, name: 'Ondansetron', strength: '4 mg', route: 'oral' });
    const morphine = await med({
      gtin: GTIN_MORPHINE,
      name: 'Morphine oral solution',
      strength: '10 mg',
      route: 'oral',
      controlled: true,
      robotTransportAllowed: true,
    });
    // a controlled ampoule labelled as a concentration: the unit's content is not known
    const morphineAmpoule = await med({
      gtin: GTIN_MORPHINE_AMPOULE,
      name: 'Morphine ampoule',
      strength: '10 mg/mL',
      route: 'oral',
      controlled: true,
      robotTransportAllowed: true,
    });
    const fentanyl = await med({ gtin: GTIN_FENTANYL, name: 'Fentanyl', strength: '100 mcg', route: 'oral', controlled: true, robotTransportAllowed: true });
    patient.id = (await api(pharmacist.token, 'POST', '/api/patients', patientBody(patient.gsrn, WARD, '12'))).body.id;

    // one delivery carries every dose; the robot is handed to a courier at the dock and the nurse receives them
    const plan: [keyof typeof doses, string, string, number][] = [
      ['wrongAmount', amox, GTIN_AMOX, 500],
      ['wrongRoute', amox, GTIN_AMOX, 500],
      ['converted', ondansetron, GTIN_ONDANSETRON, 4],
      ['tolerance', amox, GTIN_AMOX, 500],
      ['wasted', morphine, GTIN_MORPHINE, 2.5],
      ['ampoule', morphineAmpoule, GTIN_MORPHINE_AMPOULE, 5],
      ['ampouleEmpty', morphineAmpoule, GTIN_MORPHINE_AMPOULE, 5],
      ['fentanyl', fentanyl, GTIN_FENTANYL, 0.1],
      ['witnessedOverride', amox, GTIN_AMOX, 500],
      ['selfOverride', amox, GTIN_AMOX, 500],
    ];
    const r = await startRobot(t.baseUrl, t.mqttUrl, t.adminToken, `RIGHTS-${Date.now() % 100000}`);
    sim = r.sim;
    const delivery = (await api(pharmacist.token, 'POST', '/api/deliveries', { ward: WARD })).body.id as string;
    for (const [key, medicationId, gtin, amount] of plan) {
      const o = await api(pharmacist.token, 'POST', '/api/orders', orderBody(patient.id, medicationId, { amount, inMinutes: 10, priority: 'urgent' }));
      expect(o.status).toBe(201);
      expect((await api(verifier.token, 'POST', `/api/orders/${o.body.id}/verify`)).status).toBe(200);
      const barcode = unitBarcode(gtin, `R-${key}`);
      const picked = await api(pharmacist.token, 'POST', `/api/deliveries/${delivery}/picks`, { orderId: o.body.id, barcode });
      expect({ status: picked.status, body: picked.status === 201 ? null : picked.body }).toEqual({ status: 201, body: null });
      doses[key] = { id: (picked.body.doses as { id: string; serial: string }[]).find((d) => d.serial === `R-${key}`)!.id, barcode };
    }
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${delivery}/check`, {})).status).toBe(200);
    const loaded = await api(pharmacist.token, 'POST', `/api/deliveries/${delivery}/load`, {
      robotId: r.id,
      compartments: { C1: Object.values(doses).map((d) => d.id) },
    });
    expect(loaded.status).toBe(200);
    expect(
      (await api(pharmacist.token, 'POST', `/api/deliveries/${delivery}/escalate`, { courier: 'porter-9', reason: 'robot needed elsewhere' })).status,
    ).toBe(200);
    for (const d of Object.values(doses))
      expect((await api(nurse.token, 'POST', `/api/deliveries/${delivery}/receipt`, { barcode: d.barcode })).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await sim?.stop().catch(() => undefined);
    await t?.close();
  });

  it('refuses a given dose that does not say what was given (400 naming the field)', async () => {
    const r = await api(nurse.token, 'POST', '/api/administrations', { wristband: wristband(patient.gsrn), dose: doses.converted.barcode, outcome: 'given' });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe('given');
    const noRoute = await administer('converted', { given: { amount: 4, unit: 'mg' } });
    expect(noRoute.status).toBe(400);
    expect(noRoute.body.field).toBe('given.route');
  });

  it('blocks a wrong amount, then records it under an override, flagged for review, with what was given', async () => {
    const blocked = await administer('wrongAmount', { given: { amount: 5000, unit: 'mg', route: 'oral' } });
    expect(blocked.status).toBe(422);
    expect(blocked.body.error).toBe('five_rights_failed');
    expect(blocked.body.failed ?? blocked.body.details?.failed).toEqual(['dose']);
    expect(blocked.body.message).toContain('given 5000 mg, ordered 500 mg: 900 % more than ordered');
    expect((await api(t.adminToken, 'GET', `/api/doses/${doses.wrongAmount.id}/timeline`)).body.dose.state).toBe('received');

    const given = await administer('wrongAmount', {
      given: { amount: 5000, unit: 'mg', route: 'oral' },
      override: { reason: 'prescriber confirmed loading dose by phone' },
    });
    expect(given.status).toBe(201);
    expect(given.body.flaggedForReview).toBe(true);
    expect(given.body.slot).toMatchObject({
      state: 'given',
      override: { reason: 'prescriber confirmed loading dose by phone', rights: ['dose'] },
      administered: { given: { amount: 5000, unit: 'mg', route: 'oral' }, wasted: null },
      review: null,
    });
    const event = (await timeline(doses.wrongAmount.id)).find((e) => e.action === 'administered')!;
    expect(event.evidence).toMatchObject({ given: { amount: 5000, unit: 'mg', route: 'oral' }, override: { rights: ['dose'] } });
    // the FHIR MedicationAdministration carries what was given, not what was ordered
    const bundle = (await api(t.adminToken, 'GET', `/api/doses/${doses.wrongAmount.id}/fhir`)).body as { entry: { resource: Record<string, any> }[] };
    const ma = bundle.entry.map((e) => e.resource).find((r) => r['resourceType'] === 'MedicationAdministration')!;
    expect(ma['dosage']).toEqual({ route: { text: 'oral' }, dose: { value: 5000, unit: 'mg' } });
  });

  it('blocks a wrong route, then records it under an override', async () => {
    const blocked = await administer('wrongRoute', { given: { amount: 500, unit: 'mg', route: 'IV' } });
    expect(blocked.status).toBe(422);
    expect(blocked.body.error).toBe('five_rights_failed');
    expect(blocked.body.message).toContain('route IV differs from the ordered route oral');
    const given = await administer('wrongRoute', {
      given: { amount: 500, unit: 'mg', route: 'IV' },
      override: { reason: 'patient cannot swallow, IV formulation' },
    });
    expect(given.status).toBe(201);
    expect(given.body.slot.override.rights).toEqual(['route']);
  });

  it('accepts the ordered dose in another unit and route spelling (0.004 g PO for 4 mg oral), and within the tolerance', async () => {
    const converted = await administer('converted', { given: { amount: 0.004, unit: 'g', route: 'PO' } });
    expect(converted.status).toBe(201);
    expect(converted.body.flaggedForReview).toBe(false);
    expect(converted.body.rights.every((r: { pass: boolean }) => r.pass)).toBe(true);
    expect(converted.body.slot.administered.given).toEqual({ amount: 0.004, unit: 'g', route: 'PO' });
    // 510 mg for 500 mg: 2 %, inside the default 5 % (DOSE_TOLERANCE_PCT)
    const near = await administer('tolerance', { given: { amount: 510, unit: 'mg', route: 'oral' } });
    expect(near.status).toBe(201);
    expect(near.body.rights.find((r: { right: string }) => r.right === 'dose').reason).toContain('within the 5 % tolerance');
  });

  it('records a partial dose of a controlled drug with its waste, witnessed; refuses the waste unwitnessed or unaccounted', async () => {
    const given = { amount: 2.5, unit: 'mg', route: 'oral' };
    // 2.5 mg of a 10 mg unit: the remaining 7.5 mg must be recorded
    const unrecorded = await administer('wasted', { given });
    expect(unrecorded.status).toBe(422);
    expect(unrecorded.body.error).toBe('waste_not_recorded');
    const unwitnessed = await administer('wasted', { given, wasted: { amount: 7.5, unit: 'mg' } });
    expect(unwitnessed.status).toBe(422);
    expect(unwitnessed.body.error).toBe('witness_required');
    const unaccounted = await administer('wasted', { given, wasted: { amount: 5, unit: 'mg' }, witness });
    expect(unaccounted.status).toBe(422);
    expect(unaccounted.body.error).toBe('waste_unaccounted');
    expect(unaccounted.body.message).toContain('given 2.5 mg + wasted 5 mg = 7.5 mg, but the unit holds 10 mg');
    expect((await api(t.adminToken, 'GET', `/api/doses/${doses.wasted.id}/timeline`)).body.dose.state).toBe('received');

    const ok = await administer('wasted', { given, wasted: { amount: 0.0075, unit: 'g' }, witness });
    expect(ok.status).toBe(201);
    expect(ok.body.flaggedForReview).toBe(false);
    expect(ok.body.slot.administered).toEqual({ given, wasted: { amount: 0.0075, unit: 'g', witness: witness.username } });
    const event = (await timeline(doses.wasted.id)).find((e) => e.action === 'administered')!;
    expect(event.evidence).toMatchObject({ given, wasted: { amount: 0.0075, unit: 'g', witness: witness.username }, witness: witness.username });
  });

  it('requires the waste of a controlled unit of unknown content to be declared and witnessed, 0 included', async () => {
    // 5 mg given from a 10 mg/mL ampoule: nothing says the ampoule was used up
    const given = { amount: 5, unit: 'mg', route: 'oral' };
    const undeclared = await administer('ampoule', { given });
    expect(undeclared.status).toBe(422);
    expect(undeclared.body.error).toBe('waste_not_declared');
    expect(undeclared.body.field).toBe('wasted');
    // a witness of the administration does not stand in for the declaration
    expect((await administer('ampoule', { given, witness })).body.error).toBe('waste_not_declared');
    const unwitnessed = await administer('ampoule', { given, wasted: { amount: 5, unit: 'mg' } });
    expect(unwitnessed.body.error).toBe('witness_required');
    expect((await api(t.adminToken, 'GET', `/api/doses/${doses.ampoule.id}/timeline`)).body.dose.state).toBe('received');
    // the ampoule held more than the 5 mg ordered: its true waste is accepted, witnessed
    const ok = await administer('ampoule', { given, wasted: { amount: 5, unit: 'mg' }, witness });
    expect(ok.status).toBe(201);
    expect(ok.body.slot.administered).toEqual({ given, wasted: { amount: 5, unit: 'mg', witness: witness.username } });
    // "nothing left" is the only account of the rest of an ampoule of unknown content: a
    // second person confirms it too, else 0 would let the remainder vanish unwitnessed
    expect((await administer('ampouleEmpty', { given, wasted: { amount: 0, unit: 'mg' } })).body.error).toBe('witness_required');
    const empty = await administer('ampouleEmpty', { given, wasted: { amount: 0, unit: 'mg' }, witness });
    expect(empty.status).toBe(201);
    expect(empty.body.slot.administered).toEqual({ given, wasted: { amount: 0, unit: 'mg', witness: witness.username } });
    const event = (await timeline(doses.ampouleEmpty.id)).find((e) => e.action === 'administered')!;
    expect(event.evidence).toMatchObject({ given, wasted: { amount: 0, unit: 'mg', witness: witness.username } });
  });

  it("accounts for a controlled unit exactly: the dose right's tolerance is no custody allowance", async () => {
    // 95 mcg of a 100 mcg unit passes the dose right (5 %), but 5 mcg of fentanyl went somewhere
    const given = { amount: 95, unit: 'mcg', route: 'oral' };
    const short = await administer('fentanyl', { given });
    expect(short.status).toBe(422);
    expect(short.body.error).toBe('waste_not_recorded');
    const nearly = await administer('fentanyl', { given, wasted: { amount: 4.9, unit: 'mcg' }, witness });
    expect(nearly.status).toBe(422);
    expect(nearly.body.error).toBe('waste_unaccounted');
    const ok = await administer('fentanyl', { given, wasted: { amount: 0.005, unit: 'mg' }, witness });
    expect(ok.status).toBe(201);
    expect(ok.body.slot.administered).toEqual({ given, wasted: { amount: 0.005, unit: 'mg', witness: witness.username } });
  });

  it('lists overrides by review state with the drug, patient and who overrode; a pharmacist reviews one once, on the chain', async () => {
    const waiting = await overrides('?reviewed=false');
    expect(waiting.total).toBe(2);
    const entry = (waiting.items as any[]).find((o) => o.doseId === doses.wrongAmount.id);
    expect(entry).toMatchObject({
      drug: { name: 'Amoxicillin', strength: '500 mg' },
      patient: { id: patient.id, bed: '12' },
      ward: WARD,
      failed: ['dose'],
      reason: 'prescriber confirmed loading dose by phone',
      overriddenBy: nurse.username,
      ordered: { amount: 500, unit: 'mg', route: 'oral' },
      administered: { given: { amount: 5000, unit: 'mg', route: 'oral' } },
      review: null,
    });
    expect(typeof entry.overriddenAt).toBe('string');
    // paging says how many there are in all
    const first = await overrides('?limit=1');
    expect(first).toMatchObject({ total: 2, limit: 1, offset: 0 });
    expect(first.items).toHaveLength(1);
    expect((await overrides('?limit=1&offset=1')).items[0].id).not.toBe(first.items[0].id);
    expect((await api(nurse.token, 'GET', '/api/administrations/overrides')).status).toBe(403);
    expect((await api(wardPharmacist.token, 'GET', '/api/administrations/overrides?limit=0')).status).toBe(400);

    const path = `/api/administrations/${entry.id}/review`;
    const bad = await api(wardPharmacist.token, 'POST', path, { outcome: 'fine', note: 'ok' });
    expect(bad.status).toBe(400);
    expect((await api(nurse.token, 'POST', path, { outcome: 'appropriate', note: 'looks right' })).status).toBe(403);
    // a clinical judgement: not the system administrator's
    expect((await api(t.adminToken, 'POST', path, { outcome: 'appropriate', note: 'looks right' })).status).toBe(403);
    const reviewed = await api(wardPharmacist.token, 'POST', path, { outcome: 'appropriate', note: 'loading dose confirmed with the prescriber' });
    expect(reviewed.status).toBe(200);
    expect(reviewed.body.review).toMatchObject({ by: wardPharmacist.username, outcome: 'appropriate', note: 'loading dose confirmed with the prescriber' });
    const again = await api(wardPharmacist.token, 'POST', path, { outcome: 'inappropriate', note: 'second opinion' });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('override_already_reviewed');
    // the refused second review is on the record, found by the dose it concerned
    const refusedReview = await api(t.adminToken, 'GET', `/api/audit/events?action=override_review_refused&actor=${wardPharmacist.username}`);
    expect(refusedReview.body.events[0]).toMatchObject({ code: 'override_already_reviewed', doseId: entry.doseId, evidence: { slotId: entry.id } });

    expect((await overrides('?reviewed=false')).total).toBe(1);
    const done = await overrides('?reviewed=true');
    expect(done.total).toBe(1);
    expect(done.items[0]).toMatchObject({ id: entry.id, review: { by: wardPharmacist.username, outcome: 'appropriate' } });
    const review = (await timeline(doses.wrongAmount.id)).filter((e) => e.action === 'override_reviewed');
    expect(review).toHaveLength(1);
    expect(review[0]).toMatchObject({ actor: { id: wardPharmacist.username }, evidence: { outcome: 'appropriate', slotId: entry.id } });
    expect((await api(t.adminToken, 'GET', '/api/audit/verify')).body.ok).toBe(true);
  });

  it('answers 404 for an unknown slot and 422 for an administration without an override', async () => {
    const unknown = await api(pharmacist.token, 'POST', '/api/administrations/00000000-0000-4000-8000-000000000000/review', {
      outcome: 'appropriate',
      note: 'none',
    });
    expect(unknown.status).toBe(404);
    const slot = (await api(t.adminToken, 'GET', `/api/patients/${patient.id}/medication`)).body.slots.find(
      (s: { doseId: string }) => s.doseId === doses.converted.id,
    );
    const none = await api(pharmacist.token, 'POST', `/api/administrations/${slot.id}/review`, { outcome: 'appropriate', note: 'nothing to review' });
    expect(none.status).toBe(422);
    expect(none.body.error).toBe('no_override');
  });

  it('raises an alarm for an override unreviewed too long, for the patient’s ward; the review (idempotent) clears it', async () => {
    const waiting = (await overrides('?reviewed=false')).items[0];
    expect(waiting.doseId).toBe(doses.wrongRoute.id);
    const alarm = await waitForAsync(
      async () =>
        ((await api(wardPharmacist.token, 'GET', '/api/alarms?type=custody.override_unreviewed')).body as any[]).find((a) => a.source.id === waiting.id),
      REVIEW_AFTER_MS + 10_000,
      'override_unreviewed alarm',
    );
    expect(alarm).toMatchObject({ severity: 'warning', ward: WARD, title: 'Override of Amoxicillin not reviewed' });
    // the reviewed one raised none
    const all = (await api(wardPharmacist.token, 'GET', '/api/alarms?type=custody.override_unreviewed')).body as any[];
    expect(all.filter((a) => a.state !== 'cleared')).toHaveLength(1);

    // a resend with the same Idempotency-Key answers the first review instead of 409
    const key = { 'idempotency-key': `review-${waiting.id}` };
    const body = { outcome: 'needs_follow_up', note: 'check swallowing assessment with the ward team' };
    const first = await api(pharmacist.token, 'POST', `/api/administrations/${waiting.id}/review`, body, key);
    expect(first.status).toBe(200);
    const resent = await api(pharmacist.token, 'POST', `/api/administrations/${waiting.id}/review`, body, key);
    expect(resent.status).toBe(200);
    expect(resent.body.review).toEqual(first.body.review);
    expect((await timeline(doses.wrongRoute.id)).filter((e) => e.action === 'override_reviewed')).toHaveLength(1);

    const cleared = await waitForAsync(
      async () => {
        const a = ((await api(wardPharmacist.token, 'GET', '/api/alarms?type=custody.override_unreviewed')).body as any[]).find((x) => x.id === alarm.id);
        return a?.state === 'cleared' ? a : null;
      },
      5000,
      'alarm cleared',
    );
    expect(cleared.cleared.reason).toContain('override reviewed');
    // and it is not raised again on the next ticks
    await new Promise((r) => setTimeout(r, 600));
    const after = (await api(wardPharmacist.token, 'GET', '/api/alarms?type=custody.override_unreviewed')).body as any[];
    expect(after.filter((a) => a.state !== 'cleared')).toHaveLength(0);
    const metrics = (await t.api('GET', '/metrics')).text;
    expect(metrics).toMatch(/medloop_bedside_overrides_total\{right="dose"\} 1/);
    expect(metrics).toMatch(/medloop_override_reviews_total\{outcome="needs_follow_up"\} 1/);
    expect(metrics).toMatch(/medloop_overrides_review_overdue 0/);
  });

  it('refuses a review by the witness who co-signed the override, or by the one who recorded it (role changed since)', async () => {
    // the pharmacist co-signs an override at the bedside, then tries to review it
    const witnessed = await administer('witnessedOverride', {
      given: { amount: 1000, unit: 'mg', route: 'oral' },
      override: { reason: 'double dose ordered verbally by the consultant' },
      witness: { username: pharmacist.username, password: pharmacist.password },
    });
    expect(witnessed.status).toBe(201);
    const byWitness = await api(pharmacist.token, 'POST', `/api/administrations/${witnessed.body.slot.id}/review`, {
      outcome: 'appropriate',
      note: 'I was there, it was fine',
    });
    expect(byWitness.status).toBe(422);
    expect(byWitness.body.error).toBe('review_not_independent');
    expect(byWitness.body.details).toMatchObject({ reviewer: pharmacist.username, part: 'witnessed' });
    // the refusal is on the record (Refusals), and the override still waits
    const refused = await api(t.adminToken, 'GET', `/api/audit/events?action=override_review_refused&actor=${pharmacist.username}`);
    expect(refused.body.events[0]).toMatchObject({ code: 'review_not_independent', doseId: doses.witnessedOverride.id });
    expect(witnessed.body.slot.id).toBeDefined();
    const waiting = (await overrides('?reviewed=false')).items as { id: string }[];
    expect(waiting.map((i) => i.id)).toContain(witnessed.body.slot.id);
    // another pharmacist may
    const other = await api(wardPharmacist.token, 'POST', `/api/administrations/${witnessed.body.slot.id}/review`, {
      outcome: 'appropriate',
      note: 'confirmed with the consultant',
    });
    expect(other.status).toBe(200);

    // a nurse records an override, then becomes a pharmacist: she may not review her own
    const overrider = await t.userToken('nurse', [WARD]);
    const own = await api(overrider.token, 'POST', '/api/administrations', {
      wristband: wristband(patient.gsrn),
      dose: doses.selfOverride.barcode,
      outcome: 'given',
      given: { amount: 1000, unit: 'mg', route: 'oral' },
      override: { reason: 'double dose ordered verbally by the consultant' },
    });
    expect(own.status).toBe(201);
    expect((await api(t.adminToken, 'PATCH', `/api/users/${overrider.id}`, { role: 'pharmacist', wards: [] })).status).toBe(200);
    const asPharmacist = await t.login(overrider.username, overrider.password);
    const self = await api(asPharmacist, 'POST', `/api/administrations/${own.body.slot.id}/review`, { outcome: 'appropriate', note: 'my own override' });
    expect(self.status).toBe(422);
    expect(self.body.error).toBe('review_not_independent');
    expect(self.body.details).toMatchObject({ part: 'recorded' });
  });
});
