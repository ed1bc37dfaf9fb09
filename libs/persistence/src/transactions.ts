/**
 * Every write to the database goes through here, for two reasons.
 *
 * Order: SQLite (better-sqlite3) has one connection, and TypeORM does not queue transactions
 * on it: two features opening transactions concurrently interleave on that connection
 * ("cannot start a transaction within a transaction"), and a plain write issued meanwhile
 * would silently join the other feature's transaction. So on SQLite every write — transaction
 * or single statement — goes through one queue per data source. PostgreSQL uses its pool and
 * is not queued. One write that never settles would hold every later one (custody, missions,
 * alarms) for ever, so the queue says how many writes wait and how long the current one has
 * run: `/health` reports a write stuck past its limit.
 *
 * Truth: a write whose COMMIT failed must be a failed write. After a failed `COMMIT` (disk
 * full, I/O error) SQLite may already have rolled the transaction back, TypeORM's own
 * `ROLLBACK` then fails, and its shared query runner stays "in a transaction" for ever: every
 * later write nested inside it as a SAVEPOINT, answered success, and was lost at the next
 * restart. So after every failed write the connection is rolled back and checked clean
 * (`inTransaction` false), a storage failure becomes an `UnavailableError`
 * (`storage_unavailable`, HTTP 503) and the store is marked failing — `/health` says so —
 * until a write commits again.
 */
import { UnavailableError } from '#domain';
import type { DataSource, EntityManager } from 'typeorm';
import { StoreProbeEntity } from './entities/store.entities.js';

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

// ---- store health

/** Why the store cannot commit now. */
export interface StoreFailure {
  /** the driver's code: SQLITE_FULL, SQLITE_IOERR_WRITE, 53100, ECONNREFUSED, connection_lost … */
  code: string;
  message: string;
  since: string;
  /** failed writes since it began */
  failedWrites: number;
}

export type StoreEvent = { type: 'write_failed'; code: string } | { type: 'recovered'; downForMs: number } | { type: 'outcome_unknown' };

interface StoreState {
  failure: (StoreFailure & { sinceMs: number }) | null;
  /** set when the connection could not be brought back to a clean state: nothing may be written until a restart */
  broken: string | null;
  listeners: Set<(e: StoreEvent) => void>;
}

const stores = new WeakMap<DataSource, StoreState>();

function store(ds: DataSource): StoreState {
  let s = stores.get(ds);
  if (!s) stores.set(ds, (s = { failure: null, broken: null, listeners: new Set() }));
  return s;
}

/** The store's write health now: null failure when the last write committed. */
export function storeHealth(ds: DataSource): { writable: boolean; failure: StoreFailure | null; broken: string | null } {
  const s = store(ds);
  const failure = s.failure ? { code: s.failure.code, message: s.failure.message, since: s.failure.since, failedWrites: s.failure.failedWrites } : null;
  return { writable: !s.failure && !s.broken, failure, broken: s.broken };
}

/** Subscribes to write failures and recoveries (metrics, alarms); returns the unsubscribe. */
export function onStoreEvent(ds: DataSource, listener: (e: StoreEvent) => void): () => void {
  const s = store(ds);
  s.listeners.add(listener);
  return () => s.listeners.delete(listener);
}

function announce(ds: DataSource, e: StoreEvent): void {
  for (const l of store(ds).listeners) {
    try {
      l(e);
    } catch {
      // a listener's bug must not turn a write's outcome into another error
    }
  }
}

/** Counts a commit whose outcome had to be read back (a lost reply): for metrics. */
export function reportOutcomeUnknown(ds: DataSource): void {
  announce(ds, { type: 'outcome_unknown' });
}

const SQLITE_STORAGE = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB|NOMEM|PROTOCOL|BUSY|PERM)/;
// SQLSTATE classes: 08 connection exception (not 08P01, a protocol violation: a bug), 53
// insufficient resources (53100 disk full), 55P03 lock not available (lock_timeout), 57P0x
// operator intervention (shutdown, cannot connect now), 58 system error, XX001/XX002 corruption,
// 25006 read-only transaction (a standby after a failover)
const PG_STORAGE = /^(08(?!P01)|53|55P03|57P0|58|XX00[12]|25006)/;
const NET_STORAGE = /^(ECONNREFUSED|ECONNRESET|ECONNABORTED|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)$/;
const PG_CLIENT_LOST =
  /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Connection ended|Client was closed|terminating connection/i;

/**
 * The failure code when `err` says the store cannot take writes (disk, I/O, connection,
 * server shutting down), null for errors about the write itself (constraint, bug).
 */
export function storageFailureCode(err: unknown): string | null {
  const e = err as { code?: unknown; driverError?: { code?: unknown; message?: unknown }; message?: unknown } | null;
  if (!e || typeof e !== 'object') return null;
  for (const code of [e.code, e.driverError?.code]) {
    if (typeof code !== 'string') continue;
    if (SQLITE_STORAGE.test(code) || PG_STORAGE.test(code) || NET_STORAGE.test(code)) return code;
  }
  const message = `${typeof e.message === 'string' ? e.message : ''} ${typeof e.driverError?.message === 'string' ? e.driverError.message : ''}`;
  if (PG_CLIENT_LOST.test(message)) return 'connection_lost';
  return null;
}

