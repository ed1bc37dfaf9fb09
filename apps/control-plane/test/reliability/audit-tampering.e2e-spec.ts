/**
 * Audit tampering, property-based: on a populated custody log, any single-row edit, deletion
 * or reordering made directly in the database is detected by GET /api/audit/verify, which
 * names the first broken link. Each case is undone (rows restored) before the next. The
 * database refuses such edits (the append-only guard), so each is made, and undone, with the
 * guard dropped on purpose; the verification runs with it back in place.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { CustodyEventEntity } from '#persistence';
import { withoutAppendOnlyGuard } from '../support/append-only.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { CustodyFixture, runs } from './support.js';

type Mutation =
  | { kind: 'edit'; seq: number; field: 'action' | 'location' | 'toState' | 'evidence' | 'at' | 'actor' | 'prevHash' | 'hash' | 'doseId' }
  | { kind: 'delete'; seq: number }
  | { kind: 'swap'; seq: number; other: number };

describe('audit tampering', () => {
  let t: TestApp;
  let ds: DataSource;
  let original: CustodyEventEntity[];

  beforeAll(async () => {
    t = await startTestApp();
    const pharmacist = await t.userToken('pharmacist');
    const api = (token: string, method: string, path: string, body?: unknown) => t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
    const fx = await CustodyFixture.create(api, pharmacist.token, undefined, t.adminToken);
    const orders: string[] = [];
    for (let i = 0; i < 4; i++) orders.push(await fx.verifiedOrder((await fx.patient('W-CARD')).id));
    await fx.delivery('W-CARD', orders.slice(0, 2), 'checked');
    await fx.delivery('W-CARD', orders.slice(2), 'picked');
    ds = t.cp.app.get(DataSource);
    original = await ds.getRepository(CustodyEventEntity).find({ order: { seq: 'ASC' } });
    expect(original.length).toBeGreaterThanOrEqual(15);
    expect((await t.api('GET', '/api/audit/verify', { token: t.adminToken })).body.ok).toBe(true);
  });

  afterAll(async () => {
    await t?.close();
  });

  const repo = () => ds.getRepository(CustodyEventEntity);
  const restore = (seqs: number[]) =>
    withoutAppendOnlyGuard(ds, async () => {
      await repo().delete(seqs.map((seq) => ({ seq })));
      await repo().insert(original.filter((e) => seqs.includes(e.seq)));
    });

  async function apply(m: Mutation): Promise<number[]> {
    const row = original[m.seq - 1]!;
    if (m.kind === 'delete') {
      await repo().delete({ seq: m.seq });
      return [m.seq];
    }
    if (m.kind === 'swap') {
      // reorder: the two events trade places (each keeps its own content and hashes)
      const other = original[m.other - 1]!;
      await repo().delete([{ seq: m.seq }, { seq: m.other }]);
      await repo().insert([
        { ...other, seq: m.seq },
        { ...row, seq: m.other },
      ]);
      return [m.seq, m.other];
    }
    const changed: Partial<CustodyEventEntity> = {
      action: { action: `${row.action}x` },
      location: { location: `${row.location ?? ''}-moved` },
      toState: { toState: row.toState === 'administered' ? 'held' : 'administered' },
      evidence: { evidence: { ...row.evidence, tampered: true } },
      at: { at: new Date(row.at.getTime() + 1000) },
      actor: { actor: { ...row.actor, id: `${row.actor.id}-x` } },
      prevHash: { prevHash: `${row.prevHash.slice(0, -1)}${row.prevHash.endsWith('0') ? '1' : '0'}` },
      hash: { hash: `${row.hash.slice(0, -1)}${row.hash.endsWith('0') ? '1' : '0'}` },
      doseId: { doseId: row.doseId ? null : '00000000-0000-4000-8000-000000000000' },
    }[m.field] as Partial<CustodyEventEntity>;
    await ds.createQueryBuilder().update(CustodyEventEntity).set(changed).where('seq = :seq', { seq: m.seq }).execute();
    return [m.seq];
  }

  it('detects every random single-row edit, deletion and reordering and names the first broken link', async () => {
    const n = original.length;
    const seq = fc.integer({ min: 1, max: n });
    const mutation: fc.Arbitrary<Mutation> = fc.oneof(
      fc.record({
        kind: fc.constant('edit' as const),
        seq,
        field: fc.constantFrom('action', 'location', 'toState', 'evidence', 'at', 'actor', 'prevHash', 'hash', 'doseId' as const),
      }),
      fc.record({ kind: fc.constant('delete' as const), seq }),
      fc
        .record({ kind: fc.constant('swap' as const), seq: fc.integer({ min: 1, max: n - 1 }), other: fc.integer({ min: 2, max: n }) })
        .filter((m) => m.other > m.seq),
    );
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const touched = await withoutAppendOnlyGuard(ds, () => apply(m));
        try {
          const r = (await t.api('GET', '/api/audit/verify', { token: t.adminToken })).body;
          expect(r.ok).toBe(false);
          // the first broken link is the first row touched (a deletion of the last row is
          // reported as a truncation at that position)
          expect(r.brokenAt.seq === m.seq || r.brokenAt.expectedSeq === m.seq).toBe(true);
          expect(typeof r.brokenAt.reason).toBe('string');
          expect(r.brokenAt.detail).toContain(`#`);
          cases++;
        } finally {
          await restore(touched);
        }
        expect((await t.api('GET', '/api/audit/verify', { token: t.adminToken })).body.ok).toBe(true);
      }),
      { numRuns: runs(60), seed: Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31) },
    );
    process.stdout.write(`audit-tampering: ${cases} mutations detected on a log of ${n} events\n`);
  }, 120_000);
});
