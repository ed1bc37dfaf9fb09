/**
 * The deliberate act a test must do before it tampers with the custody log on purpose: the
 * database refuses UPDATE and DELETE on the append-only tables (migration
 * 1764400500000-custody-append-only), so the guard is dropped, the edit made, and the guard put
 * back with the migration's own statements, the way an operator would have to.
 */
import type { DataSource } from 'typeorm';
import { appendOnlyGuard, appendOnlyGuardRemoval } from '#persistence';

/** Runs `fn` with the append-only triggers dropped, and recreates them afterwards (also when `fn` fails). */
export async function withoutAppendOnlyGuard<T>(ds: DataSource, fn: () => Promise<T>): Promise<T> {
  const q = ds.createQueryRunner();
  try {
    for (const sql of appendOnlyGuardRemoval(q)) await q.query(sql);
    try {
      return await fn();
    } finally {
      for (const sql of appendOnlyGuard(q)) await q.query(sql);
    }
  } finally {
    await q.release();
  }
}
