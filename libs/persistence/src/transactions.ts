/**
 * SQLite (better-sqlite3) has one connection, and TypeORM does not queue transactions on it:
 * two features opening transactions concurrently interleave on that connection ("cannot start
 * a transaction within a transaction"), and a plain write issued meanwhile would silently join
 * the other feature's transaction. So on SQLite every write — transaction or single statement —
 * goes through one queue per data source. PostgreSQL uses its pool and is not queued.
 *
 * One write that never settles would hold every later one (custody, missions, alarms) for
 * ever, so the queue says how many writes wait and how long the current one has run:
 * `/health` reports a write stuck past its limit.
 */
import type { DataSource, EntityManager } from 'typeorm';

interface WriteQueue {
  tail: Promise<unknown>;
  /** writes queued or running */
  pending: number;
  /** when the running write started (ms since epoch), null when idle */
  runningSince: number | null;
}

const queues = new WeakMap<DataSource, WriteQueue>();

function serialised<T>(ds: DataSource, work: () => Promise<T>): Promise<T> {
  let q = queues.get(ds);
  if (!q) queues.set(ds, (q = { tail: Promise.resolve(), pending: 0, runningSince: null }));
  const queue = q;
  queue.pending += 1;
  const run = () => {
    queue.runningSince = Date.now();
    return work();
  };
  const next = queue.tail.then(run, run);
  const settle = () => {
    queue.pending -= 1;
    queue.runningSince = null;
  };
  queue.tail = next.then(settle, settle);
  return next;
}

const isSqlite = (ds: DataSource) => ds.options.type === 'better-sqlite3';

export function runTransaction<T>(ds: DataSource, work: (em: EntityManager) => Promise<T>): Promise<T> {
  return isSqlite(ds) ? serialised(ds, () => ds.transaction(work)) : ds.transaction(work);
}

export function runWrite<T>(ds: DataSource, work: () => Promise<T>): Promise<T> {
  return isSqlite(ds) ? serialised(ds, work) : work();
}

/** The SQLite write queue now: writes waiting or running, and how long the running one has taken. */
export interface WriteQueueState {
  pending: number;
  runningForMs: number;
}

/** null where writes are not queued (PostgreSQL). */
export function writeQueueState(ds: DataSource, now = Date.now()): WriteQueueState | null {
  if (!isSqlite(ds)) return null;
  const q = queues.get(ds);
  return { pending: q?.pending ?? 0, runningForMs: q?.runningSince != null ? now - q.runningSince : 0 };
}
