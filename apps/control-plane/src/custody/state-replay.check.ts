/**
 * State replay over the database (#17, "state is derived, and checked"): the custody log is
 * replayed page by page (libs/domain `DerivedStates`: one entry per dose, delivery and order,
 * never the whole log) and each state table is then read page by page in id order and compared
 * with it. The check runs beside live custody writes without stopping them, so what the first
 * pass finds is only a candidate: a move that committed between the read of the log and the
 * read of its row shows the row ahead of the log. Candidates are confirmed in one short
 * transaction holding the chain head (on PostgreSQL locked, as every custody writer takes it
 * first; on SQLite in the write queue), in which the log's tail is read and each candidate row
 * read again: nothing can commit a custody move meanwhile, so what still disagrees there is
 * a row changed behind the ledger's back.
 */
import { DerivedStates, STATE_TABLES, type ReplayEvent, type StateMismatch, type StateRow, type StateTable } from '#domain';

/** The reads inside the confirming transaction (CustodyTx has them). */
export interface StateReplayTx {
  lockedHead(): Promise<{ seq: number; hash: string } | null>;
  stateEventsAfter(seq: number, limit: number): Promise<ReplayEvent[]>;
  stateRowsByIds(table: StateTable, ids: string[]): Promise<StateRow[]>;
}

/** The reads state replay needs (CustodyRepository has them). */
export interface StateReplaySource {
  stateEventsAfter(seq: number, limit: number): Promise<ReplayEvent[]>;
  stateRowsAfter(table: StateTable, afterId: string, limit: number): Promise<StateRow[]>;
  transaction<T>(work: (tx: StateReplayTx) => Promise<T>): Promise<T>;
}

export interface StateReplayReport {
  /** rows compared in each table */
  checked: { doses: number; deliveries: number; orders: number };
  /** the seq of the last event replayed (the log is gap-free: also how many there were) */
  throughSeq: number;
  /** in table order (doses, deliveries, orders), then row id */
  mismatches: StateMismatch[];
}

const COUNTED: Record<StateTable, keyof StateReplayReport['checked']> = { doses: 'doses', deliveries: 'deliveries', medication_orders: 'orders' };
/** candidate ids re-read per statement: well under every driver's bound-parameter limit */
const ID_CHUNK = 500;

const key = (table: StateTable, id: string) => `${table}\u0000${id}`;

/** Replays the events after `derived.seq` into it, a page at a time, to the end of the log as read. */
async function replay(read: (seq: number, limit: number) => Promise<ReplayEvent[]>, derived: DerivedStates, pageSize: number): Promise<void> {
  // bounded: each page moves `derived.seq` past at least one event (apply refuses going back)
  for (;;) {
    const page = await read(derived.seq, pageSize);
    if (page.length === 0) return;
    derived.apply(page);
  }
}

/** Checks every dose, delivery and order row against the state its custody events lead to. */
export async function checkStateTables(source: StateReplaySource, opts: { pageSize?: number } = {}): Promise<StateReplayReport> {
  const pageSize = opts.pageSize ?? 2000;
  const derived = new DerivedStates();
  await replay((seq, limit) => source.stateEventsAfter(seq, limit), derived, pageSize);

  const checked = { doses: 0, deliveries: 0, orders: 0 };
  const candidates = new Map<string, StateMismatch>();
  for (const table of STATE_TABLES) {
    let after = '';
    for (;;) {
      const page = await source.stateRowsAfter(table, after, pageSize);
      if (page.length === 0) break;
      for (const row of page) {
        checked[COUNTED[table]] += 1;
        const m = derived.compare(table, row);
        if (m) candidates.set(key(table, row.id), m);
      }
      after = page[page.length - 1]!.id;
    }
    // named by the log, never met in the table: a row created after the log was read cannot be
    // one of these (its events are after the log read), so each is a row that is gone
    for (const m of derived.unseen(table)) candidates.set(key(table, m.id), m);
  }

  const mismatches = candidates.size === 0 ? [] : await confirm(source, derived, [...candidates.values()], pageSize);
  mismatches.sort((a, b) => STATE_TABLES.indexOf(a.table) - STATE_TABLES.indexOf(b.table) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { checked, throughSeq: derived.seq, mismatches };
}

/**
 * Reads the log's tail and each candidate row again with the chain head held, and answers
 * the candidates that still disagree, as they stand now.
 */
async function confirm(source: StateReplaySource, derived: DerivedStates, candidates: StateMismatch[], pageSize: number): Promise<StateMismatch[]> {
  return source.transaction(async (tx) => {
    await tx.lockedHead();
    await replay((seq, limit) => tx.stateEventsAfter(seq, limit), derived, pageSize);
    const out: StateMismatch[] = [];
    for (const table of STATE_TABLES) {
      const ids = candidates.filter((c) => c.table === table).map((c) => c.id);
      for (let i = 0; i < ids.length; i += ID_CHUNK) {
        const chunk = ids.slice(i, i + ID_CHUNK);
        const now = new Map((await tx.stateRowsByIds(table, chunk)).map((r) => [r.id, r.state]));
        for (const id of chunk) {
          const stored = now.get(id);
          const d = derived.get(table, id);
          if (stored !== undefined) {
            const m = derived.compare(table, { id, state: stored });
            if (m) out.push(m);
          } else if (d) {
            out.push({ table, id, stored: null, derived: d.state, lastEventSeq: d.seq });
          }
          // neither a row nor an event: a row seen in the first pass that is gone now, with no event ever naming it
        }
      }
    }
    return out;
  });
}
