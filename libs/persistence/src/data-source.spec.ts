import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { openDatabase } from './data-source.js';
import { DatabaseStartError } from './start-errors.js';

describe('openDatabase on SQLite', () => {
  const root = mkdtempSync(join(tmpdir(), 'medloop-ds-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const pragmas = async (settings: { synchronous?: 'FULL' | 'NORMAL'; busyTimeoutMs?: number }, name: string) => {
    const ds = await openDatabase({ type: 'sqlite', path: join(root, name, 'medloop.sqlite'), ...settings });
    try {
      const one = async (p: string) => Object.values(((await ds.query(`PRAGMA ${p}`)) as Record<string, unknown>[])[0]!)[0];
      return { synchronous: await one('synchronous'), journal: await one('journal_mode'), busy: await one('busy_timeout') };
    } finally {
      await ds.destroy();
    }
  };

  it('syncs every commit (FULL) unless NORMAL is asked for, in WAL mode with the busy timeout given', async () => {
    // SQLite's numbering: 1 = NORMAL, 2 = FULL
    expect(await pragmas({}, 'default')).toEqual({ synchronous: 2, journal: 'wal', busy: 5000 });
    expect(await pragmas({ synchronous: 'NORMAL', busyTimeoutMs: 120 }, 'normal')).toEqual({ synchronous: 1, journal: 'wal', busy: 120 });
  });

  it('refuses a database another connection holds a write lock on, even with nothing to migrate', async () => {
    const path = join(root, 'held', 'medloop.sqlite');
    await (await openDatabase({ type: 'sqlite', path })).destroy(); // migrated
    const holder = new Database(path);
    try {
      holder.exec('BEGIN IMMEDIATE');
      const err = await openDatabase({ type: 'sqlite', path, busyTimeoutMs: 50 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatabaseStartError);
      expect((err as Error).message).toContain(`the database ${path} is locked by another process (SQLITE_BUSY after waiting 50 ms)`);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    await (await openDatabase({ type: 'sqlite', path, busyTimeoutMs: 50 })).destroy();
  });
});
