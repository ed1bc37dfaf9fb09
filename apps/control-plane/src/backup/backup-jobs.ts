/**
 * The two jobs behind `npm run backup` and `npm run restore`, for whichever database the
 * configuration names. A backup is written under a temporary name and linked to its final,
 * timestamped name only once complete and read back (its chain head comes from the file
 * itself), so a file with a backup's name is always a whole backup; older backups of the same
 * series are pruned afterwards, never before. A restore goes only into an empty data dir or
 * schema and puts the database in place only after its custody chain verified.
 */
import { closeSync, linkSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AuditReport } from '../custody/chain-verify.js';
import type { BackupConfig } from './backup.config.js';
import { backupFileName, backupsToPrune, type BackupKind } from './backup-files.js';
import { BackupError, type ChainHead } from './custody-check.js';
import { archiveHead, dumpPostgres, isPgArchive, redactUrl, restorePostgres } from './postgres-backup.js';
import { fsyncPath, isSqliteFile, restoreSqlite, snapshotSqlite, sqliteBackupHead } from './sqlite-backup.js';

export interface BackupResult {
  path: string;
  bytes: number;
  head: ChainHead | null;
  /** older backups of the same series removed by the retention policy */
  pruned: string[];
}

export async function createBackup(cfg: BackupConfig, now = new Date()): Promise<BackupResult> {
  const db = cfg.database;
  const kind: BackupKind = db.type === 'sqlite' ? 'sqlite' : 'pgdump';
  const label = db.type === 'sqlite' ? 'sqlite' : `pg-${db.schema ?? 'public'}`;
  mkdirSync(cfg.backupDir, { recursive: true });
  const name = backupFileName({ label, kind, at: now });
  const path = join(cfg.backupDir, name);
  const partial = join(cfg.backupDir, `.${name}.partial`);
  let head: ChainHead | null;
  try {
    if (db.type === 'sqlite') {
      snapshotSqlite(resolve(db.path), partial);
      head = await sqliteBackupHead(partial);
    } else {
      await dumpPostgres(db.url, db.schema ?? 'public', partial);
      fsyncPath(partial);
      head = await archiveHead(db.url, partial);
    }
    try {
      linkSync(partial, path); // never replaces an existing file
    } catch (err) {
      throw new BackupError(`cannot name the backup ${path}: ${(err as Error).message}`);
    }
    fsyncPath(cfg.backupDir);
  } finally {
    rmSync(partial, { force: true });
  }
  const bytes = statSync(path).size;
  const pruned = cfg.retention ? backupsToPrune(readdirSync(cfg.backupDir), name, cfg.retention) : [];
  try {
    for (const f of pruned) rmSync(join(cfg.backupDir, f), { force: true });
  } catch (err) {
    throw new BackupError(`backup ${path} written (${bytes} bytes), but pruning older backups failed: ${(err as Error).message}`);
  }
  return { path, bytes, head, pruned };
}

export interface RestoreResult {
  /** where it went, for messages: `DATA_DIR /x` or `schema "s" in postgres://…` */
  target: string;
  report: AuditReport;
  /** false: verification failed and nothing was put in place */
  kept: boolean;
}

function fileType(path: string): 'sqlite' | 'pgdump' | null {
  if (isSqliteFile(path)) return 'sqlite';
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(5);
    readSync(fd, buf, 0, 5, 0);
    return isPgArchive(buf) ? 'pgdump' : null;
  } finally {
    closeSync(fd);
  }
}

export async function restoreBackup(cfg: BackupConfig, backupPath: string, opts: { keepUnverified?: boolean } = {}): Promise<RestoreResult> {
  const file = resolve(backupPath);
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new BackupError(`no backup file at ${file}`);
  }
  if (!st.isFile()) throw new BackupError(`${file} is not a file`);
  const type = fileType(file);
  if (!type) throw new BackupError(`${file} is neither a SQLite backup nor a pg_dump archive`);
  const db = cfg.database;
  if (type === 'sqlite' && db.type !== 'sqlite')
    throw new BackupError(`${file} is a SQLite backup but DATABASE_URL selects PostgreSQL: unset it (and set DATA_DIR) to restore it`);
  if (type === 'pgdump' && db.type !== 'postgres') throw new BackupError(`${file} is a PostgreSQL dump: set DATABASE_URL (and DATABASE_SCHEMA) to restore it`);
  const keep = opts.keepUnverified ?? false;
  if (db.type === 'sqlite') {
    const dataDir = resolve(cfg.dataDir);
    const r = await restoreSqlite(file, dataDir, resolve(db.path), keep);
    return { target: `DATA_DIR ${dataDir}`, ...r };
  }
  const schema = db.schema ?? 'public';
  const r = await restorePostgres(db.url, schema, file, keep);
  return { target: `schema "${schema}" in ${redactUrl(db.url)}`, ...r };
}
