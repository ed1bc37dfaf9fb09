import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { checkDataDir, databaseStartError, DatabaseStartError, redactUrl } from './start-errors.js';

const PG = { type: 'postgres' as const, url: 'postgres://medloop:hunter2-secret@db.ward.local:5433/medloop' };
const SQLITE = { type: 'sqlite' as const, path: '/srv/medloop/data/medloop.sqlite', busyTimeoutMs: 250 };
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('redactUrl', () => {
  it('replaces the password, wherever the URL carries it, and leaves the rest', () => {
    expect(redactUrl('postgres://u:p%40ss@h:5432/db')).toBe('postgres://u:***@h:5432/db');
    expect(redactUrl('postgres://u@h/db?password=x&sslmode=require')).toBe('postgres://u@h/db?password=***&sslmode=require');
    expect(redactUrl('postgres://u@h/db')).toBe('postgres://u@h/db');
    expect(redactUrl('postgres://u:secret@[bad')).toBe('postgres://u:***@[bad');
  });
});

describe('databaseStartError on PostgreSQL', () => {
  const line = (err: unknown) => {
    const e = databaseStartError(PG, err);
    expect(e).toBeInstanceOf(DatabaseStartError);
    expect(e.message).not.toContain('hunter2-secret');
    expect(e.message).not.toContain('\n');
    expect(e.message.startsWith('DATABASE_URL=postgres://medloop:***@db.ward.local:5433/medloop: ')).toBe(true);
    return e;
  };

  it('names the cause and the variable for each refusal', () => {
    expect(line(pgError('28P01', 'password authentication failed for user "medloop"')).message).toMatch(
      /authentication failed: password authentication failed for user "medloop" \(28P01\); set DATABASE_URL to the right user name and password$/,
    );
    expect(line(pgError('3D000', 'database "medloop" does not exist')).message).toMatch(
      /database "medloop" does not exist \(3D000\); create it or set DATABASE_URL to an existing database$/,
    );
    expect(line(pgError('28000', 'role "medloop" does not exist')).message).toMatch(/\(28000\); create that role or set DATABASE_URL/);
    expect(line(pgError('28000', 'no pg_hba.conf entry for host "10.0.0.3"')).message).toMatch(/\(28000\); allow it in pg_hba.conf or set DATABASE_URL/);
    expect(line(pgError('ENOTFOUND', 'getaddrinfo ENOTFOUND db.ward.local')).message).toMatch(/host db.ward.local not found \(ENOTFOUND\); set DATABASE_URL/);
    expect(line(new Error('Connection terminated due to connection timeout')).message).toMatch(/no answer from db.ward.local:5433 in time/);
    expect(line(pgError('42501', 'permission denied for database medloop')).message).toMatch(/permission denied: .* \(42501\); .*DATABASE_SCHEMA/);
  });

  it('finds the code inside an AggregateError (localhost: both ::1 and 127.0.0.1 refused) and marks refusals worth a retry', () => {
    const refused = new AggregateError(
      [pgError('ECONNREFUSED', 'connect ECONNREFUSED ::1:5433'), pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5433')],
      '',
    );
    const e = line(refused);
    expect(e.message).toMatch(/connection refused by db.ward.local:5433 \(ECONNREFUSED\): no PostgreSQL server listens there; start it or set DATABASE_URL/);
    expect(e.transient).toBe(true);
    expect(e.cause).toBe(refused);
    expect(line(pgError('57P03', 'the database system is starting up')).transient).toBe(true);
    expect(line(pgError('28P01', 'password authentication failed')).transient).toBe(false);
    expect(line(pgError('3D000', 'database "x" does not exist')).transient).toBe(false);
  });

  it('keeps an unknown error on one line with the target named', () => {
    expect(line(pgError('XX000', 'something\nbroke')).message).toMatch(/: cannot open the database: something broke \(XX000\)$/);
  });
});

describe('databaseStartError on SQLite', () => {
  const msg = (err: unknown) => databaseStartError(SQLITE, err).message;
  it('maps result codes, also when TypeORM wrapped them, to the file, the cause and the variable', () => {
    expect(msg({ driverError: pgError('SQLITE_BUSY', 'database is locked') })).toBe(
      'DATA_DIR=/srv/medloop/data: the database /srv/medloop/data/medloop.sqlite is locked by another process (SQLITE_BUSY after waiting 250 ms): another MedLoop server on the same DATA_DIR, or a tool holding a write transaction; stop it, raise SQLITE_BUSY_TIMEOUT_MS, or set DATA_DIR to another directory',
    );
    expect(msg(pgError('SQLITE_READONLY_DBMOVED', 'attempt to write a readonly database'))).toMatch(/is read-only \(SQLITE_READONLY_DBMOVED\); .*set DATA_DIR/);
    expect(msg(pgError('SQLITE_FULL', 'database or disk is full'))).toMatch(/no space left to write the database .* \(SQLITE_FULL\); .*set DATA_DIR/);
    expect(msg(pgError('SQLITE_CANTOPEN', 'unable to open database file'))).toMatch(
      /cannot open the database .* \(SQLITE_CANTOPEN: unable to open database file\); .*set DATA_DIR/,
    );
    expect(msg(pgError('SQLITE_NOTADB', 'file is not a database'))).toMatch(/is not a readable MedLoop database \(SQLITE_NOTADB: .*restore it from a backup/);
  });
});

describe('checkDataDir', () => {
  const root = mkdtempSync(join(tmpdir(), 'medloop-datadir-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const failure = (dbPath: string) => {
    try {
      checkDataDir(dbPath);
    } catch (err) {
      expect(err).toBeInstanceOf(DatabaseStartError);
      return (err as Error).message;
    }
    throw new Error('expected a DatabaseStartError');
  };

  it('creates a missing directory and accepts a writable one', () => {
    const dir = join(root, 'a', 'b');
    checkDataDir(join(dir, 'medloop.sqlite'));
    checkDataDir(join(dir, 'medloop.sqlite'));
  });

  it('names the file in the way of a directory', () => {
    const file = join(root, 'plain-file');
    writeFileSync(file, 'x');
    expect(failure(join(file, 'medloop.sqlite'))).toBe(`DATA_DIR=${file}: ${file} is a file, not a directory; set DATA_DIR to a directory`);
    expect(failure(join(file, 'sub', 'medloop.sqlite'))).toBe(
      `DATA_DIR=${join(file, 'sub')}: the data directory does not exist and cannot be created: ${file} is a file, not a directory (ENOTDIR); set DATA_DIR to a directory that exists or can be created`,
    );
  });

  it('shows a relative DATA_DIR as set and where it resolves', () => {
    const file = join(root, 'rel-file');
    writeFileSync(file, 'x');
    const rel = relative(process.cwd(), join(file, 'd'));
    expect(failure(join(rel, 'medloop.sqlite')).startsWith(`DATA_DIR=${rel} (${join(file, 'd')}): `)).toBe(true);
  });
});
