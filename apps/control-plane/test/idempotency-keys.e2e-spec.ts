/**
 * Idempotency-Key on custody routes, through the real HTTP API: a resent request with the same
 * key returns the first outcome and writes nothing twice; the same key with another request is
 * refused; keys are per user; a malformed key names the header.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from './support/test-app.js';
import { CustodyFixture } from './reliability/support.js';

describe('Idempotency-Key (custody routes)', () => {
  let t: TestApp;
  let fx: CustodyFixture;
  let patientId: string;
  let pharmacist: string;
  /** a second pharmacist verifies what the first entered (separation of duties) */
  let verifier: string;

  beforeAll(async () => {
    t = await startTestApp();
    pharmacist = (await t.userToken('pharmacist')).token;
    verifier = (await t.userToken('pharmacist')).token;
    fx = await CustodyFixture.create((token, method, path, body) => t.api(method, path, { token, ...(body !== undefined ? { body } : {}) }), pharmacist);
    patientId = (await fx.patient('W-CARD')).id;
  });
  afterAll(async () => {
    await t?.close();
  });

  const orderBody = (amount = 500) => fx.orderBody(patientId, { amount });
  const post = (token: string, path: string, body: unknown, key?: string) =>
    t.api('POST', path, { token, body, ...(key !== undefined ? { headers: { 'idempotency-key': key } } : {}) });
  const ordersOfPatient = async () => ((await t.api('GET', `/api/orders?patientId=${patientId}`, { token: pharmacist })).body as unknown[]).length;
  const events = async () => (await t.api('GET', '/api/audit/verify', { token: t.adminToken })).body.events as number;

  it('answers a resent request with the first outcome and records nothing twice', async () => {
    const key = `"${randomUUID()}"`;
    const body = orderBody();
    const [orders0, events0] = [await ordersOfPatient(), await events()];
    const first = await post(pharmacist, '/api/orders', body, key);
    expect(first.status).toBe(201);
    const events1 = await events();
    expect(events1).toBe(events0 + 1);
    const again = await post(pharmacist, '/api/orders', body, key);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    const verifyKey = randomUUID();
    expect(await events()).toBe(events1);
    const v1 = await post(verifier, `/api/orders/${first.body.id}/verify`, undefined, verifyKey);
    const events2 = await events();
    const v2 = await post(verifier, `/api/orders/${first.body.id}/verify`, undefined, verifyKey);
    expect([v1.status, v2.status]).toEqual([200, 200]);
    expect(v2.body).toEqual(v1.body);
    expect(await ordersOfPatient()).toBe(orders0 + 1);
    expect(await events()).toBe(events2);
    // without a key, a resend is a new request: the order is already verified
    const v3 = await post(verifier, `/api/orders/${first.body.id}/verify`, undefined);
    expect(v3.status).toBe(422);
  });

  it('refuses the same key for another request (422) and keeps keys of different users apart', async () => {
    const key = randomUUID();
    expect((await post(pharmacist, '/api/orders', orderBody(250), key)).status).toBe(201);
    const reused = await post(pharmacist, '/api/orders', orderBody(750), key);
    expect(reused.status).toBe(422);
    expect(reused.body).toMatchObject({ error: 'idempotency_key_reused', field: 'Idempotency-Key' });
    const other = (await t.userToken('pharmacist')).token;
    const before = await ordersOfPatient();
    expect((await post(other, '/api/orders', orderBody(250), key)).status).toBe(201);
    expect(await ordersOfPatient()).toBe(before + 1);
  });

  it('a refusal before anything was written is not stored: the retry is judged again', async () => {
    const key = randomUUID();
    const missing = await post(pharmacist, `/api/orders/${randomUUID()}/verify`, undefined, key);
    expect(missing.status).toBe(404);
    expect((await post(pharmacist, `/api/orders/${randomUUID()}/verify`, undefined, randomUUID())).status).toBe(404);
  });

  it('names the header when the key is malformed', async () => {
    for (const bad of ['two words', 'x'.repeat(300)]) {
      const r = await post(pharmacist, '/api/orders', orderBody(), bad);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ field: 'Idempotency-Key' });
    }
  });
});
