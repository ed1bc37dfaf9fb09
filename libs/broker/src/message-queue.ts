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
 */
import mqemitter from 'mqemitter';

export interface MessageQueue {
  readonly length: number;
  current: number;
  concurrency: number;
}

interface Internals extends MessageQueue {
  _messageQueue: unknown[];
  _do(message: unknown, cb: unknown): unknown;
}

export const MAX_SYNC_RELEASE_DEPTH = 256;

export function createMessageQueue(concurrency: number): MessageQueue {
  const mq = mqemitter({ concurrency }) as unknown as Internals;
  const original = mq._do;
  if (typeof original !== 'function' || !Array.isArray(mq._messageQueue)) {
    throw new Error('mqemitter layout changed: _do/_messageQueue missing');
  }
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
