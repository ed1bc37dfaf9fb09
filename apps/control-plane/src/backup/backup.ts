/**
 * `npm run backup [-- --dir=<dir>] [--keep=<retention>]`: a consistent backup of the configured
 * database (same variables as the server: DATA_DIR, DATABASE_URL, DATABASE_SCHEMA), safe while
 * the server runs, written to BACKUP_DIR under a timestamped name; then older backups are
 * pruned per BACKUP_RETENTION. Prints one line: where, how big, and the custody chain head the
 * backup holds. Exit status 0, or 1 with a one-line reason on stderr.
 */
import 'reflect-metadata';
import { ConfigError } from '../config/config.js';
import { loadBackupConfig, parseCommandLine } from './backup.config.js';
import { describeRetention, formatBytes } from './backup-files.js';
import { createBackup } from './backup-jobs.js';
import { describeHead, runCommand } from './custody-check.js';

const USAGE = 'usage: npm run backup [-- --dir=<backup dir>] [--keep=<retention, e.g. 7d,4w>]';

async function main(argv: readonly string[]): Promise<number> {
  const cl = parseCommandLine(argv, { values: ['dir', 'keep'], flags: ['help'] });
  if (cl.flags.has('help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (cl.positional.length) throw new ConfigError([{ variable: cl.positional[0]!, message: `unexpected argument '${cl.positional[0]}' (${USAGE})` }]);
  const cfg = loadBackupConfig(process.env, {
    ...(cl.values.has('dir') ? { dir: cl.values.get('dir')! } : {}),
    ...(cl.values.has('keep') ? { keep: cl.values.get('keep')! } : {}),
  });
  const r = await createBackup(cfg);
  const pruned = r.pruned.length ? `; pruned ${r.pruned.length} older backup(s) (retention ${describeRetention(cfg.retention)})` : '';
  process.stdout.write(`backup ${r.path}: ${formatBytes(r.bytes)} (${r.bytes} bytes), custody chain head ${describeHead(r.head)}${pruned}\n`);
  return 0;
}

runCommand('backup', main, 1);
