/**
 * PostgreSQL backup and restore with the PostgreSQL client tools (pg_dump, pg_restore, psql
 * of the server's major version, found on PATH). The backup is `pg_dump --format=custom` of
 * the configured schema: pg_dump reads every table in one snapshot and takes only ACCESS SHARE
 * locks, so the server keeps writing meanwhile. The restore loads the archive into a fresh
 * staging schema in one transaction (`pg_restore --file=- | psql --single-transaction`, the
 * qualified names rewritten to the staging schema), verifies the custody chain there, and
 * only then moves every object into the target schema in one transaction and drops the
 * staging schema; a restore that fails leaves the target as it was. The password never goes
 * on a command line (ps shows those): the tools get it in PGPASSWORD.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DataSource } from 'typeorm';
import { BackupError, checkDataSource, onInterrupt, verifyCustody, withDataSource, type ChainHead } from './custody-check.js';
import type { RestoreOutcome } from './sqlite-backup.js';
import { archiveHasTable, archiveSchema, copyRows, quoteIdent, SchemaRewriter, tocWithoutSchemaEntries } from './postgres-dump.js';

const PG_MAGIC = 'PGDMP';

/** The URL without its password, for messages and command lines. */
export function redactUrl(url: string): string {
  const u = new URL(url);
  u.password = '';
  return u.toString();
}

function toolEnv(url: string): NodeJS.ProcessEnv {
  const u = new URL(url);
  const env: NodeJS.ProcessEnv = { ...process.env, PGAPPNAME: 'medloop-backup' };
  if (u.password) env['PGPASSWORD'] = decodeURIComponent(u.password);
  return env;
}

interface ToolRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Starts a client tool; its stderr is kept (the last 8 KB) for the error message. */
function startTool(cmd: string, args: string[], url: string, stdio: { stdin?: 'pipe' | 'ignore'; stdout?: 'pipe' | 'ignore' } = {}): ToolRun {
  const child = spawn(cmd, args, { env: toolEnv(url), stdio: [stdio.stdin ?? 'ignore', stdio.stdout ?? 'ignore', 'pipe'] });
  const forget = onInterrupt(() => child.kill('SIGTERM'));
  child.once('close', forget);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (stderr = (stderr + d).slice(-8192)));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT'
          ? new BackupError(`${cmd} is not on PATH: install the PostgreSQL client tools of the server's major version (e.g. postgresql-client-15)`)
          : err,
      ),
    );
    child.once('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { child, done };
}

function toolFailure(cmd: string, r: { code: number | null; signal: NodeJS.Signals | null; stderr: string }): BackupError {
  const lines = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(DETAIL|HINT|CONTEXT|LINE \d+):/.test(l));
  const why = lines.find((l) => /error|fatal|could not|failed|mismatch/i.test(l)) ?? lines[lines.length - 1] ?? 'no message';
  return new BackupError(`${cmd} failed (${r.signal ?? `exit ${r.code}`}): ${why}`);
}

async function runTool(cmd: string, args: string[], url: string): Promise<void> {
  const r = await startTool(cmd, args, url).done;
  if (r.code !== 0) throw toolFailure(cmd, r);
}

/** Runs a tool and returns what it printed on stdout. */
async function toolOutput(cmd: string, args: string[], url: string): Promise<string> {
  const t = startTool(cmd, args, url, { stdout: 'pipe' });
  let out = '';
  t.child.stdout!.setEncoding('utf8');
  t.child.stdout!.on('data', (d: string) => (out += d));
  const r = await t.done;
  if (r.code !== 0) throw toolFailure(cmd, r);
  return out;
}

export function isPgArchive(head: Buffer): boolean {
  return head.subarray(0, 5).toString('latin1') === PG_MAGIC;
}

