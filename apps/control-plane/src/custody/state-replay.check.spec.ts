import { describe, expect, it } from '@jest/globals';
import type { ReplayEvent, StateRow, StateTable } from '#domain';
import { checkStateTables, type StateReplaySource, type StateReplayTx } from './state-replay.check.js';

/**
 * An in-memory custody store: a move appends its event and sets its row together, as the
 * ledger's transaction does; `beforeRows` runs once, between the read of the log and the
 * first read of a state table (a custody write committing while the check runs).
 */
class Store implements StateReplaySource {
  events: ReplayEvent[] = [];
  rows: Record<StateTable, Map<string, string>> = { doses: new Map(), deliveries: new Map(), medication_orders: new Map() };
  beforeRows: (() => void) | null = null;
  reads = { events: 0, rows: 0 };

  move(table: StateTable, id: string, toState: string, ids: Partial<Pick<ReplayEvent, 'doseId' | 'deliveryId' | 'orderId'>>): void {
    this.events.push({ seq: this.events.length + 1, doseId: null, deliveryId: null, orderId: null, ...ids, toState });
    this.rows[table].set(id, toState);
  }
  stateEventsAfter(seq: number, limit: number): Promise<ReplayEvent[]> {
    this.reads.events += 1;
    return Promise.resolve(this.events.filter((e) => e.seq > seq).slice(0, limit));
  }
  stateRowsAfter(table: StateTable, afterId: string, limit: number): Promise<StateRow[]> {
    const hook = this.beforeRows;
    this.beforeRows = null;
    hook?.();
    this.reads.rows += 1;
    const rows = [...this.rows[table]].map(([id, state]) => ({ id, state })).sort((a, b) => (a.id < b.id ? -1 : 1));
    return Promise.resolve(rows.filter((r) => r.id > afterId).slice(0, limit));
  }
  transaction<T>(work: (tx: StateReplayTx) => Promise<T>): Promise<T> {
    return work({
      lockedHead: () => Promise.resolve({ seq: this.events.length, hash: 'h' }),
      stateEventsAfter: (seq, limit) => this.stateEventsAfter(seq, limit),
      stateRowsByIds: (table, ids) => Promise.resolve(ids.filter((id) => this.rows[table].has(id)).map((id) => ({ id, state: this.rows[table].get(id)! }))),
    });
  }
}

/** An order verified into three doses, two of them picked into a delivery. */
function populated(): Store {
  const s = new Store();
  s.move('medication_orders', 'o1', 'active', { orderId: 'o1' });
  s.move('medication_orders', 'o1', 'verified', { orderId: 'o1' });
  for (const d of ['d1', 'd2', 'd3']) s.move('doses', d, 'queued', { doseId: d, orderId: 'o1' });
  s.move('deliveries', 'v1', 'building', { deliveryId: 'v1' });
  for (const d of ['d1', 'd2']) s.move('doses', d, 'picked', { doseId: d, orderId: 'o1', deliveryId: 'v1' });
  return s;
}

describe('checkStateTables', () => {
  it('pages the log and every table, and finds a consistent store consistent', async () => {
    const s = populated();
    const r = await checkStateTables(s, { pageSize: 2 });
    expect(r).toEqual({ checked: { doses: 3, deliveries: 1, orders: 1 }, throughSeq: 8, mismatches: [] });
    // 8 events in pages of 2 and an empty page; 3 + 1 + 1 rows in pages of 2 and an empty page each
    expect(s.reads).toEqual({ events: 5, rows: 2 + 1 + 1 + 3 });
  });

  it('does not report custody writes that commit while it runs: a move, a new order, a new dose', async () => {
    const s = populated();
    s.beforeRows = () => {
      s.move('doses', 'd1', 'checked', { doseId: 'd1', orderId: 'o1', deliveryId: 'v1' });
      s.move('deliveries', 'v1', 'loaded', { deliveryId: 'v1' });
      s.move('medication_orders', 'o2', 'active', { orderId: 'o2' });
      s.move('doses', 'd0', 'queued', { doseId: 'd0', orderId: 'o1' });
    };
    const r = await checkStateTables(s, { pageSize: 2 });
    expect(r.mismatches).toEqual([]);
    expect(r.throughSeq).toBe(12);
    expect(r.checked).toEqual({ doses: 4, deliveries: 1, orders: 2 });
  });

  it('names rows changed behind the ledger, a row with no event and a row that is gone, even beside writes', async () => {
    const s = populated();
    s.rows.doses.set('d2', 'administered');
    s.rows.deliveries.set('v1', 'completed');
    s.rows.doses.set('dx', 'queued');
    s.rows.medication_orders.delete('o1');
    s.beforeRows = () => s.move('doses', 'd3', 'cancelled', { doseId: 'd3', orderId: 'o1' });
    expect((await checkStateTables(s, { pageSize: 3 })).mismatches).toEqual([
      { table: 'doses', id: 'd2', stored: 'administered', derived: 'picked', lastEventSeq: 8 },
      { table: 'doses', id: 'dx', stored: 'queued', derived: null, lastEventSeq: null },
      { table: 'deliveries', id: 'v1', stored: 'completed', derived: 'building', lastEventSeq: 6 },
      { table: 'medication_orders', id: 'o1', stored: null, derived: 'verified', lastEventSeq: 2 },
    ]);
  });
});
