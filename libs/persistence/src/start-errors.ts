/**
 * Why the database could not be opened at start, as one line an operator can act on: the
 * path or URL (password redacted), the cause, and the variable to change. The SQLite data
 * directory is checked before it is opened, because better-sqlite3 says only "unable to open
 * database file" whatever the reason; otherwise driver errors (SQLite result codes, PostgreSQL
 * SQLSTATEs, socket errors) are mapped. The variable names are those of the control plane's
 * environment, the one user of this library.
 */
import { accessSync, constants, existsSync, mkdirSync, statfsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DatabaseSettings } from './data-source.js';

/** A data directory with less free space than this is refused: migrations and WAL checkpoints need room. */
export const MIN_FREE_BYTES = 16 * 1024 * 1024;

export class DatabaseStartError extends Error {
  constructor(
    message: string,
    /** worth another attempt in a moment (a server still starting, refusing connections) */
    readonly transient = false,
    options?: { cause?: unknown },
  ) {
    // one line, whatever the driver put in its message
    super(message.replace(/\s*\n\s*/g, ' '), options);
    this.name = 'DatabaseStartError';
  }
}

/** The URL with its password (in the user info or a `password` parameter) replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) if (/pass/i.test(key)) u.searchParams.set(key, '***');
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@').replace(/(pass\w*=)[^&]*/gi, '$1***');
  }
}

const dataDirOf = (dbPath: string) => dirname(dbPath);
/** `DATA_DIR=./data (/srv/medloop/data)`: as set, and where that is when relative */
function dataDirLabel(dir: string): string {
  const abs = resolve(dir);
  return abs === dir ? `DATA_DIR=${dir}` : `DATA_DIR=${dir} (${abs})`;
}
const ANOTHER_DIR = 'or set DATA_DIR to a writable directory';

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${Number((n / 1024 / 1024).toFixed(1))} MiB`;
}

/** The closest existing ancestor of `dir` (itself if it exists). */
function existingAncestor(dir: string): string {
  let p = resolve(dir);
  for (let i = 0; i < 256 && !existsSync(p); i++) p = dirname(p);
  return p;
}

/** Why mkdir -p of `dir` failed, in words. */
function mkdirReason(dir: string, err: unknown): string {
  const code = errnoCode(err) ?? 'error';
  const blocker = existingAncestor(dir);
  if (code === 'ENOTDIR' || code === 'EEXIST') return `${blocker} is a file, not a directory (${code})`;
  if (code === 'EROFS') return `${blocker} is on a read-only file system (EROFS)`;
  if (code === 'EACCES' || code === 'EPERM') return `no permission to create directories in ${blocker} (${code})`;
  if (code === 'ENOSPC') return `no space left on the file system of ${blocker} (ENOSPC)`;
  return `${(err as Error).message} (${code})`;
}

/**
 * Checks the SQLite data directory before the database is opened: it exists or can be
 * created, it is a directory, it (and an existing database file) can be written, and its file
 * system has room. Throws a DatabaseStartError naming DATA_DIR otherwise. access(2) honours
 * read-only mounts even for root; free space is what an unprivileged process may use.
 */
export function checkDataDir(dbPath: string): void {
  if (dbPath === ':memory:') return;
  const dir = dataDirOf(dbPath);
  const label = dataDirLabel(dir);
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT' && errnoCode(err) !== 'ENOTDIR')
      throw new DatabaseStartError(`${label}: cannot read the data directory (${mkdirReason(dir, err)}); ${ANOTHER_DIR}`);
    try {
      mkdirSync(dir, { recursive: true });
      isDir = true;
    } catch (mkErr) {
      throw new DatabaseStartError(
        `${label}: the data directory does not exist and cannot be created: ${mkdirReason(dir, mkErr)}; set DATA_DIR to a directory that exists or can be created`,
      );
    }
  }
  if (!isDir) throw new DatabaseStartError(`${label}: ${resolve(dir)} is a file, not a directory; set DATA_DIR to a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const code = errnoCode(err);
    const [why, fix] =
      code === 'EROFS'
        ? ['is on a read-only file system (EROFS)', 'remount it read-write']
        : [`is not writable by this process (uid ${process.getuid?.() ?? '?'}, ${code})`, 'give this user write permission there'];
    throw new DatabaseStartError(`${label}: the data directory ${why} and MedLoop writes its database there; ${fix} ${ANOTHER_DIR}`);
  }
  for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) {
    if (!existsSync(file)) continue;
    try {
      accessSync(file, constants.R_OK | constants.W_OK);
    } catch (err) {
      throw new DatabaseStartError(
        `${label}: the database file ${resolve(file)} is not writable by this process (${errnoCode(err)}); make it writable ${ANOTHER_DIR}`,
      );
    }
  }
  let free: number | null = null;
  try {
    const s = statfsSync(dir);
    free = s.bavail * s.bsize;
  } catch {
    // statfs unsupported here: SQLITE_FULL is mapped if the disk is really full
  }
  if (free !== null && free < MIN_FREE_BYTES) {
    throw new DatabaseStartError(
      `${label}: the file system of the data directory is full (${formatBytes(free)} free, MedLoop needs at least ${formatBytes(MIN_FREE_BYTES)} to open and migrate its database); free space there or set DATA_DIR to a directory on another file system`,
    );
  }
}

interface DriverError {
  code?: string;
  message?: string;
  errors?: DriverError[];
  driverError?: DriverError;
}

/** The code and message of the error the driver raised (TypeORM wraps some in QueryFailedError). */
function driverError(err: unknown): { code: string; message: string } {
  let e = (err ?? {}) as DriverError;
  if (e.driverError) e = e.driverError;
  // net.connect with several addresses (localhost: ::1 and 127.0.0.1) fails with an AggregateError
  const first = e.errors?.[0];
  return { code: String(e.code ?? first?.code ?? ''), message: String(e.message || first?.message || err) };
}

