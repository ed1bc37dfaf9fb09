/**
 * Lost COMMIT replies on PostgreSQL: the server reaches the database through this test's own
 * TCP proxy, which lets COMMITs through and drops their answers (and, for a while, refuses
 * every connection). Before the fix, the custody ledger kept its chain head in memory: the
 * committed write never advanced it, and every later custody write failed on the events'
 * primary key with a 500 until a restart, while the client's retry duplicated the first one.
 * Now: the outcome of a lost commit is read back (201 when it committed), a retry with the same
 * Idempotency-Key writes nothing twice, custody writes succeed as soon as the database answers,
 * and the chain verifies. PostgreSQL only (TEST_DATABASE_URL).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '../support/test-app.js';
import { LossyPgProxy } from './pg-proxy.js';
import { CustodyFixture, ServerProcess, sleep } from './support.js';

const PG = process.env['TEST_DATABASE_URL'];
const ADMIN_PASSWORD = `lost-admin-${randomBytes(6).toString('hex')}`;

(PG ? describe : describe.skip)('lost COMMIT replies (PostgreSQL behind a lossy proxy)', () => {
  let db: TestDatabase;
  let proxy: LossyPgProxy;
  let server: ServerProcess | null = null;

  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await LossyPgProxy.start(new URL(PG!));
  });

  afterAll(async () => {
    await server?.kill9();
    await proxy?.close();
    await db?.drop();
  });

  it('reads a lost commit back, never duplicates a retried write, and keeps custody writable', async () => {
    const url = new URL(PG!);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    // one admin enters and verifies every order here (the test is about lost COMMIT replies, not duties)
    const env = {
      ...db.env,
      DATABASE_URL: url.toString(),
      ADMIN_PASSWORD,
      JWT_SECRET: randomBytes(32).toString('hex'),
      STORE_PROBE_MS: '200',
      POLICY_ORDER_SEPARATION_OF_DUTIES: 'false',
    };
    server = await ServerProcess.start(env);
    const admin = await server.login('admin', ADMIN_PASSWORD);
    const api = (method: string, path: string, body?: unknown, key?: string) =>
      server!.api(method, path, { token: admin, ...(body !== undefined ? { body } : {}), ...(key ? { headers: { 'idempotency-key': key } } : {}) });
    const fx = await CustodyFixture.create((_t, m, p, b) => api(m, p, b), admin);
    const patient = await fx.patient('W-CARD');
    const orderBody = () => fx.orderBody(patient.id);
    const ordersOfPatient = async () => ((await api('GET', `/api/orders?patientId=${patient.id}`)).body as { id: string }[]).map((o) => o.id);

    // 1. the reply to one COMMIT is lost, the database stays reachable: the server reads the
    //    write back, finds it committed and answers 201 — the truth
    proxy.loseCommitReplies(1);
    const first = await api('POST', '/api/orders', orderBody(), randomUUID());
    expect(proxy.cutCommits).toBe(1);
    expect(first.status).toBe(201);

    // 2. the reply is lost and the database is gone for a moment: the outcome cannot be read
    //    back, so the answer is 503 (outcome unknown); the retry with the same key, once the
    //    database answers, returns the first outcome and writes nothing twice
    const key = randomUUID();
    const body = orderBody();
    proxy.loseCommitReplies(1, 1500);
    const unsure = await api('POST', '/api/orders', body, key);
    // while the database is gone, a read is 503 too (not 500 internal_error), and /health names it
    const read = await api('GET', `/api/orders?patientId=${patient.id}`);
    const health = await server.api('GET', '/health');
    expect(proxy.cutCommits).toBe(2);
    expect({ read: [read.status, read.body?.error], health: health.status }).toEqual({ read: [503, 'storage_unavailable'], health: 503 });
    expect(unsure.status).toBe(503);
    expect(unsure.body.error).toBe('storage_unavailable');
    let retry = unsure;
    for (let i = 0; i < 50 && retry.status === 503; i++) {
      await sleep(200);
      retry = await api('POST', '/api/orders', body, key);
    }
    expect(retry.status).toBe(200);
    expect(retry.body.outcome).toBe('committed');
    const committedOrderId = (retry.body.custodyEvents as { orderId: string; action: string }[]).find((e) => e.action === 'order_received')!.orderId;
    const again = await api('POST', '/api/orders', body, key);
    expect(again.status).toBe(200);
    expect(again.body.custodyEvents).toEqual(retry.body.custodyEvents);

    // 3. custody writes work at once (before the fix: 500 on the events' primary key for ever)
    const next = await api('POST', '/api/orders', orderBody(), randomUUID());
    expect(next.status).toBe(201);
    const verify = await api('POST', `/api/orders/${next.body.id}/verify`, undefined, randomUUID());
    expect(verify.status).toBe(200);

    // no duplicate: exactly the three orders (first, the retried one, next)
    expect((await ordersOfPatient()).sort()).toEqual([first.body.id, committedOrderId, next.body.id].sort());
    const timeline = await api('GET', `/api/orders/${committedOrderId}`);
    expect(timeline.status).toBe(200);
    const audit = await api('GET', '/api/audit/verify');
    expect(audit.body.ok).toBe(true);
    expect(audit.body.head.seq).toBe(audit.body.events);

    // the key and its outcome survive a restart
    await server.stop();
    server = await ServerProcess.start(env, { http: server.httpPort, mqtt: server.mqttPort });
    const afterRestart = await api('POST', '/api/orders', body, key);
    expect(afterRestart.status).toBe(200);
    expect(afterRestart.body.custodyEvents).toEqual(retry.body.custodyEvents);
    expect((await ordersOfPatient()).length).toBe(3);
  }, 120_000);
});