/** `pg_dump --format=custom` of `schema` into `dest`. */
export async function dumpPostgres(url: string, schema: string, dest: string): Promise<void> {
  await runTool(
    'pg_dump',
    ['--format=custom', `--schema=${schema}`, '--strict-names', '--lock-wait-timeout=60000', '--no-owner', `--file=${dest}`, `--dbname=${redactUrl(url)}`],
    url,
  );
}

/** The custody chain head inside an archive, read back from the file by pg_restore. */
export async function archiveHead(url: string, file: string): Promise<ChainHead | null> {
  const toc = await toolOutput('pg_restore', ['--list', file], url);
  const schema = archiveSchema(toc);
  if (!archiveHasTable(toc, schema, 'custody_chain_head'))
    throw new BackupError(`schema "${schema}" holds no MedLoop database (no custody_chain_head table in the dump)`);
  const sql = await toolOutput('pg_restore', ['--data-only', '--table=custody_chain_head', '--file=-', file], url);
  const rows = copyRows(sql, 'custody_chain_head');
  if (rows === null) throw new BackupError(`${file}: the dump holds no data for custody_chain_head`);
  const row = rows.find((r) => r['id'] === 'custody');
  return row ? { seq: Number(row['seq']), hash: String(row['hash']) } : null;
}

async function adminQuery<T>(url: string, work: (ds: DataSource) => Promise<T>): Promise<T> {
  return withDataSource(new DataSource({ type: 'postgres', url, extra: { max: 1 } }), work);
}

/** What `schema` holds (relations, functions, standalone types); empty for a missing schema. */
async function schemaObjects(ds: DataSource, schema: string): Promise<string[]> {
  // tables first: they say best what the schema is
  const rows = (await ds.query(
    `SELECT c.relname AS name, CASE c.relkind WHEN 'r' THEN 0 WHEN 'p' THEN 0 ELSE 1 END AS rank
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1
     UNION ALL SELECT p.proname, 2 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1
     UNION ALL SELECT t.typname, 2 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = $1 AND t.typtype IN ('d', 'e', 'r', 'm')
     ORDER BY rank, name`,
    [schema],
  )) as { name: string }[];
  return rows.map((r) => r.name);
}

function notEmpty(schema: string, url: string, objects: string[]): BackupError {
  const shown = objects.slice(0, 3).join(', ') + (objects.length > 3 ? `, … ${objects.length} objects` : '');
  return new BackupError(`schema "${schema}" in ${redactUrl(url)} is not empty (${shown}): restore only into an empty schema`);
}

/**
 * Restores the archive `file` into `schema` (created if missing, refused unless empty); the
 * chain is verified in a staging schema first.
 */
