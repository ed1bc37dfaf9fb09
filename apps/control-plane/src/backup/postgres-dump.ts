/**
 * Reading and re-targeting pg_dump archives, pure (no process, no connection): the schema an
 * archive was dumped from (from `pg_restore --list`), the table-of-contents lines to restore,
 * the rows of one table's COPY block, and the rewrite that moves every schema-qualified name
 * of the SQL script `pg_restore --file=-` prints into another schema. pg_dump qualifies every
 * object name and sets an empty search_path, so the schema can only be changed by rewriting
 * the qualified names; COPY data lines are passed through untouched (a data line can never be
 * `\.`: COPY text format escapes every backslash).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** The one schema a `pg_dump --schema=…` archive holds, from its `pg_restore --list` output. */
export function archiveSchema(toc: string): string {
  const schemas = new Set<string>();
  for (const line of toc.split('\n')) {
    const m = /^\d+; \d+ \d+ SCHEMA - (\S+) /.exec(line);
    if (m) schemas.add(m[1]!);
  }
  if (schemas.size !== 1)
    throw new Error(schemas.size === 0 ? 'the archive holds no schema' : `the archive holds ${schemas.size} schemas (${[...schemas].join(', ')})`);
  return [...schemas][0]!;
}

/** Whether the archive's table of contents lists `table` in `schema`. */
export function archiveHasTable(toc: string, schema: string, table: string): boolean {
  return toc.split('\n').some((l) => new RegExp(`^\\d+; \\d+ \\d+ TABLE ${escapeRegExp(schema)} ${escapeRegExp(table)} `).test(l));
}

/**
 * The table of contents to restore into another schema: every entry except the schema's own
 * (its CREATE SCHEMA, comment and grants), which the restore replaces with its own schema.
 */
export function tocWithoutSchemaEntries(toc: string, schema: string): string {
  const own = new RegExp(`^\\d+; \\d+ \\d+ (?:SCHEMA - |COMMENT - SCHEMA |ACL - SCHEMA )${escapeRegExp(schema)} `);
  return toc
    .split('\n')
    .filter((l) => !own.test(l))
    .join('\n');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `"name"` as PostgreSQL quotes an identifier (always quoted: safe for keywords too). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Replaces every qualification by schema `from` (`from.x`, `"from".x`, also inside literals
 * such as `nextval('from.seq'::regclass)`) with `to` in one line of SQL.
 */
export function requalify(line: string, from: string, to: string): string {
  const re = new RegExp(`(^|[^A-Za-z0-9_$."])(?:${escapeRegExp(from)}|${escapeRegExp(quoteIdent(from))})\\.`, 'g');
  return line.replace(re, (_m, before: string) => `${before}${quoteIdent(to)}.`);
}

/** A line-by-line stream that applies `requalify` to the SQL and leaves COPY data alone. */
export class SchemaRewriter extends Transform {
  private rest = '';
  private inCopy = false;
  /** a multi-byte character split across chunks is decoded whole */
  private readonly decoder = new StringDecoder('utf8');
  /** COPY blocks seen, and data lines passed through (for the caller's sanity checks) */
  copies = 0;
  dataLines = 0;

  constructor(
    private readonly from: string,
    private readonly to: string,
  ) {
    super({ decodeStrings: false, encoding: 'utf8' });
  }

  override _transform(chunk: Buffer | string, _enc: BufferEncoding, done: TransformCallback): void {
    const text = this.rest + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines = text.split('\n');
    this.rest = lines.pop()!;
    done(null, lines.map((l) => this.line(l) + '\n').join(''));
  }

  override _flush(done: TransformCallback): void {
    const last = this.rest + this.decoder.end();
    done(null, last ? this.line(last) : '');
  }

  private line(l: string): string {
    if (this.inCopy) {
      if (l === '\\.') this.inCopy = false;
      else this.dataLines++;
      return l;
    }
    if (l.startsWith('COPY ') && / FROM stdin;$/.test(l)) {
      this.inCopy = true;
      this.copies++;
    }
    return requalify(l, this.from, this.to);
  }
}

/** Undoes COPY text-format escaping of one field (`\N` is NULL). */
function copyField(f: string): string | null {
  if (f === '\\N') return null;
  return f.replace(/\\(.)/g, (_m, c: string) => ({ t: '\t', n: '\n', r: '\r', b: '\b', f: '\f', v: '\v' })[c] ?? c);
}

/**
 * The rows of `table`'s COPY block in a SQL script, as column → value maps; null when the
 * script holds no COPY for that table.
 */
export function copyRows(sql: string, table: string): Record<string, string | null>[] | null {
  const lines = sql.split('\n');
  const header = new RegExp(`^COPY (?:[^ ]+\\.)?"?${escapeRegExp(table)}"? \\(([^)]*)\\) FROM stdin;$`);
  for (let i = 0; i < lines.length; i++) {
    const m = header.exec(lines[i]!);
    if (!m) continue;
    const columns = m[1]!.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
    const rows: Record<string, string | null>[] = [];
    for (let j = i + 1; j < lines.length && lines[j] !== '\\.'; j++) {
      const fields = lines[j]!.split('\t').map(copyField);
      rows.push(Object.fromEntries(columns.map((c, k) => [c, fields[k] ?? null])));
    }
    return rows;
  }
  return null;
}
