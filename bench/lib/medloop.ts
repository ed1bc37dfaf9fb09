/**
 * The MedLoop control plane as a child process under test: the production entry point
 * (dist/apps/control-plane/src/main.js, with the Node flags of `npm start`) with its own
 * ports, a temporary SQLite data dir and LOG_LEVEL=warn, started from a temporary cwd so no
 * developer `.env` leaks in. Helpers
 * register devices over the HTTP API, or in bulk straight into the database (same entity,
 * same sha256 secret hashing as the app) when thousands are needed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { DeviceEntity, dataSourceOptions } from '#persistence';
import { hashDeviceSecret } from '../../apps/control-plane/src/devices/device-credentials.js';
import { killAndWait } from './child.js';
import { freePorts, sleep } from './ports.js';
import { repoRoot } from './results.js';

export const BENCH_ADMIN_PASSWORD = 'bench-admin-password-0001';
/** The Node flags `npm start` and the Docker image run the control plane with (see the README). */
export const PRODUCTION_NODE_ARGS = ['--max-semi-space-size=64'];

export interface MedloopOptions {
  dataDir?: string;
  httpPort?: number;
  mqttPort?: number;
  nodeArgs?: string[];
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

export interface DeviceCredentials {
  username: string;
  password: string;
}

export class MedloopServer {
  token = '';
  private stderrTail = '';

  private constructor(
    readonly proc: ChildProcess,
    readonly httpPort: number,
    readonly mqttPort: number,
    readonly dataDir: string,
    readonly startedAtMs: number,
    private readonly cwd: string,
  ) {
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (d: string) => {
      this.stderrTail = (this.stderrTail + d).slice(-4000);
      process.stderr.write(d.replace(/^/gm, '[medloop] '));
    });
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (d: string) => {
      // warn-level logs only: show them, they matter (auth failures, errors)
      process.stderr.write(d.replace(/^/gm, '[medloop] '));
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get mqttUrl(): string {
    return `mqtt://127.0.0.1:${this.mqttPort}`;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Starts the control plane and resolves once /health answers 200 (database and broker up). */
  static async start(opts: MedloopOptions = {}): Promise<MedloopServer> {
    // ports picked here can be taken by someone else before the server binds them: retry
    for (let attempt = 1; ; attempt++) {
      try {
        return await MedloopServer.startOnce(opts);
      } catch (err) {
        const portsGiven = opts.httpPort !== undefined || opts.mqttPort !== undefined;
        if (portsGiven || attempt >= 3 || !/already in use/.test((err as Error).message)) throw err;
      }
    }
  }

  private static async startOnce(opts: MedloopOptions): Promise<MedloopServer> {
    const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'medloop-bench-'));
    const [freeHttp, freeMqtt] = await freePorts(2);
    const httpPort = opts.httpPort ?? freeHttp!;
    const mqttPort = opts.mqttPort ?? freeMqtt!;
    const cwd = mkdtempSync(join(tmpdir(), 'medloop-bench-cwd-'));
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? cwd,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(mqttPort),
      MQTT_WS_PORT: 'off',
      DATA_DIR: dataDir,
      ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD,
      JWT_SECRET: 'bench-jwt-secret-0123456789abcdef0123456789',
      LOG_LEVEL: 'warn',
      ...(opts.env ?? {}),
    };
    const main = join(repoRoot(), 'dist', 'apps', 'control-plane', 'src', 'main.js');
    const t0 = performance.now();
    const proc = spawn(process.execPath, [...PRODUCTION_NODE_ARGS, ...(opts.nodeArgs ?? []), main], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new MedloopServer(proc, httpPort, mqttPort, dataDir, t0, cwd);
    await server.waitHealthy(opts.readyTimeoutMs ?? 60_000);
    server.token = await server.login('admin', BENCH_ADMIN_PASSWORD);
    return server;
  }

  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`medloop exited (code ${this.proc.exitCode}) before becoming healthy:\n${this.stderrTail}`);
      try {
        const r = await fetch(`${this.baseUrl}/health`, { signal: AbortSignal.timeout(2000) });
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error(`medloop not healthy after ${timeoutMs} ms:\n${this.stderrTail}`);
  }

