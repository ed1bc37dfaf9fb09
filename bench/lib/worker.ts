/**
 * Worker side of the IPC protocol in child.ts: arguments arrive as JSON in argv[2]; the
 * worker exits on its own when the parent goes away or its lifetime cap passes, so a crashed
 * benchmark never leaves load generators running.
 */
import type { WorkerMessage } from './child.js';

/** `maxLifetimeMs` in the arguments, when given, overrides the worker's default cap. */
export function workerArgs<T>(defaultLifetimeMs: number): T {
  const parsed = JSON.parse(process.argv[2] ?? '{}') as T & { maxLifetimeMs?: number };
  const maxLifetimeMs = parsed.maxLifetimeMs ?? defaultLifetimeMs;
  setTimeout(() => {
    process.stderr.write(`worker ${process.argv[1]} reached its ${maxLifetimeMs} ms lifetime cap; exiting\n`);
    process.exit(3);
  }, maxLifetimeMs).unref();
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  process.on('uncaughtException', (err) => fatal(err));
  process.on('unhandledRejection', (err) => fatal(err));
  return parsed;
}

export function send(msg: WorkerMessage): void {
  process.send?.(msg);
}

export function fatal(err: unknown): never {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`${message}\n`);
  try {
    process.send?.({ type: 'fatal', message }, () => process.exit(2));
  } catch {
    process.exit(2);
  }
  setTimeout(() => process.exit(2), 500);
  throw err instanceof Error ? err : new Error(message);
}

const inbox: WorkerMessage[] = [];
const waiters: { type: string; resolve: (m: WorkerMessage) => void }[] = [];
process.on('message', (m: WorkerMessage) => {
  const i = waiters.findIndex((w) => w.type === m.type);
  if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m);
  else inbox.push(m);
});

/** The next command of `type` from the parent. */
export function command<T extends WorkerMessage = WorkerMessage>(type: string, timeoutMs: number): Promise<T> {
  const i = inbox.findIndex((m) => m.type === type);
  if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0] as T);
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`worker timed out after ${timeoutMs} ms waiting for '${type}'`)), timeoutMs);
    waiters.push({
      type,
      resolve: (m) => {
        clearTimeout(t);
        resolve(m as T);
      },
    });
  });
}

/** Runs `fn` for each item with at most `limit` in flight. */
export async function withConcurrency<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