export async function restorePostgres(url: string, schema: string, file: string, keepUnverified: boolean): Promise<RestoreOutcome> {
  const existing = await adminQuery(url, (ds) => schemaObjects(ds, schema));
  if (existing.length) throw notEmpty(schema, url, existing);
  const toc = await toolOutput('pg_restore', ['--list', file], url);
  const source = archiveSchema(toc);
  if (!archiveHasTable(toc, source, 'custody_events')) throw new BackupError(`${file} is not a MedLoop backup (no custody_events table in the dump)`);
  const staging = `medloop_restore_${randomBytes(6).toString('hex')}`;
  let moved = false;
  await adminQuery(url, (ds) => ds.query(`CREATE SCHEMA ${quoteIdent(staging)}`));
  const work = mkdtempSync(join(tmpdir(), 'medloop-restore-'));
  // interrupted (Ctrl-C, SIGTERM): the staging schema goes too, synchronously, before exit
  const forget = onInterrupt(() => {
    rmSync(work, { recursive: true, force: true });
    spawnSync('psql', ['-X', '-q', `--dbname=${redactUrl(url)}`, '-c', `DROP SCHEMA IF EXISTS ${quoteIdent(staging)} CASCADE`], {
      env: toolEnv(url),
      stdio: 'ignore',
      timeout: 30_000,
    });
  });
  try {
    const list = join(work, 'toc.list');
    writeFileSync(list, tocWithoutSchemaEntries(toc, source));
    await loadArchive(url, file, list, source, staging);
    const report = await withDataSource(checkDataSource({ type: 'postgres', url, schema: staging }), verifyCustody);
    if (!report.ok && !keepUnverified) return { report, kept: false };
    await moveSchema(url, staging, schema);
    moved = true;
    return { report, kept: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (!moved) await adminQuery(url, (ds) => ds.query(`DROP SCHEMA IF EXISTS ${quoteIdent(staging)} CASCADE`));
    forget();
  }
}

/** pg_restore's SQL, rewritten into `staging`, through psql in one transaction. */
async function loadArchive(url: string, file: string, list: string, source: string, staging: string): Promise<void> {
  const restore = startTool('pg_restore', ['--no-owner', '--no-acl', `--use-list=${list}`, '--file=-', file], url, { stdout: 'pipe' });
  const psql = startTool('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', `--dbname=${redactUrl(url)}`], url, { stdin: 'pipe' });
  const streamed = pipeline(restore.child.stdout!, new SchemaRewriter(source, staging), psql.child.stdin!).then(
    () => null,
    (err: Error) => err,
  );
  const [r, p, streamErr] = await Promise.all([restore.done, psql.done, streamed]);
  // psql's error explains a broken pipe on pg_restore's side, so it is reported first
  if (p.code !== 0) throw toolFailure('psql', p);
  if (r.code !== 0) throw toolFailure('pg_restore', r);
  if (streamErr) throw new BackupError(`restoring ${file}: ${streamErr.message}`);
}

/** Moves every object of `from` into `to` (created if missing) and drops `from`: all or nothing. */
async function moveSchema(url: string, from: string, to: string): Promise<void> {
  await adminQuery(url, (ds) =>
    ds.transaction(async (em) => {
      await em.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(to)}`);
      // still empty: nothing may have been created in it since the restore started
      const inTarget = (await em.query(`SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1`, [
        to,
      ])) as {
        n: number;
      }[];
      if (inTarget[0]!.n > 0) throw notEmpty(to, url, [`${inTarget[0]!.n} relations appeared during the restore`]);
      const relations = async () =>
        (await em.query(
          `SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'S', 'v', 'm', 'f') ORDER BY c.relkind DESC, c.relname`,
          [from],
        )) as { relname: string; relkind: string }[];
      // tables first: ALTER TABLE … SET SCHEMA takes their indexes, constraints and owned sequences along
      for (const t of (await relations()).filter((r) => r.relkind === 'r' || r.relkind === 'p' || r.relkind === 'f')) {
        await em.query(`ALTER TABLE ${quoteIdent(from)}.${quoteIdent(t.relname)} SET SCHEMA ${quoteIdent(to)}`);
      }
      for (const o of await relations()) {
        const kind = o.relkind === 'S' ? 'SEQUENCE' : o.relkind === 'm' ? 'MATERIALIZED VIEW' : 'VIEW';
        await em.query(`ALTER ${kind} ${quoteIdent(from)}.${quoteIdent(o.relname)} SET SCHEMA ${quoteIdent(to)}`);
      }
      // functions (the append-only guard's trigger function): a trigger names its function by
      // oid, so it follows the move
      const functions = (await em.query(
        `SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS args FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = $1 AND p.prokind = 'f' ORDER BY p.proname`,
        [from],
      )) as { proname: string; args: string }[];
      for (const f of functions) await em.query(`ALTER FUNCTION ${quoteIdent(from)}.${quoteIdent(f.proname)}(${f.args}) SET SCHEMA ${quoteIdent(to)}`);
      // RESTRICT: anything left behind (a type, a function) aborts the whole move
      await em.query(`DROP SCHEMA ${quoteIdent(from)} RESTRICT`);
    }),
  );
}
