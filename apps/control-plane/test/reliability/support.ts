/**
 * Shared pieces of the reliability suite: the built server as a child process (so it can be
 * killed with SIGKILL and restarted on the same ports and data), GS1 fixtures for custody
 * flows, an in-process robot, Prometheus scraping, and bounded timing helpers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePorts, newGsrn, orderBody, type OrderOptions, patientBody, unitBarcode, withCheck, wristband } from '#testing';
import { io } from 'socket.io-client';
import { LIVE_NAMESPACE } from '#contracts';

export const MAIN = resolve('dist/apps/control-plane/src/main.js');
/** FUZZ_RUNS raises every property's run count (CI keeps the defaults). */
export const FUZZ_RUNS = Number(process.env['FUZZ_RUNS'] ?? 0) || 0;
export const runs = (ciDefault: number) => Math.max(ciDefault, FUZZ_RUNS);

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export type ApiResult = { status: number; body: any; text: string };

export async function http(
  baseUrl: string,
  method: string,
  path: string,
  opts: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<ApiResult> {
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
  const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text };
}

/** The production entry point as a child process, with its output kept for inspection. */
export class ServerProcess {
  readonly out: string[] = [];
  readonly err: string[] = [];
  readonly exited: Promise<number | null>;
  /** after exit, once its last output has been read */
  private readonly stdioClosed: Promise<void>;
  private constructor(
    readonly child: ChildProcess,
    readonly httpPort: number,
    readonly mqttPort: number,
  ) {
    child.stdout!.on('data', (d: Buffer) => this.out.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => this.err.push(d.toString()));
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
    this.stdioClosed = new Promise((r) => child.once('close', () => r()));
  }

  /**
   * Starts dist/main.js on the given ports (a restart on the same data), or on free ones; a
   * free port can still be taken by another listener before the child binds it, so a start
   * on free ports that fails with "already in use" tries new ones.
   */
  static async start(env: Record<string, string>, ports?: { http: number; mqtt: number }): Promise<ServerProcess> {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
    for (let attempt = 1; ; attempt++) {
      const [http, mqtt] = ports ? [ports.http, ports.mqtt] : await freePorts(2);
      try {
        return await ServerProcess.startOn(env, http!, mqtt!);
      } catch (err) {
        if (ports || attempt === 3 || !/is already in use/.test((err as Error).message)) throw err;
      }
    }
  }

  private static async startOn(env: Record<string, string>, httpPort: number, mqttPort: number): Promise<ServerProcess> {
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env['PATH'] ?? '',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(httpPort),
        MQTT_HOST: '127.0.0.1',
        MQTT_PORT: String(mqttPort),
        MQTT_WS_PORT: 'off',
        WEB_DIR: 'off',
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const p = new ServerProcess(child, httpPort, mqttPort);
    const started = Date.now();
    for (;;) {
      if (child.exitCode !== null) {
        await Promise.race([p.stdioClosed, sleep(2000)]);
        throw new Error(`server exited with ${child.exitCode}: ${p.err.join('')}`);
      }
      if (p.output.includes('MedLoop control plane ready')) break;
      const health = await fetch(`${p.baseUrl}/health`).then(
        (r) => r.status,
        () => 0,
      );
      if (health === 200) break;
      if (Date.now() - started > 30_000) {
        child.kill('SIGKILL');
        throw new Error(`server not ready within 30 s: ${p.err.join('')}`);
      }
      await sleep(50);
    }
    return p;
  }

  get output(): string {
    return this.out.join('') + this.err.join('');
  }
  get baseUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }
  get mqttUrl(): string {
    return `mqtt://127.0.0.1:${this.mqttPort}`;
  }
  api(method: string, path: string, opts?: Parameters<typeof http>[3]): Promise<ApiResult> {
    return http(this.baseUrl, method, path, opts);
  }
  async login(username: string, password: string): Promise<string> {
    const r = await this.api('POST', '/api/auth/login', { body: { username, password } });
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
    return r.body.accessToken as string;
  }
  /** SIGKILL: no shutdown hook runs, nothing is flushed. */
  async kill9(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(t);
  }
}

/** Sums the samples of a metric whose line matches `re` (e.g. /^medloop_x\{channel="mqtt"/). */
export function metricSum(text: string, re: RegExp): number {
  return text
    .split('\n')
    .filter((l) => !l.startsWith('#') && re.test(l))
    .reduce((s, l) => s + Number(l.split(' ').pop()), 0);
}

export async function scrape(baseUrl: string, re: RegExp): Promise<number> {
  const r = await fetch(`${baseUrl}/metrics`);
  return metricSum(await r.text(), re);
}

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

// ---- GS1 fixtures (libs/testing factories) -----------------------------------------------

export { newGsrn, unitBarcode, withCheck, wristband };

type Api = (token: string, method: string, path: string, body?: unknown) => Promise<ApiResult>;

