import { describe, expect, it } from '@jest/globals';
import { backupFileName, backupsToPrune, isoWeekKey, parseBackupFileName, parseRetention } from './backup-files.js';

const at = (iso: string) => new Date(iso);
const sqlite = (iso: string) => backupFileName({ label: 'sqlite', kind: 'sqlite', at: at(iso) });

describe('backup file names', () => {
  it('round-trip the database label and the instant, to the millisecond', () => {
    const name = backupFileName({ label: 'pg-ward_a', kind: 'pgdump', at: at('2026-11-27T10:15:00.123Z') });
    expect(name).toBe('medloop-pg-ward_a-20261127T101500.123Z.pgdump');
    expect(parseBackupFileName(name)).toEqual({ label: 'pg-ward_a', kind: 'pgdump', at: at('2026-11-27T10:15:00.123Z') });
  });

  it('ignore anything else in the directory, including unfinished backups and impossible dates', () => {
    for (const f of [
      '.medloop-sqlite-20261127T101500.123Z.sqlite.partial',
      'medloop-sqlite-20261127T101500.123Z.sqlite.bak',
      'medloop-sqlite-20261331T101500.123Z.sqlite',
      'notes.txt',
      'medloop-mysql-20261127T101500.123Z.sqlite',
    ])
      expect([f, parseBackupFileName(f)]).toEqual([f, null]);
  });
});

describe('retention', () => {
  it('parses newest-N, daily and weekly terms, and all', () => {
    expect(parseRetention('7d,4w')).toEqual({ last: 0, daily: 7, weekly: 4 });
    expect(parseRetention(' 24, 7D ')).toEqual({ last: 24, daily: 7, weekly: 0 });
    expect(parseRetention('all')).toBeNull();
    expect(parseRetention('')).toBeNull();
  });

  it('refuses malformed and repeated terms', () => {
    expect(() => parseRetention('7x')).toThrow("'7x' is not a retention term");
    expect(() => parseRetention('0d')).toThrow("'0d' is not a retention term");
    expect(() => parseRetention('7d,3d')).toThrow('daily count twice');
  });

  it('uses ISO weeks (Monday first; the first Thursday decides the year)', () => {
    expect(isoWeekKey(at('2026-11-29T23:59:59Z'))).toBe('2026-W48'); // a Sunday
    expect(isoWeekKey(at('2026-11-30T00:00:00Z'))).toBe('2026-W49'); // the Monday after
    expect(isoWeekKey(at('2027-01-01T12:00:00Z'))).toBe('2026-W53');
    expect(isoWeekKey(at('2025-12-29T12:00:00Z'))).toBe('2026-W01');
  });

  it('keeps the newest backup of each of the last N days and M weeks, and prunes the rest', () => {
    // every 6 hours for 30 days, ending on 2026-11-30 18:00 (a Monday)
    const files: string[] = [];
    for (let i = 0; i < 124; i++) files.push(sqlite(new Date(Date.UTC(2026, 9, 31, 0) + i * 6 * 3600_000).toISOString()));
    const current = files[files.length - 1]!;
    const pruned = new Set(backupsToPrune(files, current, { last: 0, daily: 3, weekly: 2 }));
    const kept = files.filter((f) => !pruned.has(f)).sort();
    expect(kept).toEqual(
      [
        sqlite('2026-11-28T18:00:00.000Z'), // daily: Nov 28, 29, 30
        sqlite('2026-11-29T18:00:00.000Z'), // … and the newest of week 48 (ends Sunday Nov 29)
        sqlite('2026-11-30T18:00:00.000Z'), // the current backup: newest of Nov 30 and of week 49
      ].sort(),
    );
  });

  it('counts days that have a backup, so a gap in the schedule never leaves a bucket empty', () => {
    const files = [sqlite('2026-10-01T02:00:00Z'), sqlite('2026-10-02T02:00:00Z'), sqlite('2026-11-30T02:00:00Z')];
    expect(backupsToPrune(files, files[2]!, { last: 0, daily: 2, weekly: 0 })).toEqual([files[0]]);
  });

  it('keeps the newest N, always keeps the current one, and never touches another series', () => {
    const mine = [sqlite('2026-11-30T01:00:00Z'), sqlite('2026-11-30T02:00:00Z'), sqlite('2026-11-30T03:00:00Z')];
    const other = [backupFileName({ label: 'pg-public', kind: 'pgdump', at: at('2026-11-29T01:00:00Z') }), 'README.txt'];
    expect(backupsToPrune([...mine, ...other], mine[2]!, { last: 2, daily: 0, weekly: 0 })).toEqual([mine[0]]);
    expect(backupsToPrune([...mine, ...other], mine[2]!, { last: 1, daily: 0, weekly: 0 }).sort()).toEqual([mine[0], mine[1]].sort());
  });
});
