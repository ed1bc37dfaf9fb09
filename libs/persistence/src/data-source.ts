/**
 * Builds TypeORM data-source options for the two supported databases, and opens the
 * server's database with start-up checks. SQLite (better-sqlite3) runs in WAL mode with a busy
 * timeout so readers never block the writer, and with `synchronous = FULL` unless NORMAL is
 * chosen: in WAL mode FULL syncs the log at every commit, so a committed custody event
 * survives a power loss, while NORMAL syncs only at checkpoints (a power loss can take the
 * last commits back; a process crash cannot). PostgreSQL may be confined to one schema (tests
 * give each app its own); its durability (fsync, synchronous_commit) is the server's, which
 * MedLoop reads at start and never changes. Migrations always run at start; `synchronize` is
 * never used.
 */
import { resolve } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities/index.js';
import { MIGRATIONS } from './migrations/index.js';
import { checkDataDir, databaseStartError } from './start-errors.js';

export const SQLITE_SYNCHRONOUS = ['FULL', 'NORMAL'] as const;
export type SqliteSynchronous = (typeof SQLITE_SYNCHRONOUS)[number];
export const DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 5000;

export type DatabaseSettings =
  | {
      type: 'sqlite';
      path: string;
      /** default FULL */
      synchronous?: SqliteSynchronous;
      /** how long a statement waits for another connection's lock before SQLITE_BUSY */
      busyTimeoutMs?: number;
    }
  | { type: 'postgres'; url: string; schema?: string };

/** A PostgreSQL connection attempt that gets no answer fails after this instead of hanging the start. */
const PG_CONNECT_TIMEOUT_MS = 10_000;

interface SqliteConnection {
  pragma(s: string): unknown;
  exec(sql: string): unknown;
  close(): unknown;
}

export function dataSourceOptions(db: DatabaseSettings): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    synchronize: false,
    logging: false,
  } as const;
  if (db.type === 'sqlite') {
    const synchronous = db.synchronous ?? 'FULL';
    const busyTimeoutMs = db.busyTimeoutMs ?? DEFAULT_SQLITE_BUSY_TIMEOUT_MS;
    return {
      ...common,
      type: 'better-sqlite3',
      database: db.path,
      timeout: busyTimeoutMs,
      prepareDatabase: (conn: SqliteConnection) => {
        try {
          conn.pragma('journal_mode = WAL');
          conn.pragma(`synchronous = ${synchronous}`);
          conn.pragma(`busy_timeout = ${busyTimeoutMs}`);
          conn.pragma('foreign_keys = ON');
          // take the write lock once: a database another process holds (a second server on
          // the same file, a tool in a write transaction) fails the start here with SQLITE_BUSY
          // instead of failing the first custody write later, even when there is nothing to migrate
          conn.exec('BEGIN IMMEDIATE');
          conn.exec('COMMIT');
        } catch (err) {
          conn.close();
          throw err;
        }
      },
    } as DataSourceOptions;
  }
  return {
    ...common,
    type: 'postgres',
    url: db.url,
    ...(db.schema ? { schema: db.schema } : {}),
    connectTimeoutMS: PG_CONNECT_TIMEOUT_MS,
    extra: { max: 10 },
  };
}

/** Creates the schema if a PostgreSQL schema is configured and missing. */
export async function ensurePostgresSchema(db: DatabaseSettings): Promise<void> {
  if (db.type !== 'postgres' || !db.schema) return;
  const ds = new DataSource({ type: 'postgres', url: db.url, connectTimeoutMS: PG_CONNECT_TIMEOUT_MS });
  await ds.initialize();
  try {
    await ds.query(`CREATE SCHEMA IF NOT EXISTS "${db.schema}"`);
  } finally {
    await ds.destroy();
  }
}

/** What openDatabase reports through (pino's Logger fits). */
export interface DatabaseLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Opens and migrates the server's database: checks the SQLite data directory first, maps any
 * failure to a one-line DatabaseStartError (path or redacted URL, cause, variable to change),
 * and logs the durability settings in force, with a warning when PostgreSQL's are off.
 */
export async function openDatabase(db: DatabaseSettings, logger?: DatabaseLogger, options: DataSourceOptions = dataSourceOptions(db)): Promise<DataSource> {
  let ds: DataSource | undefined;
  try {
    if (db.type === 'sqlite') checkDataDir(db.path);
    await ensurePostgresSchema(db);
    ds = new DataSource(options);
    await ds.initialize();
  } catch (err) {
    if (ds?.isInitialized) await ds.destroy().catch(() => undefined);
    throw databaseStartError(db, err);
  }
  if (db.type === 'sqlite') {
    logger?.info({ path: resolve(db.path), journalMode: 'wal', synchronous: db.synchronous ?? 'FULL' }, 'SQLite database open');
  } else {
    await reportPostgresDurability(ds, logger);
  }
  return ds;
}

/**
 * PostgreSQL's durability is the server's configuration (postgresql.conf, or ALTER ROLE /
 * DATABASE … SET, or `options` in the URL): fsync=off or full_page_writes=off can corrupt the
 * database on an OS crash or power loss, synchronous_commit=off can take back the last
 * commits (the database stays consistent). MedLoop never turns them off; it warns at start
 * when it finds them off, as seen by its own session.
 */
async function reportPostgresDurability(ds: DataSource, logger?: DatabaseLogger): Promise<void> {
  let settings: Record<string, string>;
  try {
    const rows = (await ds.query(`SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes')`)) as {
      name: string;
      setting: string;
    }[];
    settings = Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  } catch (err) {
    logger?.warn({ err: (err as Error).message }, 'could not read PostgreSQL durability settings (fsync, synchronous_commit)');
    return;
  }
  const risks: string[] = [];
  if (settings['fsync'] === 'off') risks.push('fsync=off (an OS crash or power loss can corrupt the database)');
  if (settings['full_page_writes'] === 'off') risks.push('full_page_writes=off (a power loss can leave torn pages: corruption)');
  if (settings['synchronous_commit'] === 'off')
    risks.push('synchronous_commit=off (a server or OS crash or a power loss can take back the last commits, custody events included)');
  if (risks.length > 0) {
    logger?.warn(
      { ...settings },
      `PostgreSQL runs with ${risks.join(', ')}; MedLoop never changes these server settings: turn them back on (postgresql.conf, or ALTER ROLE / DATABASE … RESET)`,
    );
  } else {
    logger?.info({ ...settings }, 'PostgreSQL database open');
  }
}
