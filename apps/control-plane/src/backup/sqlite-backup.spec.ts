import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { chainHash, GENESIS_HASH } from '#domain';
import { CustodyChainHeadEntity, CustodyEventEntity, CustodyRepository, dataSourceOptions } from '#persistence';
import { withoutAppendOnlyGuard } from '../../test/support/append-only.js';
import { eventContent } from '../custody/chain-verify.js';
import { BackupError } from './custody-check.js';
import { restoreSqlite, snapshotSqlite, sqliteBackupHead } from './sqlite-backup.js';

describe('SQLite backup and restore', () => {
  let dir: string;
  let live: DataSource;

  /** n chained custody events in one transaction, as the ledger appends them */
  const record = (n: number) =>
    new CustodyRepository(live).transaction(async (tx) => {
      let { seq, hash } = (await tx.em.findOneBy(CustodyChainHeadEntity, { id: 'custody' })) ?? { seq: 0, hash: GENESIS_HASH };
      const events: CustodyEventEntity[] = [];
      for (let i = 0; i < n; i++) {
        seq += 1;
        const e: CustodyEventEntity = {
          ...{ seq, id: randomUUID(), at: new Date(), doseId: null, deliveryId: null, orderId: null, action: 'spec_event', fromState: null, toState: null },
          ...{ actor: { type: 'system', id: 'spec' }, location: `ward:W-${i % 3}`, ward: null, evidence: { i }, prevHash: hash, hash: '' },
        };
        e.hash = hash = chainHash(e.prevHash, eventContent(e));
        events.push(e);
      }
      await tx.appendEvents(events, { seq, hash });
    });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medloop-backup-spec-'));
    live = new DataSource(dataSourceOptions({ type: 'sqlite', path: join(dir, 'live', 'medloop.sqlite') }));
    await live.initialize();
    // every page written stays in the WAL: a copy of the main file alone would hold none of
    // the events
    await live.query('PRAGMA wal_autocheckpoint = 0');
  });

  afterEach(async () => {
    if (live.isInitialized) await live.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies a backup taken before the events named their ward, as it was written', async () => {
    await record(12);
    const head = await new CustodyRepository(live).head();
    // the database as an older release left it: the migrations from the events' ward on undone
    // (newest first; as many as came after it, a bounded walk back)
    const hasWard = () => live.createQueryRunner().hasColumn('custody_events', 'ward');
    for (let i = 0; i < live.migrations.length && (await hasWard()); i++) await live.undoLastMigration();
    expect(await hasWard()).toBe(false);
    const backup = join(dir, 'old.sqlite');
    snapshotSqlite(join(dir, 'live', 'medloop.sqlite'), backup);
    const data = join(dir, 'restored-old');
    const r = await restoreSqlite(backup, data, join(data, 'medloop.sqlite'), false);
    expect(r).toEqual({ kept: true, report: { ok: true, events: 12, head: { seq: 12, hash: head!.hash } } });
  });

  it('copies what is committed, WAL included, while the database stays open for writing', async () => {
    await record(30);
    const head = await new CustodyRepository(live).head();
    const backup = join(dir, 'b.sqlite');
    snapshotSqlite(join(dir, 'live', 'medloop.sqlite'), backup);
    await record(5); // the live database goes on; the backup does not move
    expect(await sqliteBackupHead(backup)).toEqual({ seq: 30, hash: head!.hash });

    const data = join(dir, 'restored');
    const r = await restoreSqlite(backup, data, join(data, 'medloop.sqlite'), false);
    expect(r).toEqual({ kept: true, report: { ok: true, events: 30, head: { seq: 30, hash: head!.hash } } });
    expect(readdirSync(data)).toEqual(['medloop.sqlite']);
  });

  it('removes a copy whose chain is broken, and refuses a data dir that is not empty', async () => {
    await record(10);
    // the database refuses the edit until its guard is dropped on purpose
    await withoutAppendOnlyGuard(live, () =>
      live.createQueryBuilder().update(CustodyEventEntity).set({ location: 'ward:W-ELSEWHERE' }).where('seq = 4').execute(),
    );
    const backup = join(dir, 'b.sqlite');
    snapshotSqlite(join(dir, 'live', 'medloop.sqlite'), backup);
    const data = join(dir, 'restored');
    const r = await restoreSqlite(backup, data, join(data, 'medloop.sqlite'), false);
    expect(r.kept).toBe(false);
    expect(r.report.brokenAt).toMatchObject({ seq: 4, reason: 'hash_mismatch' });
    expect(readdirSync(data)).toEqual([]);

    await expect(restoreSqlite(backup, join(dir, 'live'), join(dir, 'live', 'medloop.sqlite'), false)).rejects.toThrow(
      new BackupError(
        `DATA_DIR ${join(dir, 'live')} is not empty (medloop.sqlite, medloop.sqlite-shm, medloop.sqlite-wal): restore only into an empty data dir`,
      ),
    );
  });
});
