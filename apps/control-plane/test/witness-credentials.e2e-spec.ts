/**
 * Co-signing without tokens, and badge PINs throttled as secrets, end to end with a simulated
 * robot: a high-alert delivery checked with a second pharmacist's badge + PIN, opened at the
 * robot by badge + PIN (guessing from that place stopped after the configured failures, with
 * the security alarm), and given at the bedside with a witness of the ward. Each refusal has its own code;
 * a pasted token is not even a field any more.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { newGsrn, orderBody, patientBody, unitBarcode, waitForAsync, withCheck, wristband } from '#testing';
import { validateFhirBundle } from '#domain';
import type { RobotSimulator } from '../../../simulators/robot/index.js';
import { startRobot } from './support/robot.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const GTIN_HEPARIN = withCheck('0950600013437');
const WARD = 'W-CARD';
const MAX_FAILURES = 3;
/** what the nurse gave: the ordered dose, by the ordered route */
const GIVEN = { amount: 5000, unit: 'IU', route: 'oral' };

interface Person {
  token: string;
  id: string;
  username: string;
  password: string;
  badge: { gsrn: string; pin: string };
}

describe('witness credentials and badge PINs', () => {
  let t: TestApp;
  let pharmacist: Person;
  let pharmacist2: Person;
  let nurse: Person;
  let nurse2: Person;
  let otherWardNurse: Person;
  const sims: RobotSimulator[] = [];
  let medicationId: string;
  let patient: { id: string; gsrn: string };
  let deliveryId: string;
  let doseIds: string[] = [];
  let robotId: string;
  let seq = 0;

  beforeAll(async () => {
    t = await startTestApp({
      AUTH_MAX_FAILURES: String(MAX_FAILURES),
      AUTH_MAX_FAILURES_PER_ADDRESS: '1000',
      AUTH_LOCKOUT_MS: '60000',
      AUTH_FAILURE_WINDOW_MS: '60000',
      ORDER_ACK_TIMEOUT_MS: '400',
      DISPATCH_INTERVAL_MS: '150',
      CUSTODY_TICK_MS: '200',
      UNLOCK_CONFIRM_TIMEOUT_MS: '3000',
    });
    pharmacist = await person('pharmacist');
    pharmacist2 = await person('pharmacist');
    nurse = await person('nurse', [WARD]);
    nurse2 = await person('nurse', [WARD]);
    otherWardNurse = await person('nurse', ['W-SURG']);
    medicationId = (
      await api(pharmacist.token, 'POST', '/api/medications', { gtin: GTIN_HEPARIN, name: 'Heparin', strength: '5000 IU', route: 'oral', highAlert: true })
    ).body.id;
    const g = newGsrn();
    patient = { id: (await api(pharmacist.token, 'POST', '/api/patients', patientBody(g, WARD))).body.id, gsrn: g };
  }, 60_000);
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.stop().catch(() => undefined)));
  });
  afterAll(async () => {
    await Promise.all(sims.splice(0).map((s) => s.stop().catch(() => undefined)));
    await t?.close();
  });

  const api = (token: string, method: string, path: string, body?: unknown) => t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });

  /** A user with a known password and a badge + PIN. */
  async function person(role: 'pharmacist' | 'nurse', wards?: string[]): Promise<Person> {
    const username = `${role}-wit-${++seq}`;
    const password = `pw-${role}-${seq}-secret`;
    const badge = { gsrn: newGsrn(), pin: String(1000 + seq * 7) };
    const r = await t.api('POST', '/api/users', {
      token: t.adminToken,
      body: { username, password, role, ...(wards ? { wards } : {}), badgeGsrn: badge.gsrn, pin: badge.pin },
    });
    expect(r.status).toBe(201);
    return { token: await t.login(username, password), id: r.body.id, username, password, badge };
  }

  const unit = (serial: string) => unitBarcode(GTIN_HEPARIN, serial);
  const metrics = async () => (await t.api('GET', '/metrics')).text;
  const metric = (text: string, name: string, labels: Record<string, string>) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  const timelineEvent = async (doseId: string, action: string) =>
    ((await api(t.adminToken, 'GET', `/api/doses/${doseId}/timeline`)).body.events as { action: string; evidence: Record<string, unknown> }[]).find(
      (e) => e.action === action,
    );

  it('a high-alert check is co-signed by a second pharmacist with badge + PIN; a nurse, the actor or a pasted token are refused', async () => {
    const d = await api(pharmacist.token, 'POST', '/api/deliveries', { ward: WARD });
    expect(d.status).toBe(201);
    deliveryId = d.body.id;
    for (const serial of ['H-1', 'H-2', 'H-3', 'H-4']) {
      // entered by the admin, verified by the pharmacist: two people, whatever the site's policy
      const o = await api(t.adminToken, 'POST', '/api/orders', {
        ...orderBody(patient.id, medicationId, { inMinutes: 10, priority: 'urgent' }),
        dose: { amount: 5000, unit: 'IU' },
      });
      expect(o.status).toBe(201);
      expect((await api(pharmacist.token, 'POST', `/api/orders/${o.body.id}/verify`)).status).toBe(200);
      const p = await api(pharmacist.token, 'POST', `/api/deliveries/${deliveryId}/picks`, { orderId: o.body.id, barcode: unit(serial) });
      expect(p.status).toBe(201);
    }
    const check = (body: unknown) => api(pharmacist.token, 'POST', `/api/deliveries/${deliveryId}/check`, body);

    // the old way: a second pharmacist's bearer token, pasted. Not a field any more.
    const pasted = await check({ witnessToken: pharmacist2.token });
    expect(pasted.status).toBe(400);
    expect(pasted.body.message).toContain('witnessToken');
    const tokenAsWitness = await check({ witness: { token: pharmacist2.token } });
    expect(tokenAsWitness.status).toBe(400);
    expect(tokenAsWitness.body.field).toBe('witness');
    const badPin = await check({ witness: { badge: { gsrn: pharmacist2.badge.gsrn, pin: '12' } } });
    expect(badPin.status).toBe(400);
    expect(badPin.body.field).toBe('witness.badge.pin');

    expect((await check({})).body.error).toBe('witness_required');
    const self = await check({ witness: { badge: pharmacist.badge } });
    expect(self.status).toBe(422);
    expect(self.body.error).toBe('witness_same_as_actor');
    // the independent double check is a pharmacist's, even from a nurse of the destination ward
    const byNurse = await check({ witness: { badge: nurse.badge } });
    expect(byNurse.status).toBe(422);
    expect(byNurse.body.error).toBe('witness_role_forbidden');

    const ok = await check({ witness: { badge: pharmacist2.badge } });
    expect(ok.status).toBe(200);
    doseIds = (ok.body.doses as { id: string; state: string }[]).map((x) => x.id);
    expect(ok.body.doses.every((x: { state: string }) => x.state === 'checked')).toBe(true);
    const checked = await timelineEvent(doseIds[0]!, 'checked');
    expect(checked?.evidence).toMatchObject({ witness: pharmacist2.username, witnessRole: 'pharmacist', witnessVia: 'badge' });
    // the FHIR export still validates as R4 and names both pharmacists of the double check
    const fhir = (await api(t.adminToken, 'GET', `/api/doses/${doseIds[0]}/fhir`)).body;
    expect(validateFhirBundle(fhir)).toEqual([]);
    const dispense = (
      fhir.entry as {
        resource: { resourceType: string; performer?: { function: { coding: { code: string }[] }; actor: { identifier?: { value: string } } }[] };
      }[]
    )
      .map((e) => e.resource)
      .find((r) => r.resourceType === 'MedicationDispense');
    expect(dispense?.performer?.map((p) => [p.function.coding[0]!.code, p.actor.identifier?.value])).toEqual([
      ['packager', pharmacist.username],
      ['checker', pharmacist.username],
      ['finalchecker', pharmacist2.username],
    ]);
  }, 60_000);

  it('stops badge PIN guessing at the robot after the configured failures (the right PIN refused too), raises the alarm; an admin lifts it', async () => {
    const r = await startRobot(t.baseUrl, t.mqttUrl, t.adminToken, 'WIT-1');
    sims.push(r.sim);
    robotId = r.id;
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${deliveryId}/load`, { robotId, compartments: { C1: doseIds } })).status).toBe(200);
    expect((await api(pharmacist.token, 'POST', `/api/deliveries/${deliveryId}/dispatch`)).status).toBe(200);
    await waitForAsync(async () => (await api(t.adminToken, 'GET', `/api/deliveries/${deliveryId}`)).body.state === 'arrived', 30_000, 'delivery arrived');

    const before = await metrics();
    // the nurse-station session of a colleague; the badge at the robot is the nurse's
    const unlock = (pin: string) =>
      api(nurse2.token, 'POST', `/api/deliveries/${deliveryId}/unlock`, { compartmentId: 'C1', badge: { gsrn: nurse.badge.gsrn, pin } });
    const wrongPin = nurse.badge.pin === '0000' ? '0001' : '0000';
    for (let i = 0; i < MAX_FAILURES; i++) {
      const wrong = await unlock(wrongPin);
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toBe('badge_invalid');
    }
    // locked: the right PIN is not even looked at
    const right = await unlock(nurse.badge.pin);
    expect(right.status).toBe(429);
    expect(right.body.error).toBe('badge_locked');
    expect(right.body.details.retryAfterS).toBeGreaterThan(0);
    const again = await unlock(wrongPin);
    expect(again.status).toBe(429);
    expect(Object.keys(again.body).sort()).toEqual(Object.keys(right.body).sort());
    expect((await api(t.adminToken, 'GET', `/api/deliveries/${deliveryId}`)).body.state).toBe('arrived');

    // the security alarm names the badge and its holder
    await waitForAsync(
      async () => ((await api(t.adminToken, 'GET', '/api/alarms?type=security.badge_locked')).body as unknown[]).length === 1,
      5000,
      'badge alarm raised',
    );
    const [alarm] = (await api(t.adminToken, 'GET', '/api/alarms?type=security.badge_locked')).body as {
      key: string;
      state: string;
      title: string;
      message: string;
    }[];
    expect(alarm).toMatchObject({ key: `security.badge_locked:${nurse.badge.gsrn}`, state: 'raised' });
    expect(alarm!.title).toContain(nurse.username);
    expect(alarm!.message).toContain(WARD);
    // counted: the wrong PINs, the refusals while locked, the lock
    const after = await metrics();
    const n = (labels: Record<string, string>, name = 'medloop_auth_failures_total') => metric(after, name, labels) - metric(before, name, labels);
    expect(n({ channel: 'badge', reason: 'bad_credentials' })).toBe(MAX_FAILURES);
    expect(n({ channel: 'badge', reason: 'locked' })).toBe(2);
    // locked at this source (the badge is locked everywhere only after AUTH_BADGE_MAX_FAILURES)
    expect(n({ channel: 'badge', scope: 'pair' }, 'medloop_auth_lockouts_total')).toBe(1);
    const lockouts = (await api(t.adminToken, 'GET', '/api/auth/lockouts')).body as { scope: string; subject: string }[];
    expect(lockouts).toEqual(expect.arrayContaining([expect.objectContaining({ scope: 'pair', channel: 'badge', subject: nurse.badge.gsrn })]));

    // the administrator lifts the lock: the alarm clears and the right PIN opens the compartment
    expect((await api(t.adminToken, 'POST', '/api/auth/lockouts/unlock', { badge: nurse.badge.gsrn })).body).toEqual({ unlocked: 1 });
    const cleared = (await api(t.adminToken, 'GET', '/api/alarms?type=security.badge_locked')).body as { state: string }[];
    expect(cleared.map((a) => a.state)).toEqual(['cleared']);
    const opened = await unlock(nurse.badge.pin);
    expect(opened.status).toBe(200);
    expect(opened.body.state).toBe('unlocked');
    expect(opened.body.unlocks).toEqual([expect.objectContaining({ compartmentId: 'C1', by: nurse.username })]);
    for (const serial of ['H-1', 'H-2', 'H-3', 'H-4'])
      expect((await api(nurse.token, 'POST', `/api/deliveries/${deliveryId}/receipt`, { barcode: unit(serial) })).status).toBe(200);
    expect((await api(nurse.token, 'POST', `/api/deliveries/${deliveryId}/receipt/complete`)).body.state).toBe('completed');
  }, 90_000);

  it('a high-alert administration is co-signed by a nurse of the ward (badge) or a pharmacist (password); another ward, the actor, a wrong password are refused', async () => {
    const give = (serial: string, witness?: unknown, extra: Record<string, unknown> = {}) =>
      api(nurse.token, 'POST', '/api/administrations', {
        wristband: wristband(patient.gsrn),
        dose: unit(serial),
        outcome: 'given',
        given: GIVEN,
        ...(witness !== undefined ? { witness } : {}),
        ...extra,
      });
    const pasted = await give('H-1', undefined, { witnessToken: nurse2.token });
    expect(pasted.status).toBe(400);
    expect(pasted.body.message).toContain('witnessToken');
    const alone = await give('H-1');
    expect(alone.body.error).toBe('witness_required');
    expect((await give('H-1', { badge: nurse.badge })).body.error).toBe('witness_same_as_actor');
    const elsewhere = await give('H-1', { badge: otherWardNurse.badge });
    expect(elsewhere.status).toBe(422);
    expect(elsewhere.body.error).toBe('witness_wrong_ward');

    const before = await metrics();
    const wrong = await give('H-1', { username: pharmacist.username, password: 'not-the-password' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error).toBe('witness_not_authenticated');
    // an unknown person answers the same: which part was wrong is not said
    const nobody = await give('H-1', { username: 'no-such-person', password: 'whatever-it-is' });
    expect(nobody.body).toEqual(wrong.body);
    // a disabled account too, with its right password or PIN: a distinct answer only for the
    // right secret would tell whoever holds a leaked credential that it is right
    const gone = await person('nurse', [WARD]);
    expect((await t.api('PATCH', `/api/users/${gone.id}`, { token: t.adminToken, body: { disabled: true } })).status).toBe(200);
    const goneRight = await give('H-1', { username: gone.username, password: gone.password });
    expect(goneRight.status).toBe(422);
    expect(goneRight.body).toEqual(wrong.body);
    expect((await give('H-1', { username: gone.username, password: 'not-the-password' })).body).toEqual(wrong.body);
    const goneBadge = await give('H-1', { badge: gone.badge });
    expect(goneBadge.status).toBe(422);
    expect(goneBadge.body).toEqual(wrong.body);
    const after = await metrics();
    // every one counted as a failure (the disabled account's three as well)
    expect(metric(after, 'medloop_auth_failures_total', { channel: 'witness', reason: 'bad_credentials' })).toBe(
      metric(before, 'medloop_auth_failures_total', { channel: 'witness', reason: 'bad_credentials' }) + 4,
    );
    expect(metric(after, 'medloop_auth_failures_total', { channel: 'badge', reason: 'bad_credentials' })).toBe(
      metric(before, 'medloop_auth_failures_total', { channel: 'badge', reason: 'bad_credentials' }) + 1,
    );

    const byBadge = await give('H-1', { badge: nurse2.badge });
    expect(byBadge.status).toBe(201);
    expect(byBadge.body.dose.state).toBe('administered');
    expect((await timelineEvent(doseIds[0]!, 'administered'))?.evidence).toMatchObject({ witness: nurse2.username, witnessRole: 'nurse', witnessVia: 'badge' });

    const byPassword = await give('H-2', { username: pharmacist2.username, password: pharmacist2.password });
    expect(byPassword.status).toBe(201);
    const given = (byPassword.body.dose as { id: string }).id;
    expect((await timelineEvent(given, 'administered'))?.evidence).toMatchObject({
      witness: pharmacist2.username,
      witnessRole: 'pharmacist',
      witnessVia: 'password',
    });
  }, 60_000);

  it('a witness password guessed too often locks that account from that address, as a sign-in, before the password is looked at', async () => {
    const give = (password: string) =>
      api(nurse.token, 'POST', '/api/administrations', {
        wristband: wristband(patient.gsrn),
        dose: unit('H-3'),
        outcome: 'given',
        given: GIVEN,
        witness: { username: nurse2.username, password },
      });
    for (let i = 0; i < MAX_FAILURES; i++) expect((await give(`guess-${i}`)).body.error).toBe('witness_not_authenticated');
    const right = await give(nurse2.password);
    expect(right.status).toBe(429);
    expect(right.body.error).toBe('witness_locked');
    // one password, one counter: the same guesses lock the sign-in from the same address
    expect((await t.api('POST', '/api/auth/login', { body: { username: nurse2.username, password: nurse2.password } })).status).toBe(429);
    await waitForAsync(
      async () =>
        ((await api(t.adminToken, 'GET', '/api/alarms?type=security.sign_in_locked')).body as { key: string }[]).some((a) =>
          a.key.endsWith(`:${nurse2.username}`),
        ),
      5000,
      'sign-in lock alarm for the witness',
    );
    expect((await api(t.adminToken, 'POST', '/api/auth/lockouts/unlock', { username: nurse2.username })).body).toEqual({ unlocked: 1 });
    expect((await give(nurse2.password)).status).toBe(201);
  }, 60_000);
});
