/**
 * `npm run audit -- <command>`: the auditor's offline checks of the custody log, with nothing of
 * the server running and nothing trusted but the log's verifier key.
 *
 *   verify --db <SQLite file | postgres://…> [--schema <s>] --checkpoints <checkpoint file>
 *          --public-key <verifier key | key file> [--origin <o>] [--leaves <file>] [--json]
 *     reads the custody events straight from the database (SQLite opened read-only; PostgreSQL
 *     in read-only transactions), recomputes the hash chain and the Merkle tree, and compares
 *     the tree with the latest checkpoint in the file that opens with the key (the leaves file,
 *     `<checkpoints>.leaves` by default, names the first event that differs). Exit 0 only when
 *     the chain is intact and the database agrees with the signed checkpoint.
 *   verify-proof <bundle.json> --public-key <verifier key | key file> [--json]
 *     checks a dose proof bundle (GET /api/doses/:id/proof). Exit 0 when it verifies.
 *
 * Exit 1: not consistent / does not verify (the report says why); 2: the command could not run
 * (arguments, a file or the database that cannot be read). `--public-key` may be given several
 * times (a retired key next to the current one); a file holds one verifier key per line (`#`
 * comments, as AUDIT_PUBLIC_KEYS_FILE), or is the JSON GET /api/audit/keys answers.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { type NoteKey, parseVerifierKey, SignedNoteError } from '#domain';
import { CustodyRepository, dataSourceOptions, type DatabaseSettings } from '#persistence';
import { checkDataSource, describeBreak, runCommand, verifyCustody, withDataSource } from '../backup/custody-check.js';
import { ConfigError } from '../config/config.js';
import type { AuditReport } from '../custody/chain-verify.js';
import { type AnchorReport, compareWithAnchor, custodyLeaf } from './anchor-check.js';
import { parseCheckpointFile, readLeaves } from './checkpoint-file.js';
import { type DoseProofVerdict, verifyDoseProof } from './dose-proof.js';

export const AUDIT_USAGE = [
  'usage: npm run audit -- verify --db <SQLite file | postgres://…> [--schema <schema>] --checkpoints <checkpoint file>',
  '                              --public-key <verifier key | key file> [--origin <origin>] [--leaves <leaves file>] [--json]',
  '       npm run audit -- verify-proof <bundle.json> --public-key <verifier key | key file> [--json]',
].join('\n');

export type AuditCommand =
  | {
      command: 'verify';
      database: DatabaseSettings;
      checkpoints: string;
      leaves: string;
      publicKeys: string[];
      origin: string | null;
      json: boolean;
    }
  | { command: 'verify-proof'; bundle: string; publicKeys: string[]; json: boolean }
  | { command: 'help' };

const VALUE_OPTIONS = ['db', 'schema', 'checkpoints', 'leaves', 'public-key', 'origin'] as const;
const FLAG_OPTIONS = ['json', 'help'] as const;
type ValueOption = (typeof VALUE_OPTIONS)[number];

const usage = (message: string): ConfigError => new ConfigError([{ variable: 'arguments', message: `${message}\n${AUDIT_USAGE}` }]);

/** Reads the command line (`--opt value` or `--opt=value`); throws a ConfigError with the usage. */
export function parseAuditArgs(argv: readonly string[]): AuditCommand {
  const values = new Map<ValueOption, string[]>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if ((VALUE_OPTIONS as readonly string[]).includes(name)) {
      let value: string | undefined;
      if (eq > 0) value = a.slice(eq + 1);
      else {
        value = argv[i + 1];
        if (value === undefined || value.startsWith('--')) throw usage(`${a} needs a value`);
        i++;
      }
      if (value === '') throw usage(`${a} must not be empty`);
      const list = values.get(name as ValueOption) ?? [];
      list.push(value);
      values.set(name as ValueOption, list);
    } else if ((FLAG_OPTIONS as readonly string[]).includes(name) && eq < 0) flags.add(name);
    else throw usage(`unknown option ${a}`);
  }
  if (flags.has('help') || positional[0] === 'help') return { command: 'help' };
  const once = (name: ValueOption): string | null => {
    const v = values.get(name);
    if (v && v.length > 1) throw usage(`--${name} is given more than once`);
    return v?.[0] ?? null;
  };
  const required = (name: ValueOption): string => {
    const v = once(name);
    if (v === null) throw usage(`--${name} is required`);
    return v;
  };
  const allowOnly = (command: string, allowed: readonly ValueOption[]) => {
    for (const name of values.keys()) if (!allowed.includes(name)) throw usage(`--${name} does not apply to ${command}`);
  };
  const publicKeys = values.get('public-key') ?? [];
  const [command, ...rest] = positional;
  if (command === 'verify') {
    if (rest.length) throw usage(`verify takes no other arguments (got ${rest.join(' ')})`);
    allowOnly('verify', VALUE_OPTIONS);
    if (publicKeys.length === 0) throw usage('--public-key is required');
    const db = required('db');
    const schema = once('schema');
    let database: DatabaseSettings;
    if (/^postgres(?:ql)?:\/\//.test(db)) database = { type: 'postgres', url: db, ...(schema ? { schema } : {}) };
    else if (schema) throw usage('--schema applies to a PostgreSQL database only');
    else database = { type: 'sqlite', path: resolve(db) };
    const checkpoints = resolve(required('checkpoints'));
    return {
      command: 'verify',
      database,
      checkpoints,
      leaves: resolve(once('leaves') ?? `${checkpoints}.leaves`),
      publicKeys,
      origin: once('origin'),
      json: flags.has('json'),
    };
  }
  if (command === 'verify-proof') {
    if (rest.length !== 1) throw usage(`verify-proof takes one bundle file (got ${rest.length})`);
    allowOnly('verify-proof', ['public-key']);
    if (publicKeys.length === 0) throw usage('--public-key is required');
    return { command: 'verify-proof', bundle: resolve(rest[0]!), publicKeys, json: flags.has('json') };
  }
  throw usage(command === undefined ? 'a command is required' : `unknown command ${command}`);
}