function sqliteStartError(db: Extract<DatabaseSettings, { type: 'sqlite' }>, code: string, message: string): DatabaseStartError {
  const label = dataDirLabel(dataDirOf(db.path));
  const file = resolve(db.path);
  const kind = code.replace(/^(SQLITE_[A-Z]+).*/, '$1');
  switch (kind) {
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return new DatabaseStartError(
        `${label}: the database ${file} is locked by another process (${code} after waiting ${db.busyTimeoutMs ?? 5000} ms): another MedLoop server on the same DATA_DIR, or a tool holding a write transaction; stop it, raise SQLITE_BUSY_TIMEOUT_MS, or set DATA_DIR to another directory`,
      );
    case 'SQLITE_READONLY':
      return new DatabaseStartError(`${label}: the database ${file} is read-only (${code}); make it and its directory writable ${ANOTHER_DIR}`);
    case 'SQLITE_FULL':
      return new DatabaseStartError(
        `${label}: no space left to write the database ${file} (${code}); free space on that file system or set DATA_DIR to a directory on another one`,
      );
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
      return new DatabaseStartError(
        `${label}: cannot open the database ${file} (${code}: ${message}); check that the directory and file exist and are writable, ${ANOTHER_DIR}`,
      );
    case 'SQLITE_IOERR':
      return new DatabaseStartError(`${label}: input/output error on the database ${file} (${code}: ${message}); check the disk, ${ANOTHER_DIR}`);
    case 'SQLITE_NOTADB':
    case 'SQLITE_CORRUPT':
      return new DatabaseStartError(
        `${label}: ${file} is not a readable MedLoop database (${code}: ${message}); restore it from a backup or set DATA_DIR to another directory`,
      );
    default:
      return new DatabaseStartError(`${label}: cannot open the database ${file}: ${message}${code ? ` (${code})` : ''}`);
  }
}

function postgresStartError(db: Extract<DatabaseSettings, { type: 'postgres' }>, code: string, message: string): DatabaseStartError {
  const label = `DATABASE_URL=${redactUrl(db.url)}`;
  let where = 'the server';
  try {
    const u = new URL(db.url);
    where = `${u.hostname || 'localhost'}:${u.port || 5432}`;
  } catch {
    // unparsable: the label shows the URL as given
  }
  switch (code) {
    case 'ECONNREFUSED':
      return new DatabaseStartError(
        `${label}: connection refused by ${where} (ECONNREFUSED): no PostgreSQL server listens there; start it or set DATABASE_URL to its host and port`,
        true,
      );
    case 'ENOTFOUND':
      return new DatabaseStartError(
        `${label}: host ${where.replace(/:\d+$/, '')} not found (ENOTFOUND); set DATABASE_URL to the PostgreSQL server's host name`,
      );
    case 'EAI_AGAIN':
      return new DatabaseStartError(
        `${label}: host ${where.replace(/:\d+$/, '')} could not be resolved now (EAI_AGAIN); check DNS or set DATABASE_URL to the server's address`,
        true,
      );
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ECONNRESET':
      return new DatabaseStartError(
        `${label}: ${where} cannot be reached (${code}); check the network and firewall or set DATABASE_URL to the right host and port`,
      );
    case '28P01':
      return new DatabaseStartError(`${label}: authentication failed: ${message} (28P01); set DATABASE_URL to the right user name and password`);
    case '28000':
      return new DatabaseStartError(
        `${label}: the server refuses this connection: ${message} (28000); ${/role .* does not exist/.test(message) ? 'create that role' : 'allow it in pg_hba.conf'} or set DATABASE_URL to another user`,
      );
    case '3D000':
      return new DatabaseStartError(`${label}: ${message} (3D000); create it or set DATABASE_URL to an existing database`);
    case '57P03':
      return new DatabaseStartError(
        `${label}: the server is starting up or shutting down (57P03: ${message}); wait for it or set DATABASE_URL to another server`,
        true,
      );
    case '53300':
      return new DatabaseStartError(
        `${label}: the server has no connection slot left (53300: ${message}); raise max_connections or set DATABASE_URL to another server`,
        true,
      );
    case '42501':
      return new DatabaseStartError(
        `${label}: permission denied: ${message} (42501); grant that user CREATE on the database (or the schema), or set DATABASE_URL / DATABASE_SCHEMA to ones it may use`,
      );
  }
  if (/timeout/i.test(message)) {
    return new DatabaseStartError(
      `${label}: no answer from ${where} in time (${message}); check the network and firewall or set DATABASE_URL to the right host and port`,
    );
  }
  if (/password must be a string|no password/i.test(message)) {
    return new DatabaseStartError(
      `${label}: the server asks for a password and DATABASE_URL has none (${message}); set DATABASE_URL to postgres://user:password@host/database`,
    );
  }
  if (/does not support SSL/i.test(message)) {
    return new DatabaseStartError(`${label}: ${message}; remove ssl / sslmode from DATABASE_URL`);
  }
  return new DatabaseStartError(`${label}: cannot open the database: ${message}${code ? ` (${code})` : ''}`);
}

/** The start-up error for `err`, raised while opening or migrating the database `db`. */
export function databaseStartError(db: DatabaseSettings, err: unknown): DatabaseStartError {
  if (err instanceof DatabaseStartError) return err;
  const { code, message } = driverError(err);
  const mapped = db.type === 'sqlite' ? sqliteStartError(db, code, message) : postgresStartError(db, code, message);
  return new DatabaseStartError(mapped.message, mapped.transient, { cause: err });
}