/** The pharmacy side of a custody flow through the HTTP API, as custody.e2e-spec.ts drives it. */
export class CustodyFixture {
  private serial = 0;
  constructor(
    private readonly api: Api,
    private readonly pharmacist: string,
    readonly gtin: string,
    readonly medicationId: string,
    private readonly tag = Math.random().toString(36).slice(2, 7),
    /** who enters orders (another user than the verifying pharmacist: separation of duties) */
    private readonly orderDesk: string = pharmacist,
  ) {}

  /** `orderDesk`: the token that enters orders for `verifiedOrder` (an admin's will do); the pharmacist verifies them. */
  static async create(api: Api, pharmacist: string, gtinBody = '0950600013435', orderDesk?: string): Promise<CustodyFixture> {
    const gtin = withCheck(gtinBody);
    const r = await api(pharmacist, 'POST', '/api/medications', { gtin, name: 'Amoxicillin', strength: '500 mg', route: 'oral' });
    if (r.status !== 201) throw new Error(`medication: ${r.status} ${r.text}`);
    return new CustodyFixture(api, pharmacist, gtin, r.body.id as string, undefined, orderDesk);
  }

  async patient(ward: string): Promise<{ id: string; gsrn: string }> {
    const g = newGsrn();
    const r = await this.api(this.pharmacist, 'POST', '/api/patients', patientBody(g, ward));
    if (r.status !== 201) throw new Error(`patient: ${r.status} ${r.text}`);
    return { id: r.body.id as string, gsrn: g };
  }

  /** The body of POST /api/orders for one oral dose of this medication, due in `inMinutes`. */
  orderBody(patientId: string, opts: OrderOptions = {}) {
    return orderBody(patientId, this.medicationId, opts);
  }

  async verifiedOrder(patientId: string): Promise<string> {
    const o = await this.api(this.orderDesk, 'POST', '/api/orders', this.orderBody(patientId, { inMinutes: 10, priority: 'urgent' }));
    if (o.status !== 201) throw new Error(`order: ${o.status} ${o.text}`);
    const v = await this.api(this.pharmacist, 'POST', `/api/orders/${o.body.id}/verify`);
    if (v.status !== 200) throw new Error(`verify: ${v.status} ${v.text}`);
    return o.body.id as string;
  }

  /** A delivery with one picked dose per order, advanced to `until`. */
  async delivery(
    ward: string,
    orderIds: string[],
    until: 'picked' | 'checked' | 'loaded' | 'dispatched',
    robotId?: string,
  ): Promise<{ id: string; doseIds: string[]; barcodes: string[] }> {
    const d = await this.api(this.pharmacist, 'POST', '/api/deliveries', { ward });
    if (d.status !== 201) throw new Error(`delivery: ${d.status} ${d.text}`);
    const id = d.body.id as string;
    const doseIds: string[] = [];
    const barcodes: string[] = [];
    for (const orderId of orderIds) {
      const serial = `S-${this.tag}-${++this.serial}`;
      const barcode = unitBarcode(this.gtin, serial);
      const r = await this.api(this.pharmacist, 'POST', `/api/deliveries/${id}/picks`, { orderId, barcode });
      if (r.status !== 201) throw new Error(`pick: ${r.status} ${r.text}`);
      doseIds.push((r.body.doses as { id: string; serial: string }[]).find((x) => x.serial === serial)!.id);
      barcodes.push(barcode);
    }
    if (until === 'picked') return { id, doseIds, barcodes };
    const c = await this.api(this.pharmacist, 'POST', `/api/deliveries/${id}/check`, {});
    if (c.status !== 200) throw new Error(`check: ${c.status} ${c.text}`);
    if (until === 'checked') return { id, doseIds, barcodes };
    const l = await this.api(this.pharmacist, 'POST', `/api/deliveries/${id}/load`, { robotId, compartments: { C1: doseIds } });
    if (l.status !== 200) throw new Error(`load: ${l.status} ${l.text}`);
    if (until === 'loaded') return { id, doseIds, barcodes };
    const s = await this.api(this.pharmacist, 'POST', `/api/deliveries/${id}/dispatch`);
    if (s.status !== 200) throw new Error(`dispatch: ${s.status} ${s.text}`);
    return { id, doseIds, barcodes };
  }
}

export { startRobot } from '../support/robot.js';

/** Deterministic "random" (a small LCG) for drop decisions. */
export function seeded(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Stack-trace lines as Node prints them (`    at fn (file:line:col)`). */
export const STACK_TRACE = /\n\s+at \S+.*:\d+:\d+/;

/** The live gateway's answer to a handshake with `token`: 'connected' or the refusal's code. */
export function liveHandshake(baseUrl: string, token: string): Promise<string> {
  return new Promise<string>((resolve) => {
    const s = io(`${baseUrl}${LIVE_NAMESPACE}`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    const done = (v: string) => {
      s.close();
      resolve(v);
    };
    s.once('connect', () => done('connected'));
    s.once('connect_error', (err: Error & { data?: { code?: string } }) => done(err.data?.code ?? err.message));
    setTimeout(() => done('timeout'), 5000).unref();
  });
}