const VERIFIER_KEY = /^[^+\s]+\+[0-9a-f]{8}\+\S+$/;

/**
 * The verifier keys the `--public-key` values give: a key itself, or a file of keys (one a
 * line, `#` comments) or of GET /api/audit/keys' answer.
 */
export function readVerifierKeys(values: readonly string[], read: (file: string) => string = (f) => readFileSync(f, 'utf8')): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (VERIFIER_KEY.test(v.trim())) {
      out.push(v.trim());
      continue;
    }
    let text: string;
    try {
      text = read(v);
    } catch (err) {
      throw new ConfigError([
        { variable: '--public-key', message: `${v} is neither a verifier key nor a readable file (${(err as NodeJS.ErrnoException).code ?? err})` },
      ]);
    }
    const trimmed = text.trim();
    if (trimmed.startsWith('{')) {
      const keys = JSON.parse(trimmed) as { current?: { verifierKey?: string }; retired?: { verifierKey?: string }[] };
      for (const k of [keys.current, ...(keys.retired ?? [])]) if (typeof k?.verifierKey === 'string') out.push(k.verifierKey);
    } else {
      for (const line of text.split('\n').map((l) => l.trim())) if (line && !line.startsWith('#')) out.push(line);
    }
  }
  if (out.length === 0) throw new ConfigError([{ variable: '--public-key', message: 'no verifier key in what --public-key gives' }]);
  return out;
}

function noteKeys(keys: readonly string[]): (NoteKey & { keyId: string })[] {
  return keys.map((k) => {
    try {
      return parseVerifierKey(k);
    } catch (err) {
      if (err instanceof SignedNoteError) throw new ConfigError([{ variable: '--public-key', message: `${k}: ${err.message}` }]);
      throw err;
    }
  });
}

export interface VerifyReport {
  ok: boolean;
  database: string;
  checkpointFile: string;
  origin: string;
  chain: AuditReport;
  anchor: AnchorReport;
}

/**
 * A read-only connection: SQLite opened with the read-only flag; PostgreSQL with every
 * transaction read-only (the server refuses a write), pooled small, no migrations.
 */
function readOnlyDataSource(db: DatabaseSettings): DataSource {
  if (db.type === 'sqlite') return checkDataSource(db, { readonly: true });
  return new DataSource({
    ...dataSourceOptions(db),
    migrationsRun: false,
    extra: { max: 2, options: '-c default_transaction_read_only=on' },
  } as DataSourceOptions);
}

const PAGE = 2000;

