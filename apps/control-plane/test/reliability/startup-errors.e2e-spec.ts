/**
 * What an operator sees when the database cannot be opened: the built server is started in
 * each situation (read-only data dir, full data dir, a data dir that cannot be created, a
 * database another process holds locked, PostgreSQL refusing the connection or missing the
 * database) and must stop with exit code 1 and ONE line on stderr naming the path or URL
 * (password redacted), the cause and the variable to change — not a driver message such as
 * `unable to open database file`, and not a hang. The read-only and full directories are
 * tmpfs mounts made here (root ignores file modes) and unmounted in afterAll.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { freePort } from '#testing';
import { startTestApp } from '../support/test-app.js';
import { MAIN, ServerProcess, STACK_TRACE } from './support.js';

interface Outcome {
  /** the exit code, or 'started' when the server came up, or 'hung' when it neither exited nor started in time */
  code: number | null | 'started' | 'hung';
  stderr: string;
  stdout: string;
}

/** Starts dist/main.js and waits (bounded) for it to exit; a server that comes up is stopped. */
function startExpectingFailure(env: Record<string, string>, limitMs = 30_000): Promise<Outcome> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env['PATH'] ?? '',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: '0',
      MQTT_WS_PORT: 'off',
      WEB_DIR: 'off',
      // info: the ready line tells a server that started anyway from one that hangs
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const err: string[] = [];
  let out = '';
  child.stderr!.on('data', (d: Buffer) => err.push(d.toString()));
  return new Promise((resolve) => {
    let verdict: Outcome['code'] | undefined;
    const finish = (code: Outcome['code']) => {
      verdict ??= code;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const timer = setTimeout(() => finish('hung'), limitMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('MedLoop control plane ready')) finish('started');
    });
    // 'close': the exit code and every byte written to stderr
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: verdict ?? code, stderr: err.join(''), stdout: out });
    });
  });
}

/** The assertions every case shares: exit 1, exactly one line on stderr, no stack trace. */
function expectOneLine(r: Outcome): string {
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: expect.stringMatching(/^medloop: [^\n]+\n$/) });
  expect(r.stderr).not.toMatch(STACK_TRACE);
  expect(r.stderr).not.toContain('unable to open database file');
  return r.stderr.trimEnd();
}

function reachable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host, timeout: 1000 });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.once('timeout', () => done(false));
  });
}

