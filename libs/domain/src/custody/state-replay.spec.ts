import { describe, expect, it } from '@jest/globals';
import { aggregateOf, DerivedStates, type ReplayEvent, stateMismatches, type StateRow, type StateTable } from './state-replay.js';

const O1 = 'order-1';
const D1 = 'dose-1';
const D2 = 'dose-2';
const V1 = 'delivery-1';

/** One order verified into two doses, both picked into a delivery, checked and loaded; refusals and audits between. */
function log(): ReplayEvent[] {
  const raw: Omit<ReplayEvent, 'seq'>[] = [
    { orderId: O1, doseId: null, deliveryId: null, toState: 'active' }, // order_received
    { orderId: O1, doseId: null, deliveryId: null, toState: 'verified' }, // order_verified
    { orderId: O1, doseId: D1, deliveryId: null, toState: 'queued' }, // dose_queued
    { orderId: O1, doseId: D2, deliveryId: null, toState: 'queued' },
    { orderId: null, doseId: null, deliveryId: V1, toState: 'building' }, // delivery_created
    { orderId: O1, doseId: D1, deliveryId: V1, toState: 'picked' }, // picked: the dose's state, not the delivery's
    { orderId: O1, doseId: D2, deliveryId: V1, toState: 'picked' },
    { orderId: O1, doseId: null, deliveryId: V1, toState: null }, // a refused pick: moves nothing
    { orderId: null, doseId: null, deliveryId: V1, toState: 'checked' }, // delivery_checked
    { orderId: O1, doseId: D1, deliveryId: V1, toState: 'checked' },
    { orderId: O1, doseId: D2, deliveryId: V1, toState: 'checked' },
    { orderId: O1, doseId: D1, deliveryId: V1, toState: 'loaded' },
    { orderId: O1, doseId: D2, deliveryId: V1, toState: 'loaded' },
    { orderId: null, doseId: null, deliveryId: V1, toState: 'loaded' }, // delivery_loaded
    { orderId: O1, doseId: D1, deliveryId: null, toState: null }, // slot_due: no toState
  ];
  return raw.map((e, i) => ({ seq: i + 1, ...e }));
}

const rows = (over: Partial<Record<StateTable, StateRow[]>> = {}): Record<StateTable, StateRow[]> => ({
  doses: [
    { id: D1, state: 'loaded' },
    { id: D2, state: 'loaded' },
  ],
  deliveries: [{ id: V1, state: 'loaded' }],
  medication_orders: [{ id: O1, state: 'verified' }],
  ...over,
});

describe('state replay', () => {
  it('finds nothing on a consistent log', () => {
    expect(stateMismatches(log(), rows())).toEqual([]);
  });

  it('names a dose whose row was edited to administered, with the event its state came from', () => {
    const edited = rows({
      doses: [
        { id: D1, state: 'loaded' },
        { id: D2, state: 'administered' },
      ],
    });
    expect(stateMismatches(log(), edited)).toEqual([{ table: 'doses', id: D2, stored: 'administered', derived: 'loaded', lastEventSeq: 13 }]);
  });

  it('names a delivery whose row disagrees, though dose events carry its id too', () => {
    expect(stateMismatches(log(), rows({ deliveries: [{ id: V1, state: 'delivered' }] }))).toEqual([
      { table: 'deliveries', id: V1, stored: 'delivered', derived: 'loaded', lastEventSeq: 14 },
    ]);
  });

  it('names a row no event names: every creation is on the log, so it did not come through the ledger', () => {
    const forged = rows({ doses: [...rows().doses, { id: 'dose-x', state: 'queued' }] });
    expect(stateMismatches(log(), forged)).toEqual([{ table: 'doses', id: 'dose-x', stored: 'queued', derived: null, lastEventSeq: null }]);
  });

  it('names an aggregate the events name whose row is gone', () => {
    expect(stateMismatches(log(), rows({ medication_orders: [] }))).toEqual([
      { table: 'medication_orders', id: O1, stored: null, derived: 'verified', lastEventSeq: 2 },
    ]);
  });

  it('names an order whose status was edited', () => {
    expect(stateMismatches(log(), rows({ medication_orders: [{ id: O1, state: 'stopped' }] }))).toEqual([
      { table: 'medication_orders', id: O1, stored: 'stopped', derived: 'verified', lastEventSeq: 2 },
    ]);
  });

  it('reads an event by the dose first, then the delivery, then the order; one without a toState moves nothing', () => {
    expect(aggregateOf({ seq: 1, doseId: D1, deliveryId: V1, orderId: O1, toState: 'picked' })).toEqual({ table: 'doses', id: D1 });
    expect(aggregateOf({ seq: 1, doseId: null, deliveryId: V1, orderId: O1, toState: 'checked' })).toEqual({ table: 'deliveries', id: V1 });
    expect(aggregateOf({ seq: 1, doseId: null, deliveryId: null, orderId: O1, toState: 'active' })).toEqual({ table: 'medication_orders', id: O1 });
    expect(aggregateOf({ seq: 1, doseId: D1, deliveryId: V1, orderId: O1, toState: null })).toBeNull();
  });

  it('derives the same states page by page as at once, and refuses a page out of order', () => {
    const events = log();
    const paged = new DerivedStates();
    for (let i = 0; i < events.length; i += 4) paged.apply(events.slice(i, i + 4));
    expect(paged.seq).toBe(events.length);
    expect(paged.get('doses', D1)).toEqual({ state: 'loaded', seq: 12 });
    expect(paged.get('deliveries', V1)).toEqual({ state: 'loaded', seq: 14 });
    expect(paged.get('doses', 'nope')).toBeNull();
    expect(() => paged.apply([events[3]!])).toThrow(/out of order: #4 after #15/);
  });
});
