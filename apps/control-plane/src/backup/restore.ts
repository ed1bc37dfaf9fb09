/**
 * `npm run restore -- <backup file> [--keep-unverified]`: restores a backup made by
 * `npm run backup` into the configured database (same variables as the server), which must be
 * an empty (or absent) data dir on SQLite or an empty (or absent) schema on PostgreSQL, then
 * verifies the whole custody chain of the restored database against its stored head. Only a
 * database whose chain verifies is put in place (unless --keep-unverified: a last resort when
 * no intact backup is left). Prints the head restored on stdout; exit status 0; 1 when the
 * chain is broken (the first broken link is named); 2 when the restore refused or failed.
 */
import 'reflect-metadata';
import { ConfigError } from '../config/config.js';
import { loadBackupConfig, parseCommandLine } from './backup.config.js';
import { restoreBackup } from './backup-jobs.js';
import { describeBreak, describeHead, runCommand } from './custody-check.js';

const USAGE = 'usage: npm run restore -- <backup file> [--keep-unverified]';

async function main(argv: readonly string[], fail: (line: string) => void): Promise<number> {
  const cl = parseCommandLine(argv, { values: [], flags: ['keep-unverified', 'help'] });
  if (cl.flags.has('help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (cl.positional.length !== 1)
    throw new ConfigError([{ variable: 'arguments', message: `expected one backup file, got ${cl.positional.length} (${USAGE})` }]);
  const cfg = loadBackupConfig(process.env);
  const file = cl.positional[0]!;
  const r = await restoreBackup(cfg, file, { keepUnverified: cl.flags.has('keep-unverified') });
  if (r.report.ok) {
    process.stdout.write(`restored ${file} into ${r.target}: custody chain verified, ${r.report.events} events, head ${describeHead(r.report.head)}\n`);
    return 0;
  }
  const outcome = r.kept
    ? `restored anyway (--keep-unverified): ${r.target} holds a database whose custody chain does not verify`
    : `nothing restored, ${r.target} left empty`;
  fail(`the custody chain in ${file} is broken at ${describeBreak(r.report)}, the ${r.report.brokenAt!.expectedSeq - 1} event(s) before it intact; ${outcome}`);
  return 1;
}

runCommand('restore', main, 2);
