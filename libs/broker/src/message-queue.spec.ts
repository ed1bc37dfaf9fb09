import { describe, expect, it } from '@jest/globals';
import mqemitter from 'mqemitter';
import { createMessageQueue, RingQueue } from './message-queue.js';

type Emitter = {
  on(t: string, f: (m: unknown, done: () => void) => void): void;
  removeListener(t: string, f: unknown, cb: () => void): void;
  emit(m: { topic: string }, cb: (err?: Error) => void): void;
  length: number;
};

/** A subscriber holds the first delivery while a flood queues up behind it, then leaves. */
async function floodThenLeave(mq: Emitter, messages: number): Promise<{ done: number[]; error: unknown }> {
  const held: (() => void)[] = [];
  const listener = (_m: unknown, done: () => void) => void held.push(done);
  mq.on('t', listener);
  const done: number[] = [];
  for (let i = 0; i < messages; i++) mq.emit({ topic: 't' }, () => done.push(i));
  expect(mq.length).toBe(messages - 1);
  await new Promise<void>((r) => mq.removeListener('t', listener, r));
  let error: unknown = null;
  try {
    held.shift()!(); // the last in-flight delivery completes: the queue drains with no subscriber
  } catch (e) {
    error = e;
  }
  const until = Date.now() + 10_000;
  while (!error && done.length < messages && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return { done, error };
}

describe('message queue under a flood', () => {
  it('plain mqemitter overflows the stack when a queue drains with no subscriber (the bug)', async () => {
    const { error } = await floodThenLeave(mqemitter({ concurrency: 1 }) as unknown as Emitter, 20_000);
    expect(error).toBeInstanceOf(RangeError);
  });

  it('the guarded queue drains every message, in order, without deep recursion', async () => {
    const { done, error } = await floodThenLeave(createMessageQueue(1) as unknown as Emitter, 20_000);
    expect(error).toBeNull();
    expect(done).toHaveLength(20_000);
    expect(done.every((v, i) => v === i)).toBe(true);
  });
});

describe('RingQueue', () => {
  it('is a FIFO across growth and wrap-around', () => {
    const q = new RingQueue<number>();
    const expected: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 97; i++) {
        q.push(next);
        expected.push(next++);
      }
      for (let i = 0; i < 60; i++) expect(q.shift()).toBe(expected.shift());
    }
    expect(q.length).toBe(expected.length);
    while (expected.length) expect(q.shift()).toBe(expected.shift());
    expect(q.shift()).toBeUndefined();
    expect(q.length).toBe(0);
  });
});
