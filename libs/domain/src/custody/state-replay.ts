/**
 * State is derived, and checked (#17). A dose's, a delivery's and an order's state is written
 * twice: in its row, and as the `toState` of the custody event that moved it (both in one
 * transaction, apps/control-plane custody-transitions.ts and orders.service.ts). The row is
 * only a copy: the log is hash-chained, the row is not, so an UPDATE made behind the
 * application's back (a dose set to `administered` in the doses table) leaves the row saying
 * what the log does not. Replaying the log and comparing names every such row.
 *
 * Which aggregate an event's `toState` describes follows from who writes it:
 *   - a dose move (CustodyWrite.placeDose, and `dose_queued` when an order is verified)
 *     carries the dose id — and with it the dose's order and delivery ids — and the dose's state;
 *   - a delivery move (moveDelivery, createDelivery, updateDelivery) carries the delivery id
 *     only, never a dose id, and the delivery's state;
 *   - an order move (order_received, order_verified, order_rejected, order_stopped) carries the
 *     order id only, and the order's status.
 * So: a dose id first, else a delivery id, else an order id. Events without a `toState`
 * (refusals, audits, alarm resolutions, slot_due / slot_missed, cabinet removals, override
 * reviews) move nothing and are skipped. Administration slots are not checked: their state is
 * never an event's `toState` (slot events carry null, and voiding or recording a slot writes
 * its state beside the dose's event, not in it).
 *
 * Every creation writes an event with its state (order_received → active, dose_queued →
 * queued, delivery_created → building), so a row with no event at all did not come through
 * the ledger: its derived state is null, and it is reported. Comparing it with the machine's
 * initial state instead would pass a dose inserted as `queued` behind the log's back (and
 * orders are created `active`, not in the order machine's initial `draft`).
 */

/** The state tables checked, by their names in the database. */
export type StateTable = 'doses' | 'deliveries' | 'medication_orders';

export const STATE_TABLES: readonly StateTable[] = ['doses', 'deliveries', 'medication_orders'];

/** What the replay reads of a custody event. */
export interface ReplayEvent {
  seq: number;
  doseId: string | null;
  deliveryId: string | null;
  orderId: string | null;
  toState: string | null;
}

/** A state row as stored (an order's `status` is its state). */
export interface StateRow {
  id: string;
  state: string;
}

/** A row whose stored state is not the one its events lead to. */
export interface StateMismatch {
  table: StateTable;
  id: string;
  /** the row's state; null when the events name a row that is not in the table */
  stored: string | null;
  /** the last state-setting event's toState; null when no event names the row */
  derived: string | null;
  /** that event's seq; null when there is none */
  lastEventSeq: number | null;
}

/** The aggregate whose state an event sets, or null for an event that moves nothing. */
export function aggregateOf(e: ReplayEvent): { table: StateTable; id: string } | null {
  if (e.toState === null) return null;
  if (e.doseId) return { table: 'doses', id: e.doseId };
  if (e.deliveryId) return { table: 'deliveries', id: e.deliveryId };
  if (e.orderId) return { table: 'medication_orders', id: e.orderId };
  return null;
}

interface Derived {
  state: string;
  seq: number;
  /** a row of this id has been compared */
  seen: boolean;
}

/**
 * The states the log leads to, built a page at a time (a log of a million events is never
 * held whole: only one entry per aggregate). Events must come in strictly increasing seq order:
 * a page out of order would derive an older state and is refused.
 */
export class DerivedStates {
  private readonly byTable = new Map<StateTable, Map<string, Derived>>(STATE_TABLES.map((t) => [t, new Map()]));
  private lastSeq = 0;

  /** The seq of the last event applied (0 before any). */
  get seq(): number {
    return this.lastSeq;
  }

  /** Applies events in seq order; answers the aggregates whose state they set. */
  apply(events: Iterable<ReplayEvent>): { table: StateTable; id: string }[] {
    const moved: { table: StateTable; id: string }[] = [];
    for (const e of events) {
      if (!(e.seq > this.lastSeq)) throw new RangeError(`custody events out of order: #${e.seq} after #${this.lastSeq}`);
      this.lastSeq = e.seq;
      const a = aggregateOf(e);
      if (!a) continue;
      const table = this.byTable.get(a.table)!;
      const had = table.get(a.id);
      table.set(a.id, { state: e.toState!, seq: e.seq, seen: had?.seen ?? false });
      moved.push(a);
    }
    return moved;
  }

  /** The derived state of one aggregate, with the seq of the event that set it. */
  get(table: StateTable, id: string): { state: string; seq: number } | null {
    const d = this.byTable.get(table)!.get(id);
    return d ? { state: d.state, seq: d.seq } : null;
  }

  /** Compares one stored row with its derived state (and counts it as seen); null when they agree. */
  compare(table: StateTable, row: StateRow): StateMismatch | null {
    const d = this.byTable.get(table)!.get(row.id);
    if (d) d.seen = true;
    if (d && d.state === row.state) return null;
    return { table, id: row.id, stored: row.state, derived: d?.state ?? null, lastEventSeq: d?.seq ?? null };
  }

  /** Aggregates the events name whose row was never compared: rows missing from their table. */
  *unseen(table: StateTable): Iterable<StateMismatch> {
    for (const [id, d] of this.byTable.get(table)!) {
      if (!d.seen) yield { table, id, stored: null, derived: d.state, lastEventSeq: d.seq };
    }
  }
}

/**
 * Every row of the three state tables whose state is not the one the events (in seq order)
 * lead to, and every aggregate the events name that has no row: in table order, then in the
 * order of the rows given (missing rows last, in the order the events first named them).
 */
export function stateMismatches(events: readonly ReplayEvent[], rows: Readonly<Record<StateTable, readonly StateRow[]>>): StateMismatch[] {
  const derived = new DerivedStates();
  derived.apply(events);
  const out: StateMismatch[] = [];
  for (const table of STATE_TABLES) {
    for (const row of rows[table]) {
      const m = derived.compare(table, row);
      if (m) out.push(m);
    }
    out.push(...derived.unseen(table));
  }
  return out;
}
