import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('HTTP API foundation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('GET /health reports database, broker and dispatch loop up', async () => {
    const r = await t.api('GET', '/health');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ok');
    expect(r.body.checks.database.status).toBe('up');
    expect(r.body.checks.broker.status).toBe('up');
    expect(r.body.checks.dispatcher).toMatchObject({ status: 'up', lastRoundAgoMs: expect.any(Number) });
  });

  it('serves the OpenAPI document and its UI', async () => {
    const doc = await t.api('GET', '/api/docs-json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/auth/login', '/api/devices', '/api/devices/{id}', '/health']));
    expect(doc.body.paths['/api/devices'].post.requestBody.content['application/json'].schema.properties.kind.enum).toContain('robot');
    const ui = await t.api('GET', '/api/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
  });

  describe('authentication and roles', () => {
    it('logs in with the bootstrap admin and returns a bearer JWT', async () => {
      const r = await t.api('POST', '/api/auth/login', { body: { username: 'admin', password: 'admin-password-for-tests' } });
      expect(r.status).toBe(200);
      expect(r.body.tokenType).toBe('Bearer');
      expect(r.body.accessToken.split('.')).toHaveLength(3);
      expect(r.body.user).toMatchObject({ username: 'admin', role: 'admin' });
    });

    it('refuses a wrong password with 401 and no detail about which part was wrong', async () => {
      const a = await t.api('POST', '/api/auth/login', { body: { username: 'admin', password: 'wrong-password' } });
      const b = await t.api('POST', '/api/auth/login', { body: { username: 'nobody', password: 'wrong-password' } });
      expect(a.status).toBe(401);
      expect(b.status).toBe(401);
      expect(a.body.message).toBe(b.body.message);
    });

    it('answers 401 without a token and with a forged token', async () => {
      expect((await t.api('GET', '/api/devices')).status).toBe(401);
      const [h, p] = t.adminToken.split('.');
      const forged = `${h}.${p}.${'A'.repeat(43)}`;
      const r = await t.api('GET', '/api/devices', { token: forged });
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_token');
    });

    it('answers 403 for a role acting above itself', async () => {
      const nurse = await t.userToken('nurse', ['ward-a']);
      const r = await t.api('POST', '/api/devices', { token: nurse.token, body: { kind: 'sensor', name: 'x' } });
      expect(r.status).toBe(403);
      expect(r.body.error).toBe('role_forbidden');
      expect((await t.api('GET', '/api/users', { token: nurse.token })).status).toBe(403);
      // but may read what its role allows
      expect((await t.api('GET', '/api/devices', { token: nurse.token })).status).toBe(200);
      const me = await t.api('GET', '/api/users/me', { token: nurse.token });
      expect(me.body).toMatchObject({ role: 'nurse', wards: ['ward-a'] });
      expect(me.body.passwordHash).toBeUndefined();
    });

    it('a disabled user is locked out at once, even with a valid token', async () => {
      const p = await t.userToken('pharmacist');
      expect((await t.api('GET', '/api/users/me', { token: p.token })).status).toBe(200);
      expect((await t.api('PATCH', `/api/users/${p.id}`, { token: t.adminToken, body: { disabled: true } })).status).toBe(200);
      expect((await t.api('GET', '/api/users/me', { token: p.token })).status).toBe(401);
    });
  });

  describe('bad input', () => {
    it('400 names the field at fault', async () => {
      const r = await t.api('POST', '/api/users', { token: t.adminToken, body: { username: 'nurse-x', password: 'long-enough-password', role: 'nurse' } });
      expect(r.status).toBe(400);
      expect(r.body.field).toBe('wards');
      expect(r.body.message).toBe('wards: a nurse must be assigned to at least one ward');
    });

    it('400 for unknown fields and wrong types', async () => {
      const r = await t.api('POST', '/api/devices', { token: t.adminToken, body: { kind: 'robot', name: 'R', manufacturer: 'Acme', serialNumber: 7 } });
      expect(r.status).toBe(400);
      expect(r.body.field).toBe('serialNumber');
      const u = await t.api('POST', '/api/auth/login', { body: { username: 'admin', password: 'x', extra: 1 } });
      expect(u.status).toBe(400);
      expect(u.body.message).toMatch(/extra/);
    });

    it('400 for malformed JSON, as JSON, without a stack trace', async () => {
      const r = await t.api('POST', '/api/auth/login', { raw: '{"username": "adm' });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_json');
      expect(r.text).not.toMatch(/at .*\.js:\d+/);
    });

    it('413 for an oversized body', async () => {
      const r = await t.api('POST', '/api/auth/login', { raw: JSON.stringify({ username: 'a'.repeat(2_000_000), password: 'x' }) });
      expect(r.status).toBe(413);
      expect(r.body.error).toBe('payload_too_large');
    });

    it('431 for a request line and headers over the limit, 400 for a malformed request line: JSON, counted', async () => {
      const long = await t.api('GET', `/api/devices/${'x'.repeat(20_000)}`, { token: t.adminToken });
      expect(long.status).toBe(431);
      expect(long.body).toEqual({ statusCode: 431, error: 'headers_too_large', message: 'request line and headers exceed 16384 bytes' });
      // a request line no HTTP parser accepts, sent over a raw socket
      const answer = await new Promise<string>((resolve, reject) => {
        const s = connect(t.cp.httpPort, '127.0.0.1', () => s.write('GET /health HTTP/1.1 trailing-junk\r\n\r\n'));
        let text = '';
        s.on('data', (d) => (text += d.toString()));
        s.on('end', () => resolve(text));
        s.on('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(answer).toContain('Content-Type: application/json');
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ statusCode: 400, error: 'malformed_request' });
      const metrics = (await t.api('GET', '/metrics')).text;
      expect(metrics).toMatch(/medloop_rejected_inputs_total\{channel="http",family="request",reason="headers_too_large"\} [1-9]/);
      expect(metrics).toMatch(/medloop_rejected_inputs_total\{channel="http",family="request",reason="malformed_request"\} [1-9]/);
      expect((await t.api('GET', '/health')).status).toBe(200);
    });

    it('404 for unknown ids, 409 for duplicates', async () => {
      const nf = await t.api('GET', '/api/devices/no-such-device', { token: t.adminToken });
      expect(nf.status).toBe(404);
      expect(nf.body.message).toBe("Device 'no-such-device' not found");
      const body = { username: 'dup-user', password: 'long-enough-password', role: 'pharmacist' };
      expect((await t.api('POST', '/api/users', { token: t.adminToken, body })).status).toBe(201);
      const dup = await t.api('POST', '/api/users', { token: t.adminToken, body });
      expect(dup.status).toBe(409);
      expect(dup.body.field).toBe('username');
    });
  });

  it('GET /metrics exposes HTTP and rejection counters in Prometheus text', async () => {
    await t.api('POST', '/api/auth/login', { raw: '{bad' });
    const r = await t.api('GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/medloop_http_requests_total\{method="GET",route="\/health",status="200"\} \d+/);
    expect(r.text).toMatch(/medloop_rejected_inputs_total\{channel="http",family="body",reason="invalid_json"\} [1-9]/);
    expect(r.text).toContain('medloop_mqtt_connections');
  });

  it('redacts secrets from log lines', async () => {
    const { REDACT_PATHS } = await import('../src/common/logger.js');
    const { pino } = await import('pino');
    const lines: string[] = [];
    const logger = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, { write: (s: string) => lines.push(s) });
    logger.info({ password: 'hunter2-secret', body: { password: 'p2-secret', secret: 's3-secret' }, req: { headers: { authorization: 'Bearer abc' } } }, 'x');
    expect(lines.join('')).toContain('[redacted]');
    expect(lines.join('')).not.toMatch(/hunter2|p2-secret|s3-secret|Bearer abc/);
  });
});
