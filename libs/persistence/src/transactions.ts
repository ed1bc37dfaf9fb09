/**
 * SQLite (better-sqlite3) has one connection, and TypeORM does not queue transactions on it:
 * two features opening transactions concurrently interleave on that connection ("cannot start
 * a transaction within a transaction"), and a plain write issued meanwhile would silently join
 * the other feature's transaction. So on SQLite every write — transaction or single statement —
 * goes through one queue per data source. PostgreSQL uses its pool and is not queued.
 */
import type { DataSource, EntityManager } from 'typeorm';

const queues = new WeakMap<DataSource, Promise<unknown>>();

function serialised<T>(ds: DataSource, work: () => Promise<T>): Promise<T> {
  const prev = queues.get(ds) ?? Promise.resolve();
  const next = prev.then(work, work);
  queues.set(
    ds,
    next.then(
      () => undefined,
      () => undefined,
    ),
  );
  return next;
}

const isSqlite = (ds: DataSource) => ds.options.type === 'better-sqlite3';

export function runTransaction<T>(ds: DataSource, work: (em: EntityManager) => Promise<T>): Promise<T> {
  return isSqlite(ds) ? serialised(ds, () => ds.transaction(work)) : ds.transaction(work);
}

export function runWrite<T>(ds: DataSource, work: () => Promise<T>): Promise<T> {
  return isSqlite(ds) ? serialised(ds, work) : work();
}
