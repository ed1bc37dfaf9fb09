/**
 * SQLite backup and restore. The backup is `VACUUM INTO` on a read-only connection: one read
 * transaction, so the copy is a consistent snapshot even while the server keeps writing (in
 * WAL mode a reader never blocks the writer, nor the writer it), and a compact single file.
 * better-sqlite3's page-by-page `backup()` restarts whenever another process writes, so under
 * steady custody traffic it may never finish. The restore copies the file next to its final
 * place, checks it (SQLite's integrity check, then the custody chain) and only then renames
 * it into the data dir.
 */
import { closeSync, copyFileSync, constants, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { AuditReport } from '../custody/chain-verify.js';
import { BackupError, checkDataSource, onInterrupt, readChainHead, verifyCustody, withDataSource, type ChainHead } from './custody-check.js';

const SQLITE_MAGIC = 'SQLite format 3\0';

export function isSqliteFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(16);
    return readSync(fd, buf, 0, 16, 0) === 16 && buf.toString('latin1') === SQLITE_MAGIC;
  } finally {
    closeSync(fd);
  }
}

export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes a consistent copy of the live database at `dbPath` to `dest` (which must not exist). */
export function snapshotSqlite(dbPath: string, dest: string): void {
  if (!existsSync(dbPath)) throw new BackupError(`no SQLite database at ${dbPath}: nothing to back up (check DATA_DIR)`);
  const db = new Database(dbPath, { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    db.prepare('VACUUM INTO ?').run(dest);
  } finally {
    db.close();
  }
  fsyncPath(dest);
}

/** The custody chain head inside a SQLite backup file. */
export async function sqliteBackupHead(file: string): Promise<ChainHead | null> {
  try {
    return await withDataSource(checkDataSource({ type: 'sqlite', path: file }, { readonly: true }), readChainHead);
  } catch (err) {
    throw new BackupError(`${file} holds no MedLoop database: ${(err as Error).message}`);
  }
}

export type RestoreOutcome = { report: AuditReport; kept: boolean };

/**
 * Restores `backup` as the database at `dbPath` inside the data dir `dataDir`, which must be
 * empty or absent. The chain is verified on a copy before it is put in place; a copy that
 * fails is removed (the data dir is left empty) unless `keepUnverified`.
 */
export async function restoreSqlite(backup: string, dataDir: string, dbPath: string, keepUnverified: boolean): Promise<RestoreOutcome> {
  if (existsSync(dataDir)) {
    if (!statSync(dataDir).isDirectory()) throw new BackupError(`DATA_DIR ${dataDir} is not a directory`);
    const entries = readdirSync(dataDir);
    if (entries.length > 0) {
      const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? `, … ${entries.length} entries` : '');
      throw new BackupError(`DATA_DIR ${dataDir} is not empty (${shown}): restore only into an empty data dir`);
    }
  }
  mkdirSync(dirname(dbPath), { recursive: true });
  const staging = join(dirname(dbPath), `.${basename(dbPath)}.restoring`);
  copyFileSync(backup, staging, constants.COPYFILE_EXCL);
  let placed = false;
  const forget = onInterrupt(() => rmSync(staging, { force: true }));
  try {
    const report = await withDataSource(checkDataSource({ type: 'sqlite', path: staging }, { journal: 'delete' }), async (ds) => {
      const rows = (await ds.query('PRAGMA integrity_check')) as { integrity_check: string }[];
      const problems = rows.map((r) => r.integrity_check).filter((s) => s !== 'ok');
      if (problems.length) throw new BackupError(`${backup} is damaged (SQLite integrity check: ${problems.slice(0, 3).join('; ')})`);
      try {
        return await verifyCustody(ds);
      } catch (err) {
        throw new BackupError(`${backup} holds no MedLoop database: ${(err as Error).message}`);
      }
    });
    if (!report.ok && !keepUnverified) return { report, kept: false };
    fsyncPath(staging);
    renameSync(staging, dbPath);
    fsyncPath(dirname(dbPath));
    placed = true;
    return { report, kept: true };
  } finally {
    if (!placed) rmSync(staging, { force: true });
    forget();
  }
}