  async api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = {};
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed };
  }

  async login(username: string, password: string): Promise<string> {
    const r = await this.api('POST', '/api/auth/login', { username, password });
    if (r.status !== 200) throw new Error(`login failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.accessToken as string;
  }

  /** POST /api/devices as admin; returns the one-time MQTT credentials. */
  async registerDevice(body: Record<string, unknown>): Promise<DeviceCredentials> {
    const r = await this.api('POST', '/api/devices', body);
    if (r.status !== 201) throw new Error(`register device failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.credentials as DeviceCredentials;
  }

  /** Graceful stop (SIGTERM: the app closes the broker and the database). */
  async stop(): Promise<void> {
    await killAndWait(this.proc, 'SIGTERM', 15_000);
    rmSync(this.cwd, { recursive: true, force: true });
  }

  /** A crash: SIGKILL, no cleanup. */
  async kill(): Promise<void> {
    await killAndWait(this.proc, 'SIGKILL', 1000);
    rmSync(this.cwd, { recursive: true, force: true });
  }

  /** Removes the data dir and the empty working directory the process ran in. */
  removeDataDir(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
    rmSync(this.cwd, { recursive: true, force: true });
  }
}

/** Registers `n` devices over HTTP with `concurrency` requests in flight. */
export async function registerOverHttp(
  server: MedloopServer,
  ids: readonly string[],
  kind: 'sensor' | 'cabinet' | 'station',
  concurrency = 8,
): Promise<{ creds: DeviceCredentials[]; seconds: number }> {
  const creds: DeviceCredentials[] = new Array(ids.length);
  const t0 = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < ids.length) {
      const i = next++;
      creds[i] = await server.registerDevice({ id: ids[i]!, kind, name: `bench ${kind} ${ids[i]}` });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, lane));
  return { creds, seconds: (performance.now() - t0) / 1000 };
}

/** A per-run key from which every bulk device's secret is derived (workers recompute them). */
export function newSecretKey(): string {
  return randomBytes(16).toString('hex');
}

export function derivedSecret(key: string, deviceId: string): string {
  return createHmac('sha256', key).update(deviceId).digest('base64url');
}

/** One device row for bulkInsertDeviceRows: robots need their VDA 5050 identity. */
export interface BulkDevice {
  id: string;
  kind: 'sensor' | 'cabinet' | 'station' | 'robot';
  ward?: string | null;
  manufacturer?: string;
  serialNumber?: string;
  interfaceName?: string;
}

/**
 * Inserts devices straight into a MedLoop SQLite database that the app has already migrated
 * (start it once, stop it, bulk insert, start again). Secrets are derived from `key` and
 * stored hashed exactly as DevicesService.register stores them.
 */
export async function bulkInsertDevices(
  dataDir: string,
  ids: readonly string[],
  kind: 'sensor' | 'cabinet' | 'station',
  key: string,
): Promise<{ seconds: number }> {
  return bulkInsertDeviceRows(
    dataDir,
    ids.map((id) => ({ id, kind })),
    key,
  );
}

/** bulkInsertDevices for mixed rows: sensors with a ward, robots with manufacturer and serial number. */
export async function bulkInsertDeviceRows(dataDir: string, devices: readonly BulkDevice[], key: string): Promise<{ seconds: number }> {
  const t0 = performance.now();
  const ds = new DataSource({ ...dataSourceOptions({ type: 'sqlite', path: join(dataDir, 'medloop.sqlite') }), migrationsRun: false });
  await ds.initialize();
  try {
    const now = new Date();
    await ds.transaction(async (em) => {
      const repo = em.getRepository(DeviceEntity);
      for (let i = 0; i < devices.length; i += 500) {
        const chunk: DeviceEntity[] = devices.slice(i, i + 500).map((d) => {
          const robot = d.kind === 'robot';
          if (robot && (!d.manufacturer || !d.serialNumber)) throw new Error(`robot ${d.id} needs manufacturer and serialNumber`);
          return {
            id: d.id,
            kind: d.kind,
            name: `bench ${d.kind} ${d.id}`,
            ward: d.ward ?? null,
            location: null,
            interfaceName: robot ? (d.interfaceName ?? 'uagv') : null,
            manufacturer: robot ? d.manufacturer! : null,
            serialNumber: robot ? d.serialNumber! : null,
            aclRules: null,
            secretHash: hashDeviceSecret(derivedSecret(key, d.id)),
            secretRotatedAt: now,
            credentialGeneration: 0,
            revokedAt: null,
            lastSeenAt: null,
            createdAt: now,
          };
        });
        await repo.insert(chunk);
      }
    });
  } finally {
    await ds.destroy();
  }
  return { seconds: (performance.now() - t0) / 1000 };
}
