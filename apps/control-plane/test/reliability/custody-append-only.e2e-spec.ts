/**
 * The append-only custody tables, on the running app's own database: UPDATE and DELETE of a
 * custody event or a cabinet ledger entry are refused by the database itself (and TRUNCATE on
 * PostgreSQL, also with ordinary triggers silenced by `session_replication_role = replica`),
 * naming the table, while the custody flow keeps appending events and advancing the chain head
 * and the chain still verifies. On PostgreSQL the application's role may read and insert
 * there, and nothing more.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { CabinetLedgerEntryEntity, CustodyChainHeadEntity, CustodyEventEntity } from '#persistence';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { CustodyFixture } from './support.js';

const onPostgres = !!process.env['TEST_DATABASE_URL'];
const refused = (table: string, op: string) => new RegExp(`${table} is append-only: ${op} refused`);

describe('custody tables are append-only in the database', () => {
  let t: TestApp;
  let ds: DataSource;
  let fx: CustodyFixture;
  /** the table's name as raw SQL gives it (in the app's schema on PostgreSQL) */
  let custodyEvents: string;
  let ledgerEntries: string;

  const head = async () => (await ds.getRepository(CustodyChainHeadEntity).findOneByOrFail({ id: 'custody' })).seq;
  const verify = async () => (await t.api('GET', '/api/audit/verify', { token: t.adminToken })).body;
  const events = () => ds.getRepository(CustodyEventEntity).find({ order: { seq: 'ASC' } });

  beforeAll(async () => {
    t = await startTestApp();
    const pharmacist = await t.userToken('pharmacist');
    const api = (token: string, method: string, path: string, body?: unknown) => t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
    fx = await CustodyFixture.create(api, pharmacist.token, undefined, t.adminToken);
    const orders = [await fx.verifiedOrder((await fx.patient('W-CARD')).id), await fx.verifiedOrder((await fx.patient('W-CARD')).id)];
    await fx.delivery('W-CARD', orders, 'checked');
    ds = t.cp.app.get(DataSource);
    custodyEvents = ds.getMetadata(CustodyEventEntity).tablePath;
    ledgerEntries = ds.getMetadata(CabinetLedgerEntryEntity).tablePath;
    if (onPostgres)
      [custodyEvents, ledgerEntries] = [custodyEvents, ledgerEntries].map((p) =>
        p
          .split('.')
          .map((s) => `"${s}"`)
          .join('.'),
      );
    expect((await events()).length).toBeGreaterThanOrEqual(6);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('refuses to UPDATE a custody event, through the ORM and in raw SQL, and leaves it as it was', async () => {
    const before = await events();
    const target = before[2]!;
    await expect(
      ds.createQueryBuilder().update(CustodyEventEntity).set({ location: 'ward:W-ELSEWHERE' }).where('seq = :seq', { seq: target.seq }).execute(),
    ).rejects.toThrow(refused('custody_events', 'UPDATE'));
    await expect(ds.query(`UPDATE ${custodyEvents} SET hash = prev_hash`)).rejects.toThrow(refused('custody_events', 'UPDATE'));
    expect(await events()).toEqual(before);
    expect(await verify()).toMatchObject({ ok: true, events: before.length });
  });

  it('refuses to DELETE a custody event, one or all', async () => {
    const before = await events();
    await expect(ds.getRepository(CustodyEventEntity).delete({ seq: before[before.length - 1]!.seq })).rejects.toThrow(refused('custody_events', 'DELETE'));
    await expect(ds.query(`DELETE FROM ${custodyEvents}`)).rejects.toThrow(refused('custody_events', 'DELETE'));
    expect(await events()).toEqual(before);
    expect(await verify()).toMatchObject({ ok: true, events: before.length });
  });

  (onPostgres ? it : it.skip)('PostgreSQL: refuses TRUNCATE, and silencing ordinary triggers does not silence these', async () => {
    const before = await events();
    await expect(ds.query(`TRUNCATE ${custodyEvents}`)).rejects.toThrow(refused('custody_events', 'TRUNCATE'));
    await expect(ds.query(`TRUNCATE ${ledgerEntries}`)).rejects.toThrow(refused('cabinet_ledger_entries', 'TRUNCATE'));
    // replica mode fires only ENABLE ALWAYS triggers: what a superuser could otherwise slip past without any DDL
    const q = ds.createQueryRunner();
    await q.startTransaction();
    try {
      await q.query(`SET LOCAL session_replication_role = replica`);
      await expect(q.query(`DELETE FROM ${custodyEvents}`)).rejects.toThrow(refused('custody_events', 'DELETE'));
    } finally {
      // whatever happened in replica mode is never kept
      await q.rollbackTransaction();
      await q.release();
    }
    expect(await events()).toEqual(before);
  });

  (onPostgres ? it : it.skip)('PostgreSQL: the application role medloop_app may read and insert the append-only tables, and nothing more', async () => {
    const privileges = async (tablePath: string) =>
      (
        (await ds.query(
          `SELECT has_table_privilege('medloop_app', $1, 'SELECT') AS "select", has_table_privilege('medloop_app', $1, 'INSERT') AS "insert",
                  has_table_privilege('medloop_app', $1, 'UPDATE') AS "update", has_table_privilege('medloop_app', $1, 'DELETE') AS "delete",
                  has_table_privilege('medloop_app', $1, 'TRUNCATE') AS "truncate"`,
          [tablePath],
        )) as Record<string, boolean>[]
      )[0];
    const expected = { select: true, insert: true, update: false, delete: false, truncate: false };
    expect(await privileges(custodyEvents)).toEqual(expected);
    expect(await privileges(ledgerEntries)).toEqual(expected);
  });

  it('refuses to UPDATE or DELETE a cabinet ledger entry, and still takes new ones', async () => {
    // written as CabinetRepository.appendEntry writes it: an INSERT, which stays allowed
    const entry: CabinetLedgerEntryEntity = {
      ...{ id: randomUUID(), cabinetId: 'cab-append-only', pocketId: 'D1-P1', seq: 1, type: 'restock', actor: 'spec' },
      ...{ at: new Date(), entry: { lot: 'L1', quantity: 5 } },
    };
    await ds.getRepository(CabinetLedgerEntryEntity).insert(entry);
    await expect(ds.getRepository(CabinetLedgerEntryEntity).update({ id: entry.id }, { type: 'waste' })).rejects.toThrow(
      refused('cabinet_ledger_entries', 'UPDATE'),
    );
    await expect(ds.query(`DELETE FROM ${ledgerEntries}`)).rejects.toThrow(refused('cabinet_ledger_entries', 'DELETE'));
    expect(await ds.getRepository(CabinetLedgerEntryEntity).findOneByOrFail({ id: entry.id })).toMatchObject({ type: 'restock', seq: 1 });
  });

  it('still appends custody events through the custody flow, and the chain head advances', async () => {
    const seqBefore = await head();
    const order = await fx.verifiedOrder((await fx.patient('W-CARD')).id);
    await fx.delivery('W-CARD', [order], 'checked');
    const seqAfter = await head();
    expect(seqAfter).toBeGreaterThan(seqBefore);
    const all = await events();
    expect(all[all.length - 1]!.seq).toBe(seqAfter);
    expect(all.filter((e) => e.seq > seqBefore).some((e) => e.orderId === order)).toBe(true);
    expect(await verify()).toMatchObject({ ok: true, events: seqAfter, head: { seq: seqAfter } });
  });
});
