import { describe, expect, it } from '@jest/globals';
import { KeyedQueue } from './keyed-queue.js';

describe('KeyedQueue', () => {
  it('runs work for one key in order, even when an earlier job fails', async () => {
    const q = new KeyedQueue();
    const order: string[] = [];
    const slow =
      (label: string, ms: number, fail = false) =>
      () =>
        new Promise<string>((resolve, reject) =>
          setTimeout(() => {
            order.push(label);
            if (fail) reject(new Error(label));
            else resolve(label);
          }, ms),
        );
    const a = q.run('k', slow('a', 30, true));
    const b = q.run('k', slow('b', 1));
    await expect(a).rejects.toThrow('a');
    await expect(b).resolves.toBe('b');
    expect(order).toEqual(['a', 'b']);
  });

  it('runs different keys concurrently', async () => {
    const q = new KeyedQueue();
    const order: string[] = [];
    const job = (label: string, ms: number) => () => new Promise<void>((r) => setTimeout(() => (order.push(label), r()), ms));
    await Promise.all([q.run('x', job('x', 30)), q.run('y', job('y', 1))]);
    expect(order).toEqual(['y', 'x']);
  });
});
