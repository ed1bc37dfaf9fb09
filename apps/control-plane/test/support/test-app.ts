/**
 * Starts the real control plane for end-to-end tests: real HTTP server, real embedded broker
 * on ephemeral ports, and a real database — a fresh SQLite file by default, or a fresh
 * PostgreSQL schema when TEST_DATABASE_URL is set (CI runs the suite both ways).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { startControlPlane, type ControlPlane } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/config.js';

export const TEST_ADMIN_PASSWORD = 'admin-password-for-tests';

export interface TestApp {
  cp: ControlPlane;
  baseUrl: string;
  mqttUrl: string;
  mqttWsUrl: string | null;
  adminToken: string;
  env: Record<string, string>;
  /** fetch against the app, JSON in and out */
  api(
    method: string,
    path: string,
    opts?: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; text: string }>;
  login(username: string, password: string): Promise<string>;
  /** creates a user (as admin) and returns a token for it (and its password, for a witness to co-sign with) */
  userToken(
    role: 'admin' | 'pharmacist' | 'nurse' | 'ward_pharmacist' | 'safety_officer',
    wards?: string[],
  ): Promise<{ token: string; id: string; username: string; password: string }>;
  registerDevice(body: Record<string, unknown>): Promise<{ device: any; credentials: { username: string; password: string } }>;
  /** stops the app but keeps the database (for restart tests) */
  stop(): Promise<void>;
  /** stops the app and removes its database */
  close(): Promise<void>;
}

export interface TestDatabase {
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** A fresh, empty database for one app. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const pg = process.env['TEST_DATABASE_URL'];
  if (pg) {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    // a data dir of its own all the same: the checkpoint key and file live there by default,
    // and one shared ./data would hold other schemas' checkpoints (the anchor would fail)
    const dir = mkdtempSync(join(tmpdir(), 'medloop-test-pg-'));
    return {
      env: { DATABASE_URL: pg, DATABASE_SCHEMA: schema, DATA_DIR: dir },
      drop: async () => {
        rmSync(dir, { recursive: true, force: true });
        const ds = new DataSource({ type: 'postgres', url: pg });
        await ds.initialize();
        await ds.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await ds.destroy();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'medloop-test-'));
  return { env: { DATA_DIR: dir }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

let seq = 0;

export async function startTestApp(extraEnv: Record<string, string> = {}, db?: TestDatabase): Promise<TestApp> {
  const database = db ?? (await createTestDatabase());
  const env: Record<string, string> = {
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    MQTT_WS_PORT: '0',
    ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    ...database.env,
    ...extraEnv,
  };
  let cp: ControlPlane;
  try {
    cp = await startControlPlane(loadConfig(env), { shutdownHooks: false });
  } catch (err) {
    // a start that fails (tests of bad configuration) leaves no database behind
    if (!db) await database.drop().catch(() => undefined);
    throw err;
  }
  const baseUrl = `http://127.0.0.1:${cp.httpPort}`;
  const api: TestApp['api'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.raw !== undefined) {
      body = opts.raw;
      headers['content-type'] ??= 'application/json';
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text };
  };
  const login = async (username: string, password: string) => {
    const r = await api('POST', '/api/auth/login', { body: { username, password } });
    if (r.status !== 200) throw new Error(`login ${username} failed: ${r.status} ${r.text}`);
    return r.body.accessToken as string;
  };
  const adminToken = await login('admin', env['ADMIN_PASSWORD']!);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await cp.close();
  };
  return {
    cp,
    baseUrl,
    mqttUrl: `mqtt://127.0.0.1:${cp.mqttPorts.tcp}`,
    mqttWsUrl: cp.mqttPorts.ws ? `ws://127.0.0.1:${cp.mqttPorts.ws}` : null,
    adminToken,
    env,
    api,
    login,
    async userToken(role, wards) {
      const username = `${role.replace('_', '-')}-${++seq}-${randomBytes(3).toString('hex')}`;
      const password = `pw-${randomBytes(12).toString('hex')}`;
      const r = await api('POST', '/api/users', {
        token: adminToken,
        body: { username, password, role, ...(wards ? { wards } : role === 'nurse' ? { wards: ['ward-a'] } : {}) },
      });
      if (r.status !== 201) throw new Error(`create user failed: ${r.status} ${r.text}`);
      return { token: await login(username, password), id: r.body.id as string, username, password };
    },
    async registerDevice(body) {
      const r = await api('POST', '/api/devices', { token: adminToken, body });
      if (r.status !== 201) throw new Error(`register device failed: ${r.status} ${r.text}`);
      return r.body;
    },
    stop,
    async close() {
      await stop();
      await database.drop();
    },
  };
}
