import { describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { runWrite, writeQueueState } from './transactions.js';

const fakeDs = (type: string) => ({ options: { type } }) as unknown as DataSource;
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
