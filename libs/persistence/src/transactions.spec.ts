import { describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { onStoreEvent, probeWrite, runTransaction, runWrite, storageFailureCode, storeHealth, writeQueueState } from './transactions.js';

const fakeDs = (type: string) => ({ options: { type }, manager: { upsert: () => Promise.resolve() } }) as unknown as DataSource;
const gate = () => {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
};
const turn = () => new Promise((r) => setImmediate(r));

describe('SQLite write queue', () => {
  it('runs writes one at a time and reports how many wait and how long the running one has run', async () => {
    const ds = fakeDs('better-sqlite3');
    expect(writeQueueState(ds)).toEqual({ pending: 0, runningForMs: 0 });
    const order: string[] = [];
    const first = gate();
    const a = runWrite(ds, async () => {
      order.push('a start');
      await first.p;
      order.push('a end');
    });
    const b = runWrite(ds, async () => {
      order.push('b');
    });
    await turn();
    const started = Date.now();
    expect(order).toEqual(['a start']);
    const busy = writeQueueState(ds, started + 5_000)!;
    expect(busy.pending).toBe(2);
    expect(busy.runningForMs).toBeGreaterThanOrEqual(5_000);
    first.open();
    await Promise.all([a, b]);
    await turn();
    expect(order).toEqual(['a start', 'a end', 'b']);
    expect(writeQueueState(ds)).toEqual({ pending: 0, runningForMs: 0 });
  });

  it('a failed write frees the queue for the next one', async () => {
    const ds = fakeDs('better-sqlite3');
    const failed = runWrite(ds, () => Promise.reject(new Error('constraint')));
    const next = runWrite(ds, () => Promise.resolve('written'));
    await expect(failed).rejects.toThrow('constraint');
    await expect(next).resolves.toBe('written');
    await turn();
    expect(writeQueueState(ds)).toEqual({ pending: 0, runningForMs: 0 });
  });

  it('PostgreSQL writes are not queued and have no queue state', async () => {
    const ds = fakeDs('postgres');
    const held = gate();
    let ran = false;
    const a = runWrite(ds, () => held.p);
    const b = runWrite(ds, async () => {
      ran = true;
    });
    await b;
    expect(ran).toBe(true);
    expect(writeQueueState(ds)).toBeNull();
    held.open();
    await a;
  });
});

describe('store health', () => {
  it('tells storage failures (disk, I/O, connection) from errors about the write itself', () => {
    expect(storageFailureCode(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))).toBe('SQLITE_FULL');
    expect(storageFailureCode({ driverError: { code: 'SQLITE_IOERR_WRITE' } })).toBe('SQLITE_IOERR_WRITE');
    expect(storageFailureCode({ code: '53100', message: 'could not extend file: No space left on device' })).toBe('53100');
    expect(storageFailureCode({ code: '57P01', message: 'terminating connection due to administrator command' })).toBe('57P01');
    expect(storageFailureCode({ code: 'ECONNREFUSED' })).toBe('ECONNREFUSED');
    expect(storageFailureCode(new Error('Connection terminated unexpectedly'))).toBe('connection_lost');
    expect(storageFailureCode({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' })).toBeNull();
    expect(storageFailureCode({ code: '23505', message: 'duplicate key value violates unique constraint' })).toBeNull();
    expect(storageFailureCode(new Error('a bug'))).toBeNull();
  });

  it('a failed commit is a 503 storage_unavailable and marks the store failing until a write commits', async () => {
    const ds = fakeDs('postgres');
    const seen: string[] = [];
    onStoreEvent(ds, (e) => seen.push(e.type));
    expect(storeHealth(ds).writable).toBe(true);
    const full = runWrite(ds, () => Promise.reject(Object.assign(new Error('could not extend file'), { code: '53100' })));
    await expect(full).rejects.toMatchObject({ kind: 'unavailable', code: 'storage_unavailable', details: { cause: '53100', outcome: 'not_committed' } });
    expect(storeHealth(ds)).toMatchObject({ writable: false, failure: { code: '53100', failedWrites: 1 } });
    // an error about the write itself does not say anything about the store
    await expect(runWrite(ds, () => Promise.reject(Object.assign(new Error('dup'), { code: '23505' })))).rejects.toMatchObject({ code: '23505' });
    expect(storeHealth(ds).failure?.failedWrites).toBe(1);
    // a write that succeeds is not proof (it may have been a read, or matched nothing): the probe's write is
    await expect(runWrite(ds, () => Promise.resolve('ok'))).resolves.toBe('ok');
    expect(storeHealth(ds).writable).toBe(false);
    await expect(probeWrite(ds)).resolves.toBe(true);
    expect(storeHealth(ds)).toMatchObject({ writable: true, failure: null });
    expect(seen).toEqual(['write_failed', 'recovered']);
  });

  it('a connection lost after the work was done (at COMMIT) is an unknown outcome, not a refusal', async () => {
    const ds = Object.assign(fakeDs('postgres'), {
      transaction: async (work: (em: unknown) => Promise<unknown>) => {
        await work({});
        throw new Error('Connection terminated unexpectedly');
      },
    }) as unknown as DataSource;
    await expect(runTransaction(ds, () => Promise.resolve(1))).rejects.toMatchObject({ code: 'storage_unavailable', details: { outcome: 'unknown' } });
    const before = Object.assign(fakeDs('postgres'), {
      transaction: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    }) as unknown as DataSource;
    await expect(runTransaction(before, () => Promise.resolve(1))).rejects.toMatchObject({ details: { outcome: 'not_committed' } });
  });
});
