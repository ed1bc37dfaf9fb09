import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { archiveHasTable, archiveSchema, copyRows, requalify, SchemaRewriter, tocWithoutSchemaEntries } from './postgres-dump.js';

// the shape of `pg_restore --list` for `pg_dump --format=custom --schema=ward`
const TOC = [
  ';',
  '; Archive created at 2026-12-03 09:17:55 UTC',
  ';',
  '6; 2615 16387 SCHEMA - ward postgres',
  '3348; 0 0 COMMENT - SCHEMA ward postgres',
  '217; 1259 16397 TABLE ward custody_events postgres',
  '216; 1259 16389 TABLE ward migrations postgres',
  '215; 1259 16388 SEQUENCE ward migrations_id_seq postgres',
  '3353; 0 16397 TABLE DATA ward custody_events postgres',
  '',
].join('\n');

describe('pg_dump archives', () => {
  it('names the schema an archive was dumped from and the tables it lists', () => {
    expect(archiveSchema(TOC)).toBe('ward');
    expect(archiveHasTable(TOC, 'ward', 'custody_events')).toBe(true);
    expect(archiveHasTable(TOC, 'ward', 'custody_chain_head')).toBe(false);
    expect(() => archiveSchema('; nothing\n')).toThrow('no schema');
  });

  it("restores everything but the schema's own entries", () => {
    const kept = tocWithoutSchemaEntries(TOC, 'ward');
    expect(kept).not.toMatch(/SCHEMA - ward|COMMENT - SCHEMA ward/);
    expect(kept).toContain('TABLE ward custody_events');
    expect(kept).toContain('TABLE DATA ward custody_events');
  });

  it('moves qualified names, quoted or not, also inside literals, and nothing that only looks alike', () => {
    expect(requalify('CREATE TABLE ward.custody_events (', 'ward', 'tmp_1')).toBe('CREATE TABLE "tmp_1".custody_events (');
    expect(requalify(`ALTER TABLE ONLY ward.migrations ALTER COLUMN id SET DEFAULT nextval('ward.migrations_id_seq'::regclass);`, 'ward', 't')).toBe(
      `ALTER TABLE ONLY "t".migrations ALTER COLUMN id SET DEFAULT nextval('"t".migrations_id_seq'::regclass);`,
    );
    expect(requalify('ALTER SEQUENCE "order".s OWNED BY "order".t.id;', 'order', 't')).toBe('ALTER SEQUENCE "t".s OWNED BY "t".t.id;');
    expect(requalify('REFERENCES ward.x(id), award.y, ward_b.z, x.ward.w', 'ward', 't')).toBe('REFERENCES "t".x(id), award.y, ward_b.z, x.ward.w');
  });

  it('rewrites the SQL of a script but passes COPY data through untouched, across chunk boundaries', async () => {
    const script = [
      'CREATE TABLE ward.custody_events (seq integer);',
      'COPY ward.custody_events (seq, location) FROM stdin;',
      '1\tward.pharmacy é',
      '2\t\\\\.',
      '\\.',
      "SELECT pg_catalog.setval('ward.migrations_id_seq', 6, true);",
      '',
    ].join('\n');
    const bytes = Buffer.from(script, 'utf8');
    // split into 3-byte chunks: lines and the two-byte 'é' are cut mid-way
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 3) chunks.push(bytes.subarray(i, i + 3));
    const rewriter = new SchemaRewriter('ward', 'tmp');
    let out = '';
    for await (const piece of Readable.from(chunks).pipe(rewriter)) out += piece;
    expect(out).toBe(
      [
        'CREATE TABLE "tmp".custody_events (seq integer);',
        'COPY "tmp".custody_events (seq, location) FROM stdin;',
        '1\tward.pharmacy é',
        '2\t\\\\.',
        '\\.',
        `SELECT pg_catalog.setval('"tmp".migrations_id_seq', 6, true);`,
        '',
      ].join('\n'),
    );
    expect([rewriter.copies, rewriter.dataLines]).toEqual([1, 2]);
  });

  it("reads a table's rows out of its COPY block", () => {
    const sql = ['SET x = 1;', 'COPY ward.custody_chain_head (id, seq, hash) FROM stdin;', 'custody\t42\tabc\\tdef', 'other\t\\N\tx', '\\.', ''].join('\n');
    expect(copyRows(sql, 'custody_chain_head')).toEqual([
      { id: 'custody', seq: '42', hash: 'abc\tdef' },
      { id: 'other', seq: null, hash: 'x' },
    ]);
    expect(copyRows(sql, 'custody_events')).toBeNull();
  });
});
