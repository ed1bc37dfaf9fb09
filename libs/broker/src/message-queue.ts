/**
 * The in-process message bus under aedes (mqemitter), hardened for floods.
 *
 * 1. mqemitter releases a delivery slot synchronously when a message has no subscriber, and
 *    the release starts the next queued message in the same stack. A queue built up behind a
 *    slow subscriber that then disconnects drains by recursion, one frame per message, until
 *    `RangeError: Maximum call stack size exceeded` kills the process. We cap that depth: past
 *    it, the next message keeps a delivery slot (so it stays ahead of the queue) and runs on
 *    the next turn of the event loop, so order is kept and the stack stays shallow.
 * 2. The queue itself is unbounded. The broker reads `length` and stops reading from
 *    publishers above a high-water mark (see EmbeddedBroker), so TCP pushes back on them.
 * 3. The queue is an array drained with shift(), which moves every element once the array is
 *    large: under load that was 12 % of the server's CPU. It is replaced by a ring buffer with
 *    the same push/shift/length surface.
 */
import mqemitter from 'mqemitter';

export interface MessageQueue {
  readonly length: number;
  current: number;
  concurrency: number;
}

interface Internals extends MessageQueue {
  _messageQueue: unknown[] | RingQueue<unknown>;
  _messageCallbacks: unknown[] | RingQueue<unknown>;
  _do(message: unknown, cb: unknown): unknown;
}

/** A FIFO with O(1) push and shift (a growable ring buffer). */
export class RingQueue<T> {
  private items: (T | undefined)[] = new Array(1024);
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(item: T): number {
    if (this.size === this.items.length) {
      const grown = new Array<T | undefined>(this.items.length * 2);
      for (let i = 0; i < this.size; i++) grown[i] = this.items[(this.head + i) % this.items.length];
      this.items = grown;
      this.head = 0;
    }
    this.items[(this.head + this.size) % this.items.length] = item;
    return ++this.size;
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.size--;
    return item;
  }
}

export const MAX_SYNC_RELEASE_DEPTH = 256;

export function createMessageQueue(concurrency: number): MessageQueue {
  const mq = mqemitter({ concurrency }) as unknown as Internals;
  const original = mq._do;
  if (typeof original !== 'function' || !Array.isArray(mq._messageQueue) || !Array.isArray(mq._messageCallbacks)) {
    throw new Error('mqemitter layout changed: _do/_messageQueue/_messageCallbacks missing');
  }
  mq._messageQueue = new RingQueue();
  mq._messageCallbacks = new RingQueue();
  let depth = 0;
  mq._do = function guardedDo(this: Internals, message: unknown, cb: unknown) {
    if (depth >= MAX_SYNC_RELEASE_DEPTH) {
      // hold a slot so new messages queue behind this one, and run it on the next turn
      // (re-queueing it with unshift would make every later shift O(n) on a long queue)
      this.current++;
      setImmediate(() => {
        this.current--;
        guardedDo.call(this, message, cb);
      });
      return this;
    }
    depth++;
    try {
      return original.call(this, message, cb);
    } finally {
      depth--;
    }
  };
  return mq;
}