/** The database's chain and tree against the checkpoint file. */
export async function verifyDatabase(cmd: Extract<AuditCommand, { command: 'verify' }>): Promise<VerifyReport> {
  const keys = noteKeys(readVerifierKeys(cmd.publicKeys));
  const origin = cmd.origin ?? keys[0]!.name;
  let text: string;
  try {
    text = readFileSync(cmd.checkpoints, 'utf8');
  } catch (err) {
    throw new ConfigError([{ variable: '--checkpoints', message: `${cmd.checkpoints} cannot be read (${(err as NodeJS.ErrnoException).code ?? err})` }]);
  }
  const notes = parseCheckpointFile(text).notes;
  const signedLeaves = await readLeaves(cmd.leaves);
  const where =
    cmd.database.type === 'sqlite'
      ? cmd.database.path
      : `${cmd.database.url.replace(/\/\/[^@/]*@/, '//…@')}${cmd.database.schema ? ` schema ${cmd.database.schema}` : ''}`;
  const { chain, leaves, seqs } = await withDataSource(readOnlyDataSource(cmd.database), async (ds) => {
    const chain = await verifyCustody(ds);
    const repo = new CustodyRepository(ds);
    const leaves: Buffer[] = [];
    const seqs: number[] = [];
    // bounded: each page advances `after` past at least one event, and the log is finite
    for (let after = 0; ;) {
      const page = await repo.eventsAfter(after, PAGE);
      if (page.length === 0) break;
      for (const e of page) {
        leaves.push(custodyLeaf(e));
        seqs.push(e.seq);
      }
      after = page[page.length - 1]!.seq;
    }
    return { chain, leaves, seqs };
  });
  const anchor = compareWithAnchor({ leaves, seqs, notes, signedLeaves, keys, origin });
  return { ok: chain.ok && anchor.status === 'consistent', database: where, checkpointFile: cmd.checkpoints, origin, chain, anchor };
}

/** The report as an auditor reads it. */
export function describeVerifyReport(r: VerifyReport): string {
  const a = r.anchor;
  const lines = [`custody log ${r.origin} in ${r.database}: ${a.events} event(s)`];
  lines.push(r.chain.ok ? `hash chain: intact, head #${r.chain.head?.seq ?? 0}` : `hash chain: BROKEN at ${describeBreak(r.chain)}`);
  if (a.checkpoint)
    lines.push(
      `checkpoint: tree size ${a.checkpoint.treeSize}, signed ${a.checkpoint.time ?? '(no time)'} by ${a.checkpoint.keyName}+${a.checkpoint.keyId} (${r.checkpointFile})`,
    );
  switch (a.status) {
    case 'consistent':
      lines.push(`anchor: consistent: ${a.detail}`);
      break;
    case 'differs':
      lines.push(
        a.firstDifference && 'seq' in a.firstDifference
          ? `anchor: DIFFERS: first differing event #${a.firstDifference.seq}: ${a.detail}`
          : `anchor: DIFFERS: ${a.detail}`,
      );
      break;
    case 'missing':
      lines.push(`anchor: MISSING events #${a.missing!.fromSeq}..#${a.missing!.toSeq}: ${a.detail}`);
      break;
    case 'unverifiable':
      lines.push(`anchor: KEY UNKNOWN or checkpoint altered: ${a.detail}`);
      break;
    case 'none':
      lines.push(`anchor: NO CHECKPOINT: ${a.detail}`);
      break;
  }
  if (a.status !== 'none' && a.unanchoredTail > 0) lines.push(`unanchored tail: ${a.unanchoredTail} event(s) after the checkpoint, not yet signed`);
  lines.push(r.ok ? 'result: CONSISTENT' : 'result: NOT CONSISTENT');
  return lines.join('\n');
}

export function describeProofVerdict(v: DoseProofVerdict): string {
  if (v.ok)
    return `dose ${v.doseId}: ${v.events} custody event(s) proven in the checkpoint of ${v.origin} at tree size ${v.treeSize}, signed ${v.checkpointTime ?? '(no time)'} by key ${v.keyId}${v.unanchored ? `; ${v.unanchored} later event(s) not yet anchored` : ''}\nresult: VERIFIED`;
  return `${v.reason}${v.seq !== undefined ? ` (event #${v.seq})` : ''}: ${v.detail}\nresult: NOT VERIFIED`;
}

/** Runs a command; the exit status (0 consistent / verified, 1 not). Throws when it cannot run. */
export async function auditMain(argv: readonly string[], out: (text: string) => void = (t) => process.stdout.write(`${t}\n`)): Promise<number> {
  const cmd = parseAuditArgs(argv);
  if (cmd.command === 'help') {
    out(AUDIT_USAGE);
    return 0;
  }
  if (cmd.command === 'verify') {
    const report = await verifyDatabase(cmd);
    out(cmd.json ? JSON.stringify(report, null, 2) : describeVerifyReport(report));
    return report.ok ? 0 : 1;
  }
  const keys = readVerifierKeys(cmd.publicKeys);
  let bundle: unknown;
  try {
    bundle = JSON.parse(readFileSync(cmd.bundle, 'utf8'));
  } catch (err) {
    throw new ConfigError([{ variable: 'bundle', message: `${cmd.bundle} is not a readable JSON file (${(err as Error).message})` }]);
  }
  const verdict = verifyDoseProof(bundle, keys);
  out(cmd.json ? JSON.stringify(verdict, null, 2) : describeProofVerdict(verdict));
  return verdict.ok ? 0 : 1;
}

// run when started as a program (not when imported by a test or another dispatcher)
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) runCommand('audit', (argv) => auditMain(argv), 2);
