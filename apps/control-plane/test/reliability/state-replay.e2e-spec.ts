/**
 * State replay (#17): on a populated custody log the dose, delivery and order rows agree with
 * the states their custody events lead to; a state set directly in the doses or the deliveries
 * table (behind the ledger: the hash chain itself still verifies) is named, row by row, with
 * the state the log leads to and the event it came from. Each edit is undone before the next.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { CustodyRepository, DeliveryEntity, DoseEntity, MedicationOrderEntity } from '#persistence';
import { checkStateTables } from '../../src/custody/state-replay.check.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { CustodyFixture } from './support.js';

describe('state replay', () => {
  let t: TestApp;
  let ds: DataSource;
  let repo: CustodyRepository;
  let picked: { id: string; doseIds: string[] };
  let checked: { id: string; doseIds: string[] };

  beforeAll(async () => {
    t = await startTestApp();
    const pharmacist = await t.userToken('pharmacist');
    const api = (token: string, method: string, path: string, body?: unknown) => t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
    const fx = await CustodyFixture.create(api, pharmacist.token, undefined, t.adminToken);
    const orders: string[] = [];
    for (let i = 0; i < 5; i++) orders.push(await fx.verifiedOrder((await fx.patient('W-CARD')).id));
    checked = await fx.delivery('W-CARD', orders.slice(0, 2), 'checked');
    picked = await fx.delivery('W-CARD', orders.slice(2, 4), 'picked');
    // a stopped order: its queued dose cancelled, its slot voided (a slot's state is no event's toState)
    const stop = await t.api('POST', `/api/orders/${orders[4]}/stop`, { token: pharmacist.token, body: { reason: 'state replay test' } });
    expect(stop.status).toBe(200);
    ds = t.cp.app.get(DataSource);
    repo = t.cp.app.get(CustodyRepository);
  });

  afterAll(async () => {
    await t?.close();
  });

  /** The seq of the last event that set this aggregate's state, read the plain way. */
  const lastSeq = async (kind: 'dose' | 'delivery', id: string) => {
    const events = kind === 'dose' ? await repo.eventsOfDose(id) : (await repo.eventsOfDelivery(id)).filter((e) => e.doseId === null);
    return events.filter((e) => e.toState !== null).at(-1)!.seq;
  };

  it('finds every row consistent with the log, a page of a few events and rows at a time', async () => {
    const counts = { doses: await ds.getRepository(DoseEntity).count(), deliveries: await ds.getRepository(DeliveryEntity).count() };
    const orders = await ds.getRepository(MedicationOrderEntity).count();
    expect(counts.doses).toBe(5);
    for (const pageSize of [3, 2000]) {
      const r = await checkStateTables(repo, { pageSize });
      expect(r).toEqual({ checked: { ...counts, orders }, throughSeq: (await repo.head())!.seq, mismatches: [] });
    }
  });

  it('names a dose set to administered directly in the doses table, and only it', async () => {
    const id = picked.doseIds[1]!;
    const before = (await ds.getRepository(DoseEntity).findOneByOrFail({ id })).state;
    expect(before).toBe('picked');
    await ds.createQueryBuilder().update(DoseEntity).set({ state: 'administered' }).where('id = :id', { id }).execute();
    try {
      // the log itself is untouched: its chain verifies, and only the replay sees the edit
      const r = await checkStateTables(repo, { pageSize: 3 });
      const mismatch = { table: 'doses', id, stored: 'administered', derived: 'picked', lastEventSeq: await lastSeq('dose', id) };
      expect(r.mismatches).toEqual([mismatch]);
      // and GET /api/audit/verify says so, naming the row
      const report = (await t.api('GET', '/api/audit/verify', { token: t.adminToken })).body;
      expect(report).toMatchObject({ ok: false, chainOk: true, states: { mismatches: [mismatch] } });
    } finally {
      await ds.createQueryBuilder().update(DoseEntity).set({ state: before }).where('id = :id', { id }).execute();
    }
    expect((await checkStateTables(repo)).mismatches).toEqual([]);
  });

  it('names a delivery whose state was set directly in the deliveries table, though its doses name it too', async () => {
    const id = checked.id;
    const before = (await ds.getRepository(DeliveryEntity).findOneByOrFail({ id })).state;
    await ds.createQueryBuilder().update(DeliveryEntity).set({ state: 'completed' }).where('id = :id', { id }).execute();
    try {
      const r = await checkStateTables(repo, { pageSize: 3 });
      expect(r.mismatches).toEqual([{ table: 'deliveries', id, stored: 'completed', derived: before, lastEventSeq: await lastSeq('delivery', id) }]);
    } finally {
      await ds.createQueryBuilder().update(DeliveryEntity).set({ state: before }).where('id = :id', { id }).execute();
    }
    expect((await checkStateTables(repo)).mismatches).toEqual([]);
  });
});
