/**
 * Builds TypeORM data-source options for the two supported databases. SQLite (better-sqlite3)
 * runs in WAL mode with a busy timeout so readers never block the writer; PostgreSQL may be
 * confined to one schema (tests give each app its own). Migrations always run at start;
 * `synchronize` is never used.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities/index.js';
import { MIGRATIONS } from './migrations/index.js';

export type DatabaseSettings = { type: 'sqlite'; path: string } | { type: 'postgres'; url: string; schema?: string };

export function dataSourceOptions(db: DatabaseSettings): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    synchronize: false,
    logging: false,
  } as const;
  if (db.type === 'sqlite') {
    if (db.path !== ':memory:') mkdirSync(dirname(db.path), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: db.path,
      prepareDatabase: (conn: { pragma(s: string): unknown }) => {
        conn.pragma('journal_mode = WAL');
        conn.pragma('synchronous = NORMAL');
        conn.pragma('busy_timeout = 5000');
        conn.pragma('foreign_keys = ON');
      },
    } as DataSourceOptions;
  }
  return {
    ...common,
    type: 'postgres',
    url: db.url,
    ...(db.schema ? { schema: db.schema } : {}),
    extra: { max: 10 },
  };
}

/** Creates the schema if a PostgreSQL schema is configured and missing. */
export async function ensurePostgresSchema(db: DatabaseSettings): Promise<void> {
  if (db.type !== 'postgres' || !db.schema) return;
  const ds = new DataSource({ type: 'postgres', url: db.url });
  await ds.initialize();
  try {
    await ds.query(`CREATE SCHEMA IF NOT EXISTS "${db.schema}"`);
  } finally {
    await ds.destroy();
  }
}
