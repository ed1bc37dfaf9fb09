/**
 * Configuration of the backup and restore commands: the database comes from the server's own
 * loader (same DATA_DIR / DATABASE_URL / DATABASE_SCHEMA, same validation), plus where
 * backups go and how many are kept. Command-line flags override the variables; a bad value of
 * either stops the command with a message naming it.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, loadConfig, type AppConfig } from '../config/config.js';
import { parseRetention, RETENTION_SYNTAX, type Retention } from './backup-files.js';

export interface BackupConfig {
  database: AppConfig['database'];
  dataDir: string;
  /** absolute */
  backupDir: string;
  /** null: keep every backup */
  retention: Retention | null;
}

const retention = (name: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      try {
        return parseRetention(v ?? '');
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `${name} must be ${RETENTION_SYNTAX}: ${(err as Error).message}` });
        return z.NEVER;
      }
    });

const backupEnv = z.object({
  BACKUP_DIR: z.string().min(1, 'BACKUP_DIR must not be empty').default('./backups'),
  BACKUP_RETENTION: retention('BACKUP_RETENTION'),
});

/** `--name=value` and `--flag` arguments, and the positional ones, of a command line. */
export interface CommandLine {
  values: Map<string, string>;
  flags: Set<string>;
  positional: string[];
}

export function parseCommandLine(argv: readonly string[], known: { values: readonly string[]; flags: readonly string[] }): CommandLine {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (const a of argv) {
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (eq > 0 && known.values.includes(name)) values.set(name, a.slice(eq + 1));
    else if (eq < 0 && known.flags.includes(name)) flags.add(name);
    else {
      const all = [...known.values.map((v) => `--${v}=…`), ...known.flags.map((f) => `--${f}`)];
      throw new ConfigError([{ variable: a, message: `unknown option ${a} (options: ${all.join(' ') || 'none'})` }]);
    }
  }
  return { values, flags, positional };
}

/** The database settings and backup settings; `--dir` and `--keep` override the variables. */
export function loadBackupConfig(env: Record<string, string | undefined> = process.env, overrides: { dir?: string; keep?: string } = {}): BackupConfig {
  const app = loadConfig(env);
  const parsed = backupEnv.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? 'environment'), message: i.message })));
  let keep = parsed.data.BACKUP_RETENTION;
  if (overrides.keep !== undefined) {
    try {
      keep = parseRetention(overrides.keep);
    } catch (err) {
      throw new ConfigError([{ variable: '--keep', message: `--keep must be ${RETENTION_SYNTAX}: ${(err as Error).message}` }]);
    }
  }
  if (overrides.dir !== undefined && overrides.dir === '') throw new ConfigError([{ variable: '--dir', message: '--dir must not be empty' }]);
  return { database: app.database, dataDir: app.dataDir, backupDir: resolve(overrides.dir ?? parsed.data.BACKUP_DIR), retention: keep };
}