const sqliteTests = !process.env['TEST_DATABASE_URL'];
const PG_URL = new URL(process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test');

describe('start-up errors', () => {
  let root: string;
  const mounts: string[] = [];

  /** mounts a tmpfs at `dir`; null (with the reason) when this machine does not allow it */
  function mountTmpfs(dir: string, options: string): string | null {
    mkdirSync(dir, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe', timeout: 10_000 });
      mounts.push(dir);
      return null;
    } catch (err) {
      return `mount -t tmpfs -o ${options} failed: ${String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim()}`;
    }
  }

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'medloop-startup-'));
  });
  afterAll(() => {
    for (const m of mounts.reverse()) {
      try {
        execFileSync('umount', [m], { stdio: 'pipe', timeout: 10_000 });
      } catch (err) {
        process.stderr.write(`startup-errors: could not unmount ${m}: ${(err as Error).message}\n`);
      }
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('a read-only data directory names DATA_DIR and the read-only file system', async () => {
    const dir = join(root, 'ro');
    const skip = mountTmpfs(dir, 'ro,size=1m');
    if (skip) {
      process.stdout.write(`startup-errors: read-only case skipped: ${skip}\n`);
      return;
    }
    const line = expectOneLine(await startExpectingFailure({ DATA_DIR: dir }));
    expect(line).toContain(`DATA_DIR=${dir}`);
    expect(line).toMatch(/read-only file system \(EROFS\)/);
    expect(line).toMatch(/set DATA_DIR to/);
  });

  it('a full data directory names DATA_DIR and the free space', async () => {
    const dir = join(root, 'full');
    const skip = mountTmpfs(dir, 'size=1m');
    if (skip) {
      process.stdout.write(`startup-errors: full-disk case skipped: ${skip}\n`);
      return;
    }
    // fill it: write until the file system refuses (at most 1 MiB / 64 KiB = 16 writes, 64 allowed)
    const fd = openSync(join(dir, 'filler'), 'w');
    try {
      const chunk = Buffer.alloc(64 * 1024, 1);
      for (let i = 0; i < 64; i++) writeSync(fd, chunk);
      throw new Error('the 1 MiB tmpfs did not fill up');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    } finally {
      closeSync(fd);
    }
    const line = expectOneLine(await startExpectingFailure({ DATA_DIR: dir }));
    expect(line).toContain(`DATA_DIR=${dir}`);
    expect(line).toMatch(/the file system of the data directory is full \(\d+ \S+ free/);
    expect(line).toMatch(/set DATA_DIR to/);
  });

  it('a data directory that cannot be created names DATA_DIR and the file in the way', async () => {
    const file = join(root, 'a-regular-file');
    writeFileSync(file, 'not a directory');
    const dir = join(file, 'data');
    const line = expectOneLine(await startExpectingFailure({ DATA_DIR: dir }));
    expect(line).toContain(`DATA_DIR=${dir}`);
    expect(line).toContain(`${file} is a file, not a directory`);
    expect(line).toMatch(/set DATA_DIR to/);
  });

  (sqliteTests ? it : it.skip)(
    "a database another process holds locked names the database file, SQLite's lock and the variables; once released the same start succeeds",
    async () => {
      const dir = join(root, 'locked');
      // a migrated database: a start that has nothing to migrate must still notice the lock
      const first = await ServerProcess.start({ DATA_DIR: dir, ADMIN_PASSWORD: 'admin-password-for-tests' });
      await first.stop();
      const holder = new Database(join(dir, 'medloop.sqlite'));
      try {
        holder.exec('BEGIN EXCLUSIVE');
        const line = expectOneLine(await startExpectingFailure({ DATA_DIR: dir, SQLITE_BUSY_TIMEOUT_MS: '300' }));
        expect(line).toContain(`DATA_DIR=${dir}`);
        expect(line).toContain(`${join(dir, 'medloop.sqlite')} is locked by another process`);
        expect(line).toContain('SQLITE_BUSY');
        expect(line).toMatch(/SQLITE_BUSY_TIMEOUT_MS/);
      } finally {
        if (holder.inTransaction) holder.exec('ROLLBACK');
        holder.close();
      }
      const again = await ServerProcess.start({ DATA_DIR: dir, SQLITE_BUSY_TIMEOUT_MS: '300' });
      await again.stop();
    },
    90_000,
  );

  it('PostgreSQL refusing the connection names DATABASE_URL with the password redacted', async () => {
    const port = await freePort(); // nothing listens there
    const url = `postgres://medloop:s3cret-Pa55@127.0.0.1:${port}/medloop`;
    const r = await startExpectingFailure({ DATABASE_URL: url });
    const line = expectOneLine(r);
    expect(line).toContain(`DATABASE_URL=postgres://medloop:***@127.0.0.1:${port}/medloop`);
    expect(line).toContain('connection refused');
    expect(line).toContain('ECONNREFUSED');
    expect(line).toMatch(/set DATABASE_URL to/);
    // nor in the logs of the attempts before it gave up
    expect(r.stderr + r.stdout).not.toContain('s3cret-Pa55');
  });

  it('a PostgreSQL database that does not exist names it and DATABASE_URL', async () => {
    if (!(await reachable(Number(PG_URL.port || 5432), PG_URL.hostname))) {
      process.stdout.write(`startup-errors: missing-database case skipped: no PostgreSQL at ${PG_URL.host}\n`);
      return;
    }
    const missing = `medloop_missing_${process.pid}`;
    const url = new URL(PG_URL.toString());
    url.pathname = `/${missing}`;
    const line = expectOneLine(await startExpectingFailure({ DATABASE_URL: url.toString() }));
    const shown = new URL(url.toString());
    if (shown.password) shown.password = '***';
    expect(line).toContain(`DATABASE_URL=${shown.toString()}`);
    expect(line).toContain(`database "${missing}" does not exist (3D000)`);
    expect(line).toMatch(/set DATABASE_URL to/);
  });
});

(sqliteTests ? describe : describe.skip)('SQLite durability setting', () => {
  const pragma = async (env: Record<string, string>) => {
    const t = await startTestApp(env);
    try {
      const [row] = (await t.cp.app.get(DataSource).query('PRAGMA synchronous')) as { synchronous: number }[];
      return row!.synchronous;
    } finally {
      await t.close();
    }
  };

  it('commits with synchronous=FULL by default and NORMAL only when SQLITE_SYNCHRONOUS=NORMAL', async () => {
    // SQLite's numbering: 1 = NORMAL, 2 = FULL
    expect(await pragma({})).toBe(2);
    expect(await pragma({ SQLITE_SYNCHRONOUS: 'NORMAL' })).toBe(1);
  });
});

describe('PostgreSQL durability settings at start', () => {
  const schemas: string[] = [];
  afterAll(async () => {
    if (schemas.length === 0) return;
    const admin = new DataSource({ type: 'postgres', url: PG_URL.toString() });
    await admin.initialize();
    try {
      for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    } finally {
      await admin.destroy();
    }
  });

  it('warns when the session runs with synchronous_commit=off, and not with the server defaults', async () => {
    if (!(await reachable(Number(PG_URL.port || 5432), PG_URL.hostname))) {
      process.stdout.write(`startup-errors: durability-warning case skipped: no PostgreSQL at ${PG_URL.host}\n`);
      return;
    }
    const start = async (url: URL) => {
      const schema = `t_durab_${process.pid}_${schemas.length}`;
      schemas.push(schema);
      const s = await ServerProcess.start({ DATABASE_URL: url.toString(), DATABASE_SCHEMA: schema, ADMIN_PASSWORD: 'admin-password-for-tests' });
      await s.stop();
      return s.out.join('');
    };
    // the server's own settings (fsync, synchronous_commit on): nothing to warn about
    expect(await start(PG_URL)).not.toContain('PostgreSQL runs with');
    // a role, a database or the URL can turn synchronous_commit off for MedLoop's sessions
    const off = new URL(PG_URL.toString());
    off.searchParams.set('options', '-c synchronous_commit=off');
    const warned = (await start(off)).split('\n').find((l) => l.includes('PostgreSQL runs with'));
    expect(warned && JSON.parse(warned)).toMatchObject({ level: 40, synchronous_commit: 'off', fsync: 'on' });
    expect(warned).toContain('synchronous_commit=off (a server or OS crash or a power loss can take back the last commits');
  }, 90_000);
});