/** The error a request sees when the store could not commit its write. */
export function storageUnavailable(code: string, outcome: 'not_committed' | 'unknown' = 'not_committed'): UnavailableError {
  const what = outcome === 'unknown' ? 'the database did not confirm the write; its outcome is unknown' : 'the database could not commit the write';
  return new UnavailableError(`${what} (${code}); nothing was acknowledged — retry later with the same Idempotency-Key`, 'storage_unavailable', {
    cause: code,
    outcome,
  });
}

function failed(ds: DataSource, code: string, err: unknown): void {
  const s = store(ds);
  const message = String((err as Error)?.message ?? err).slice(0, 300);
  if (s.failure) {
    s.failure.failedWrites += 1;
    s.failure.code = code;
    s.failure.message = message;
  } else {
    const now = Date.now();
    s.failure = { code, message, since: new Date(now).toISOString(), sinceMs: now, failedWrites: 1 };
  }
  announce(ds, { type: 'write_failed', code });
}

function committed(ds: DataSource): void {
  const s = store(ds);
  if (!s.failure) return;
  const downForMs = Date.now() - s.failure.sinceMs;
  s.failure = null;
  announce(ds, { type: 'recovered', downForMs });
}

interface SqliteInternals {
  databaseConnection?: { inTransaction: boolean; exec(sql: string): unknown };
  queryRunner?: { isTransactionActive: boolean; transactionDepth: number };
}

/**
 * Brings the one SQLite connection back to "no transaction open" after a failed write, in
 * the driver (ROLLBACK) and in TypeORM's shared query runner (its flags), and checks it.
 */
function resetSqlite(ds: DataSource): void {
  const driver = ds.driver as unknown as SqliteInternals | undefined;
  if (!driver) return;
  const conn = driver.databaseConnection;
  if (conn?.inTransaction) {
    try {
      conn.exec('ROLLBACK');
    } catch {
      // checked below
    }
  }
  if (driver.queryRunner) {
    driver.queryRunner.isTransactionActive = false;
    driver.queryRunner.transactionDepth = 0;
  }
  if (conn?.inTransaction) {
    store(ds).broken = 'the SQLite connection is left inside a transaction that cannot be rolled back; restart MedLoop';
  }
}

/** Errors that cut the connection: after the work was done, the COMMIT may or may not have happened. */
const CONNECTION_LOST = (code: string) => NET_STORAGE.test(code) || code === 'connection_lost' || /^(08|57P0)/.test(code);

async function guarded<T>(ds: DataSource, work: (done: () => void) => Promise<T>, probe = false): Promise<T> {
  const s = store(ds);
  if (s.broken) throw new UnavailableError(s.broken, 'storage_unavailable', { cause: 'connection_broken', outcome: 'not_committed' });
  let workDone = false;
  try {
    const out = await work(() => (workDone = true));
    // only a real write proves the store commits again (a read-only transaction, or an update
    // that matched nothing, would say so while the disk is still full): the probe's
    if (probe) committed(ds);
    return out;
  } catch (err) {
    if (isSqlite(ds)) resetSqlite(ds);
    const code = storageFailureCode(err);
    if (!code) throw err;
    failed(ds, code, err);
    const outcome = workDone && !isSqlite(ds) && CONNECTION_LOST(code) ? 'unknown' : 'not_committed';
    throw Object.assign(storageUnavailable(code, outcome), { driverCause: err });
  }
}

/** The driver error behind a storage_unavailable error, for callers that must tell a lost reply from a refused write. */
export function driverCause(err: unknown): unknown {
  return (err as { driverCause?: unknown })?.driverCause;
}

export function runTransaction<T>(ds: DataSource, work: (em: EntityManager) => Promise<T>): Promise<T> {
  const tx = () =>
    guarded(ds, (done) =>
      ds.transaction(async (em) => {
        const out = await work(em);
        done(); // what fails from here on is the COMMIT
        return out;
      }),
    );
  return isSqlite(ds) ? serialised(ds, tx) : tx();
}

export function runWrite<T>(ds: DataSource, work: () => Promise<T>): Promise<T> {
  const write = () => guarded(ds, () => work());
  return isSqlite(ds) ? serialised(ds, write) : write();
}

/**
 * One small real write (a row in `store_probe`): while the store is failing, whoever watches
 * it (the health service) calls this until it commits, so `/health` turns 200 again when
 * space or the connection returns even if no client writes. Resolves true when it committed.
 */
export async function probeWrite(ds: DataSource): Promise<boolean> {
  try {
    const write = () => guarded(ds, () => ds.manager.upsert(StoreProbeEntity, { id: 'probe', at: new Date() }, ['id']), true);
    await (isSqlite(ds) ? serialised(ds, write) : write());
    return true;
  } catch {
    return false;
  }
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
