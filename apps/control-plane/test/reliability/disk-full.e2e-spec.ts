/**
 * Disk full: the data directory is a small tmpfs this test mounts and fills mid-load. Every
 * request the server answered 2xx must be in the database after space returns and after a
 * kill -9 and restart; the others must have been answered 503 `storage_unavailable` (never a
 * 2xx for a write that did not commit, never a 500); `/health` must say 503 while writes fail
 * and 200 once they commit again. Before the fix, one failed COMMIT left the connection inside
 * a transaction: every later write answered 2xx as a SAVEPOINT of it and was gone after the
 * restart. SQLite only (the data dir is the embedded database's); needs root for mount.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CustodyFixture, ServerProcess, sleep } from './support.js';

const ADMIN_PASSWORD = `disk-admin-${randomBytes(6).toString('hex')}`;
const onSqlite = !process.env['TEST_DATABASE_URL'];

function tryMount(dir: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? err);
  }
}

/** Writes a file until the filesystem has no space left (bounded: at most 200 chunks of each size). */
function fillDisk(path: string): number {
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    for (const size of [1 << 20, 64 << 10, 4 << 10, 512]) {
      const chunk = Buffer.alloc(size, 0x5a);
      for (let i = 0; i < 200; i++) {
        try {
          written += writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

(onSqlite ? describe : describe.skip)('disk full under load (SQLite data dir on a tmpfs)', () => {
  let dir: string;
  let mounted = false;
  let server: ServerProcess | null = null;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'medloop-diskfull-'));
    const err = tryMount(dir);
    if (err) throw new Error(`this test mounts a tmpfs and must run as root: ${err}`);
    mounted = true;
  });

  afterAll(async () => {
    await server?.kill9();
    if (mounted) execFileSync('umount', ['-l', dir]);
    rmdirSync(dir);
  });

  it('acknowledges only writes that committed, says 503 while the disk is full, and recovers when space returns', async () => {
    const env = { DATA_DIR: join(dir, 'data'), ADMIN_PASSWORD, JWT_SECRET: randomBytes(32).toString('hex'), STORE_PROBE_MS: '200' };
    server = await ServerProcess.start(env);
    const ports = { http: server.httpPort, mqtt: server.mqttPort };
    const admin = await server.login('admin', ADMIN_PASSWORD);
    const api = (token: string, method: string, path: string, body?: unknown) => server!.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
    const fx = await CustodyFixture.create(api, admin);
    const patient = await fx.patient('W-CARD');

    const acknowledged: string[] = [];
    const statuses = new Map<number, number>();
    const errors = new Map<string, number>();
    let stop = false;
    const order = () => api(admin, 'POST', '/api/orders', fx.orderBody(patient.id));
    const lane = async () => {
      for (let i = 0; i < 20_000 && !stop; i++) {
        const r = await order().catch(() => ({ status: 0, body: undefined, text: '' }));
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 201) acknowledged.push(r.body.id as string);
        else errors.set(String(r.body?.error), (errors.get(String(r.body?.error)) ?? 0) + 1);
        if (r.status !== 201) await sleep(20);
      }
    };
    const health: { phase: string; status: number; db: string }[] = [];
    let phase = 'before';
    const watch = async () => {
      for (let i = 0; i < 2000 && !stop; i++) {
        const r = await server!.api('GET', '/health').catch(() => ({ status: 0, body: undefined, text: '' }));
        health.push({ phase, status: r.status, db: String(r.body?.checks?.database?.status) });
        await sleep(100);
      }
    };
    const load = Promise.all([lane(), lane(), lane(), watch()]);

    await sleep(1500);
    const filler = join(dir, 'filler');
    phase = 'full';
    fillDisk(filler);
    // the database keeps trying to grow while the disk stays full
    await sleep(3000);
    const ackedWhileFull = acknowledged.length;
    phase = 'freed';
    unlinkSync(filler);
    // load goes on until writes commit again (bounded), then a little longer
    for (let i = 0; i < 100 && acknowledged.length === ackedWhileFull; i++) await sleep(200);
    await sleep(1500);
    phase = 'after';
    await sleep(500);
    stop = true;
    await load;

    // every acknowledged order must survive a kill -9 and restart, with its custody event
    await server.kill9();
    server = await ServerProcess.start(env, ports);
    const admin2 = await server.login('admin', ADMIN_PASSWORD);
    const missing: string[] = [];
    for (const id of acknowledged) {
      const r = await server.api('GET', `/api/orders/${id}`, { token: admin2 });
      if (r.status !== 200) missing.push(id);
    }
    const audit = await server.api('GET', '/api/audit/verify', { token: admin2 });

    // all facts at once, so a failure shows the whole picture
    expect({
      missingAfterRestart: missing.length,
      answers: [...statuses.keys()].filter((s) => s !== 201 && s !== 503),
      errors: [...errors.keys()],
      refusedWhileFull: (statuses.get(503) ?? 0) > 0,
      healthFailingWhileFull: health.some((h) => h.phase === 'full' && h.status === 503 && h.db === 'failing'),
      healthAfter: [...new Set(health.filter((h) => h.phase === 'after').map((h) => h.status))],
      writesAgainAfterFreed: acknowledged.length > ackedWhileFull,
      auditOk: audit.body.ok,
      eventsCoverAcknowledged: audit.body.events >= acknowledged.length,
    }).toEqual({
      missingAfterRestart: 0,
      answers: [],
      errors: ['storage_unavailable'],
      refusedWhileFull: true,
      healthFailingWhileFull: true,
      healthAfter: [200],
      writesAgainAfterFreed: true,
      auditOk: true,
      eventsCoverAcknowledged: true,
    });
    rmSync(join(dir, 'data'), { recursive: true, force: true });
  }, 180_000);
});
