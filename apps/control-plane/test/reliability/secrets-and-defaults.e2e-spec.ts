/**
 * Secrets never reach the logs, and the defaults are safe. A server process at
 * LOG_LEVEL=debug goes through a login, a device registration, MQTT connects with right and
 * wrong passwords and a badge unlock; its whole output is searched for every secret. Without
 * ADMIN_PASSWORD the first admin password is random, anonymous MQTT is refused, and without
 * JWT_SECRET tokens end with the process.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { connectMqtt, connectRefused } from '#testing';
import { CustodyFixture, newGsrn, ServerProcess, STACK_TRACE } from './support.js';

describe('secrets and safe defaults', () => {
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'medloop-secrets-'));
    dirs.push(d);
    return d;
  };
  afterAll(async () => {
    for (const s of servers) await s.kill9();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('logs no password, device secret, PIN, token or signing key at debug level', async () => {
    const secrets: Record<string, string> = {
      adminPassword: `admin-${randomBytes(8).toString('hex')}`,
      jwtSecret: randomBytes(32).toString('hex'),
      nursePassword: `nurse-${randomBytes(8).toString('hex')}`,
      wrongPassword: `wrong-${randomBytes(8).toString('hex')}`,
      pin: String(100000 + Math.floor(Math.random() * 800000)),
    };
    const s = await ServerProcess.start({
      DATA_DIR: dataDir(),
      ADMIN_PASSWORD: secrets['adminPassword']!,
      JWT_SECRET: secrets['jwtSecret']!,
      LOG_LEVEL: 'debug',
    });
    servers.push(s);
    const admin = await s.login('admin', secrets['adminPassword']!);
    secrets['adminToken'] = admin;
    expect((await s.api('POST', '/api/auth/login', { body: { username: 'admin', password: secrets['wrongPassword'] } })).status).toBe(401);
    const badge = newGsrn();
    const nurse = await s.api('POST', '/api/users', {
      token: admin,
      body: { username: 'nurse-secrets', password: secrets['nursePassword'], role: 'nurse', wards: ['W-CARD'], badgeGsrn: badge, pin: secrets['pin'] },
    });
    expect(nurse.status).toBe(201);
    const reg = await s.api('POST', '/api/devices', { token: admin, body: { kind: 'sensor', name: 'fridge', ward: 'W-CARD' } });
    secrets['deviceSecret'] = reg.body.credentials.password;
    const rotated = await s.api('POST', `/api/devices/${reg.body.device.id}/credentials`, { token: admin });
    secrets['rotatedSecret'] = rotated.body.credentials.password;
    const c = await connectMqtt(s.mqttUrl, { username: reg.body.device.id, password: secrets['rotatedSecret'] });
    await c.endAsync();
    expect(await connectRefused(s.mqttUrl, { username: reg.body.device.id, password: secrets['deviceSecret'] })).toBe(4);
    // a badge unlock (refused: the delivery is not at the ward yet) still carries the PIN through
    const pharmacist = await s.api('POST', '/api/users', {
      token: admin,
      body: { username: 'pharm-secrets', password: secrets['nursePassword'], role: 'pharmacist' },
    });
    expect(pharmacist.status).toBe(201);
    const ph = await s.login('pharm-secrets', secrets['nursePassword']!);
    const api = (token: string, method: string, path: string, body?: unknown) => s.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
    const fx = await CustodyFixture.create(api, ph, '0950600013777', admin);
    const d = await fx.delivery('W-CARD', [await fx.verifiedOrder((await fx.patient('W-CARD')).id)], 'checked');
    const unlock = await api(ph, 'POST', `/api/deliveries/${d.id}/unlock`, { compartmentId: 'C1', badge: { gsrn: badge, pin: secrets['pin'] } });
    expect(unlock.status).toBeGreaterThanOrEqual(400);
    expect(unlock.text).not.toContain(secrets['pin']);
    expect(unlock.text).not.toMatch(STACK_TRACE);
    await s.stop();
    const output = s.output;
    expect(output.length).toBeGreaterThan(1000); // debug logging did happen
    for (const [name, value] of Object.entries(secrets)) expect([name, output.includes(value)]).toEqual([name, false]);
    expect(output).not.toMatch(/"authorization":"Bearer /i);
  }, 90_000);

  it('generates a random first admin password, refuses anonymous MQTT and default passwords, and ends tokens with the process without JWT_SECRET', async () => {
    const dir = dataDir();
    const a = await ServerProcess.start({ DATA_DIR: dir, LOG_LEVEL: 'info' });
    servers.push(a);
    const pw = /password: (\S+)/.exec(a.out.join(''))?.[1];
    expect(pw).toBeDefined();
    expect(pw!.length).toBeGreaterThanOrEqual(16);
    for (const guess of ['admin', 'password', 'medloop', 'changeme']) {
      expect((await a.api('POST', '/api/auth/login', { body: { username: 'admin', password: guess } })).status).toBe(401);
    }
    expect(await connectRefused(a.mqttUrl, {})).toBe(4);
    expect(await connectRefused(a.mqttUrl, { username: 'admin', password: pw! })).toBe(4);
    const token = await a.login('admin', pw!);
    await a.stop();
    const b = await ServerProcess.start({ DATA_DIR: dir, LOG_LEVEL: 'info' }, { http: a.httpPort, mqtt: a.mqttPort });
    servers.push(b);
    expect(b.out.join('')).not.toContain('password:');
    expect((await b.api('GET', '/api/users/me', { token })).status).toBe(401);
    expect((await b.api('POST', '/api/auth/login', { body: { username: 'admin', password: pw } })).status).toBe(200);
    await b.stop();
  }, 90_000);
});
