/**
 * What the backup and restore commands read from a database they did not start: the custody
 * chain head a backup holds, and the whole-chain verification of a restored database (the
 * same code as `GET /api/audit/verify`, over the app's own repository). The database is
 * opened as the app opens it, minus migrations: a backup is checked as it was taken, never
 * upgraded on the way.
 */
import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { CustodyEventEntity, CustodyRepository, dataSourceOptions, type DatabaseSettings } from '#persistence';
import { ConfigError } from '../config/config.js';
import { verifyCustodyChain, type AuditReport } from '../custody/chain-verify.js';

export interface ChainHead {
  seq: number;
  hash: string;
}

const interruptCleanups = new Set<() => void>();

/**
 * Registers synchronous cleanup to run if the command is interrupted (SIGINT, SIGTERM) while
 * it works: what a finished or failed run removes in its own `finally`. Returns the undo.
 */
export function onInterrupt(cleanup: () => void): () => void {
  interruptCleanups.add(cleanup);
  return () => interruptCleanups.delete(cleanup);
}

/**
 * Runs every registered cleanup once, the latest first (child processes are stopped before the
 * staging they write to is removed), then exits with 128 + the signal number.
 */
export function exitOnInterrupt(signal: 'SIGINT' | 'SIGTERM', write: (line: string) => void): void {
  write(`interrupted (${signal}): cleaning up`);
  for (const c of [...interruptCleanups].reverse()) {
    interruptCleanups.delete(c);
    try {
      c();
    } catch {
      // best effort: the process is leaving
    }
  }
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

/** A failure the command reports in one line (exit status 2). */
export class BackupError extends Error {
  override name = 'BackupError';
}

/**
 * A data source on `db` without migrations. SQLite: `readonly` opens the file read-only;
 * otherwise `journal` sets its journal mode (a restored copy is switched out of WAL so the
 * file stands alone when it is renamed into place).
 */
export function checkDataSource(db: DatabaseSettings, opts: { readonly?: boolean; journal?: 'delete' } = {}): DataSource {
  const base = dataSourceOptions(db);
  if (db.type === 'sqlite') {
    return new DataSource({
      ...base,
      migrationsRun: false,
      readonly: opts.readonly ?? false,
      fileMustExist: true,
      prepareDatabase: (conn: { pragma(s: string): unknown }) => {
        conn.pragma('busy_timeout = 5000');
        if (opts.journal && !opts.readonly) conn.pragma(`journal_mode = ${opts.journal}`);
      },
    } as DataSourceOptions);
  }
  return new DataSource({ ...base, migrationsRun: false, extra: { max: 2 } } as DataSourceOptions);
}

export async function withDataSource<T>(ds: DataSource, work: (ds: DataSource) => Promise<T>): Promise<T> {
  await ds.initialize();
  try {
    return await work(ds);
  } finally {
    await ds.destroy();
  }
}

/** The chain head stored in the database; null when no custody event was ever recorded. */
export async function readChainHead(ds: DataSource): Promise<ChainHead | null> {
  const h = await new CustodyRepository(ds).head();
  return h ? { seq: h.seq, hash: h.hash } : null;
}

/**
 * Re-hashes every custody event and compares the result with the stored head. A backup is
 * verified as it was written, before migrations bring it up to date: one taken before the
 * events' `ward` column existed (migration 1764300300000) is read without it (its events have
 * no ward, and hash without one).
 */
export async function verifyCustody(ds: DataSource): Promise<AuditReport> {
  const repo = new CustodyRepository(ds);
  const qr = ds.createQueryRunner();
  const hasWard = await qr.hasColumn('custody_events', 'ward').finally(() => qr.release());
  if (hasWard) return verifyCustodyChain(repo);
  const columns = ds
    .getMetadata(CustodyEventEntity)
    .columns.map((c) => c.propertyName)
    .filter((p) => p !== 'ward');
  return verifyCustodyChain({
    head: () => repo.head(),
    eventsAfter: async (seq, limit) =>
      (
        await ds.manager
          .createQueryBuilder(CustodyEventEntity, 'e')
          .select(columns.map((c) => `e.${c}`))
          .where('e.seq > :seq', { seq })
          .orderBy('e.seq', 'ASC')
          .limit(limit)
          .getMany()
      ).map((e) => Object.assign(e, { ward: null })),
  });
}

export function describeHead(h: ChainHead | null): string {
  return h && h.seq > 0 ? `#${h.seq} ${h.hash}` : '#0 (no custody events)';
}

export function describeBreak(r: AuditReport): string {
  const b = r.brokenAt!;
  return `event #${b.seq} (${b.reason}: ${b.detail})`;
}

/**
 * Runs one of the backup commands as a process: `.env` read, Ctrl-C cleans up, the exit status
 * is what `main` returns, and any error is one line on stderr (`<name>: …`) with `errorExit`.
 */
export function runCommand(name: string, main: (argv: readonly string[], fail: (line: string) => void) => Promise<number>, errorExit: number): void {
  loadDotenv({ quiet: true });
  const fail = (line: string) => process.stderr.write(`${name}: ${line}\n`);
  process.once('SIGINT', () => exitOnInterrupt('SIGINT', fail));
  process.once('SIGTERM', () => exitOnInterrupt('SIGTERM', fail));
  main(process.argv.slice(2), fail).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof ConfigError) fail(err.problems.map((p) => p.message).join('; '));
      else if (err instanceof BackupError) fail(err.message);
      else fail(`failed: ${(err as Error)?.message ?? String(err)}`);
      process.exit(errorExit);
    },
  );
}
