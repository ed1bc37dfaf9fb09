/**
 * Access attacks: brute force on HTTP sign-in (the username locked from that address, with an
 * alarm, answered the same whatever the password, unlocked by an admin) and on MQTT CONNECT
 * (the source rate-limited, never the device id), forged and expired JWTs, devices stepping
 * outside their topic space, a revoked device reconnecting, a nurse acting on another ward,
 * roles acting above themselves. All denied, audited or counted, and no error leaks data.
 * (lockout-weapon.e2e-spec: the same locks cannot be turned against the innocent.)
 */
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { CustodyEventEntity } from '#persistence';
import { closed, connectMqtt, connectRefused, subscribeCodes, waitForAsync } from '#testing';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { connectFrom, httpFrom } from './sources.js';
import { CustodyFixture, scrape, STACK_TRACE } from './support.js';

const JWT_SECRET = randomBytes(32).toString('hex');
const b64 = (x: unknown) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');
const sign = (header: object, payload: object, key: string) => {
  const head = `${b64(header)}.${b64(payload)}`;
  return `${head}.${createHmac('sha256', key).update(head).digest('base64url')}`;
};

describe('access attacks', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      JWT_SECRET,
      AUTH_MAX_FAILURES: '3',
      AUTH_MAX_FAILURES_PER_ADDRESS: '1000',
      AUTH_LOCKOUT_MS: '60000',
      AUTH_FAILURE_WINDOW_MS: '60000',
      AUTH_MQTT_MAX_FAILURES_PER_ADDRESS: '3',
      AUTH_MQTT_TARPIT_MS: '0',
    });
  });
  afterAll(async () => {
    await t?.close();
  });
  const alarms = async (subject: string) =>
    ((await t.api('GET', '/api/alarms?type=security.sign_in_locked', { token: t.adminToken })).body as { source: { id: string }; state: string }[]).filter(
      (a) => a.source.id === subject,
    );

  it('locks a username from the address of repeated failed HTTP sign-ins, answering the same for right and wrong passwords, with an alarm; an admin unlocks it', async () => {
    const { username } = await t.userToken('pharmacist');
    // the harness's password is unknown here: set one
    const id = (await t.api('GET', '/api/users', { token: t.adminToken })).body.find((u: { username: string }) => u.username === username).id;
    expect((await t.api('PATCH', `/api/users/${id}`, { token: t.adminToken, body: { password: 'the-right-password-1' } })).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const r = await t.api('POST', '/api/auth/login', { body: { username, password: `guess-${i}` } });
      expect(r.status).toBe(401);
    }
    const right = await t.api('POST', '/api/auth/login', { body: { username, password: 'the-right-password-1' } });
    const wrong = await t.api('POST', '/api/auth/login', { body: { username, password: 'another-guess' } });
    for (const r of [right, wrong]) {
      expect(r.status).toBe(429);
      expect(r.body).toMatchObject({ statusCode: 429, error: 'too_many_attempts' });
      expect(r.body.accessToken).toBeUndefined();
    }
    expect(right.body.error).toBe(wrong.body.error);
    expect(Object.keys(right.body).sort()).toEqual(Object.keys(wrong.body).sort());
    // other users are not affected, nor is this one from another address
    expect((await t.api('POST', '/api/auth/login', { body: { username: 'admin', password: t.env['ADMIN_PASSWORD'] } })).status).toBe(200);
    expect((await httpFrom(t, '127.0.0.9', 'POST', '/api/auth/login', { username, password: 'the-right-password-1' })).status).toBe(200);
    await waitForAsync(async () => (await alarms(username)).length === 1, 5000, 'lock alarm');
    expect(await scrape(t.baseUrl, /^medloop_auth_lockouts_total\{channel="http",scope="pair"\}/)).toBeGreaterThanOrEqual(1);
    const locks = (await t.api('GET', '/api/auth/lockouts', { token: t.adminToken })).body as { scope: string; subject: string; address: string }[];
    expect(locks).toEqual([expect.objectContaining({ scope: 'pair', subject: username, address: '127.0.0.1' })]);
    const pharm = await t.userToken('pharmacist');
    expect((await t.api('POST', '/api/auth/lockouts/unlock', { token: pharm.token, body: { username } })).status).toBe(403);
    expect((await t.api('POST', '/api/auth/lockouts/unlock', { token: t.adminToken, body: { username } })).body).toEqual({ unlocked: 1 });
    expect((await t.api('POST', '/api/auth/login', { body: { username, password: 'the-right-password-1' } })).status).toBe(200);
    await waitForAsync(async () => (await alarms(username))[0]?.state === 'cleared', 5000, 'alarm cleared');
  });

  it('never locks a device id: bad MQTT CONNECTs are counted per source address, and the right secret connects from anywhere', async () => {
    const reg = await t.registerDevice({ kind: 'sensor', name: 'brute-force target', ward: 'W-CARD' });
    const user = reg.credentials.username;
    const attacker = '127.0.0.7';
    for (let i = 0; i < 3; i++) expect(await connectFrom(t, attacker, { username: user, password: `guess-${i}` })).toBe(4);
    // the attacker's address is over its limit: its guesses go on failing (slowly, when the
    // tarpit is on), and the right secret still connects even from there (the same NAT as a robot)
    expect(await connectFrom(t, attacker, { username: user, password: 'guess-again' })).toBe(4);
    expect(await connectFrom(t, attacker, { username: user, password: reg.credentials.password })).toBe(0);
    expect(await scrape(t.baseUrl, /^medloop_mqtt_auth_failures_total\{reason="locked"\}/)).toBe(0);
    // the device, from its own address, too
    const c = await connectMqtt(t.mqttUrl, { username: user, password: reg.credentials.password });
    await c.endAsync();
    const locks = (await t.api('GET', '/api/auth/lockouts', { token: t.adminToken })).body as { scope: string; channel: string; subject: string }[];
    expect(locks.filter((l) => l.channel === 'mqtt')).toEqual([expect.objectContaining({ scope: 'address', subject: attacker })]);
    await waitForAsync(async () => (await alarms(attacker)).length === 1, 5000, 'MQTT source alarm');
    expect((await alarms(user)).length).toBe(0);
    expect((await t.api('POST', '/api/auth/lockouts/unlock', { token: t.adminToken, body: { address: attacker } })).body).toEqual({ unlocked: 1 });
    expect(await connectFrom(t, attacker, { username: user, password: reg.credentials.password })).toBe(0);
  });

  it('locks a source address spraying many usernames (its people, not its MQTT CONNECTs)', async () => {
    const sprayApp = await startTestApp({ AUTH_MAX_FAILURES: '100', AUTH_MAX_FAILURES_PER_ADDRESS: '6', AUTH_LOCKOUT_MS: '60000' });
    try {
      for (let i = 0; i < 6; i++)
        expect((await sprayApp.api('POST', '/api/auth/login', { body: { username: `nobody-${i}`, password: 'x' } })).status).toBe(401);
      expect((await sprayApp.api('POST', '/api/auth/login', { body: { username: 'admin', password: sprayApp.env['ADMIN_PASSWORD'] } })).status).toBe(429);
      // bad CONNECTs are counted apart: the address's MQTT is open, and answers a wrong secret as wrong
      expect(await connectRefused(sprayApp.mqttUrl, { username: 'whoever', password: 'x' })).toBe(4);
      const locks = (await sprayApp.api('GET', '/api/auth/lockouts', { token: sprayApp.adminToken })).body as { scope: string; subject: string }[];
      expect(locks).toEqual([expect.objectContaining({ scope: 'address', channel: 'http', subject: '127.0.0.1' })]);
      await sprayApp.api('POST', '/api/auth/lockouts/unlock', { token: sprayApp.adminToken, body: { address: '127.0.0.1' } });
      expect((await sprayApp.api('POST', '/api/auth/login', { body: { username: 'admin', password: sprayApp.env['ADMIN_PASSWORD'] } })).status).toBe(200);
    } finally {
      await sprayApp.close();
    }
  });

  it('refuses expired, unsigned, wrongly signed and tampered tokens with one answer that leaks nothing', async () => {
    const nurse = await t.userToken('nurse', ['W-CARD']);
    const [h, p] = nurse.token.split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as { sub: string; role: string; exp: number; iat: number };
    const now = Math.floor(Date.now() / 1000);
    const forged = {
      expired: sign({ alg: 'HS256', typ: 'JWT' }, { ...payload, iat: now - 7200, exp: now - 3600 }, JWT_SECRET),
      algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...payload, role: 'admin' })}.`,
      wrongKey: sign({ alg: 'HS256', typ: 'JWT' }, { ...payload, role: 'admin' }, randomBytes(32).toString('hex')),
      tampered: `${h}.${b64({ ...payload, role: 'admin' })}.${nurse.token.split('.')[2]}`,
      hs512: sign({ alg: 'HS512', typ: 'JWT' }, payload, JWT_SECRET),
      garbage: 'not.a.jwt',
      unknownUser: sign({ alg: 'HS256', typ: 'JWT' }, { ...payload, sub: '00000000-0000-4000-8000-000000000000' }, JWT_SECRET),
    };
    const before = await scrape(t.baseUrl, /^medloop_security_denials_total\{channel="http",reason="invalid_token"\}/);
    for (const [kind, token] of Object.entries(forged)) {
      const r = await t.api('GET', '/api/users', { token });
      expect([kind, r.status, r.body]).toEqual([kind, 401, { statusCode: 401, error: 'invalid_token', message: 'invalid or expired token' }]);
      expect(r.text).not.toMatch(STACK_TRACE);
    }
    expect(await scrape(t.baseUrl, /^medloop_security_denials_total\{channel="http",reason="invalid_token"\}/)).toBe(before + Object.keys(forged).length);
    // the genuine token still works, for what the role allows only
    expect((await t.api('GET', '/api/users/me', { token: nurse.token })).status).toBe(200);
  });

  it('denies roles acting above themselves', async () => {
    const nurse = await t.userToken('nurse', ['W-CARD']);
    const pharmacist = await t.userToken('pharmacist');
    const ward = await t.userToken('ward_pharmacist');
    const attempts: [string, string, string, unknown?][] = [
      [nurse.token, 'POST', '/api/devices', { kind: 'sensor', name: 'x' }],
      [nurse.token, 'POST', '/api/users', { username: 'evil-admin', password: 'password-12345', role: 'admin' }],
      [nurse.token, 'GET', '/api/users'],
      [nurse.token, 'GET', '/api/audit/verify'],
      [pharmacist.token, 'PATCH', `/api/users/${nurse.id}`, { role: 'admin' }],
      [pharmacist.token, 'GET', '/api/auth/lockouts'],
      [ward.token, 'POST', '/api/devices', { kind: 'sensor', name: 'x' }],
    ];
    for (const [token, method, path, body] of attempts) {
      const r = await t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
      expect([method, path, r.status, r.body.error]).toEqual([method, path, 403, 'role_forbidden']);
      expect(r.text).not.toMatch(STACK_TRACE);
    }
    expect((await t.api('GET', '/api/users/me', { token: nurse.token })).body.role).toBe('nurse');
  });

  it("denies a nurse another ward's delivery and patient; the refusal is in the custody ledger and the answer names no patient", async () => {
    const pharmacist = await t.userToken('pharmacist');
    const surgNurse = await t.userToken('nurse', ['W-SURG']);
    const api = (token: string, method: string, path: string, body?: unknown) => t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
    const fx = await CustodyFixture.create(api, pharmacist.token, '0950600013999', t.adminToken);
    const p = await fx.patient('W-CARD');
    const order = await fx.verifiedOrder(p.id);
    const d = await fx.delivery('W-CARD', [order], 'checked');
    const refusals = [
      await api(surgNurse.token, 'POST', `/api/deliveries/${d.id}/unlock`, { compartmentId: 'C1' }),
      await api(surgNurse.token, 'POST', `/api/deliveries/${d.id}/receipt`, { barcode: d.barcodes[0] }),
      await api(surgNurse.token, 'GET', `/api/deliveries/${d.id}`),
      await api(surgNurse.token, 'GET', `/api/patients/${p.id}/medication`),
    ];
    for (const r of refusals) {
      expect(r.status).toBe(403);
      expect(r.text).not.toContain(p.gsrn);
      expect(r.text).not.toMatch(/Patient \d{4}/);
      expect(r.text).not.toMatch(STACK_TRACE);
    }
    const ds = t.cp.app.get(DataSource);
    const audited = await ds.getRepository(CustodyEventEntity).findBy({ deliveryId: d.id });
    expect(audited.some((e) => e.action === 'unlock_refused' && e.evidence['code'] === 'ward_forbidden')).toBe(true);
    expect(await scrape(t.baseUrl, /^medloop_security_denials_total\{channel="http",reason="ward_forbidden"\}/)).toBeGreaterThanOrEqual(4);
    // a nurse's delivery list holds her wards only
    const listed = (await api(surgNurse.token, 'GET', '/api/deliveries')).body as { id: string }[];
    expect(listed.map((x) => x.id)).not.toContain(d.id);
  });

  it('closes a device publishing outside its space, refuses its foreign subscriptions, and refuses a revoked device at CONNECT', async () => {
    const a = await t.registerDevice({ kind: 'sensor', name: 'A', ward: 'W-CARD' });
    const b = await t.registerDevice({ kind: 'cabinet', name: 'B', ward: 'W-CARD' });
    const c = await connectMqtt(t.mqttUrl, { username: a.credentials.username, password: a.credentials.password });
    expect(await subscribeCodes(c, [`medloop/v1/cabinet/${b.device.id}/command`, 'medloop/#', `medloop/v1/rejections/${b.device.id}`, '#'])).toEqual([
      0x80, 0x80, 0x80, 0x80,
    ]);
    const deniedBefore = await scrape(t.baseUrl, /^medloop_mqtt_acl_denied_total\{action="publish"\}/);
    const gone = closed(c, 5000);
    c.publish(
      `medloop/v1/cabinet/${b.device.id}/event`,
      JSON.stringify({ v: 1, deviceId: b.device.id, seq: 1, ts: new Date().toISOString(), type: 'doorForced' }),
      { qos: 1 },
    );
    await gone;
    expect(await scrape(t.baseUrl, /^medloop_mqtt_acl_denied_total\{action="publish"\}/)).toBe(deniedBefore + 1);
    // revoked: the live session is dropped and reconnecting is refused
    const live = await connectMqtt(t.mqttUrl, { username: b.credentials.username, password: b.credentials.password });
    const dropped = closed(live, 5000);
    expect((await t.api('POST', `/api/devices/${b.device.id}/revoke`, { token: t.adminToken })).status).toBe(200);
    await dropped;
    expect(await connectRefused(t.mqttUrl, { username: b.credentials.username, password: b.credentials.password })).toBe(5);
    // a revoked device retrying with its right secret is not a brute force: it never locks
    for (let i = 0; i < 5; i++) expect(await connectRefused(t.mqttUrl, { username: b.credentials.username, password: b.credentials.password })).toBe(5);
    expect((await alarms(b.credentials.username)).length).toBe(0);
  });
});
