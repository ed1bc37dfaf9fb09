import { describe, expect, it } from '@jest/globals';
import { RuleViolationError } from '../errors.js';
import { analyseMachine } from '../state-machine/analyse.js';
import { discrepancyMachine } from './discrepancy.machine.js';
import type { LedgerContext, LedgerEntry, PocketInventory } from './inventory.types.js';
import { applyEntry, belowPar, countPrompt, emptyPocket, replayLedger, totalCount } from './pocket.ledger.js';

const T0 = Date.UTC(2025, 5, 1, 8, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const ctx: LedgerContext = { recalledLots: new Set() };

type EntryBody = LedgerEntry extends infer E ? (E extends LedgerEntry ? Omit<E, 'seq' | 'id' | 'at' | 'actor'> : never) : never;

/** Builds entries with consecutive seq numbers. */
function ledger(state: PocketInventory) {
  let s = state;
  return {
    get state() {
      return s;
    },
    apply(body: EntryBody, opts: { actor?: string; t?: number; id?: string; context?: LedgerContext } = {}) {
      const entry = {
        ...body,
        seq: s.lastSeq + 1,
        id: opts.id ?? `e${s.lastSeq + 1}`,
        at: at(opts.t ?? s.lastSeq * 10),
        actor: opts.actor ?? 'nurse-1',
      } as LedgerEntry;
      s = applyEntry(s, entry, opts.context ?? ctx);
      return s;
    },
  };
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof RuleViolationError) return error.code;
    throw error;
  }
  throw new Error('expected a RuleViolationError');
}

const morphine = () => {
  const l = ledger(emptyPocket({ pocketId: 'D1-P1', medicationId: 'morphine-10mg', controlled: true, parLevel: 10 }));
  l.apply({ type: 'restock', lot: 'L1', expiry: '2026-01-31', qty: 8 });
  return l;
};

describe('discrepancy machine', () => {
  it('is sound', () => expect(analyseMachine(discrepancyMachine).problems).toEqual([]));
});

describe('applyEntry', () => {
  it('restocks and removes per lot, and reports par', () => {
    const l = morphine();
    l.apply({ type: 'restock', lot: 'L2', expiry: '2026-06-30', qty: 4 });
    l.apply({ type: 'remove', lot: 'L1', qty: 2 });
    expect(totalCount(l.state)).toBe(10);
    expect(l.state.lots['L1']!.count).toBe(6);
    expect(belowPar(l.state)).toBe(false);
    l.apply({ type: 'remove', lot: 'L2', qty: 1 });
    expect(belowPar(l.state)).toBe(true);
  });

  it('refuses removals beyond stock, of unknown lots, of expired or recalled lots', () => {
    const l = morphine();
    expect(code(() => l.apply({ type: 'remove', lot: 'L1', qty: 9 }))).toBe('insufficient_stock');
    expect(code(() => l.apply({ type: 'remove', lot: 'NOPE', qty: 1 }))).toBe('unknown_lot');
    expect(code(() => l.apply({ type: 'remove', lot: 'L1', qty: 1 }, { t: Date.UTC(2026, 1, 1) / 1000 - T0 / 1000 }))).toBe('lot_expired');
    // usable through the expiry day itself
    expect(() => l.apply({ type: 'remove', lot: 'L1', qty: 1 }, { t: (Date.UTC(2026, 0, 31, 23) - T0) / 1000 })).not.toThrow();
    expect(code(() => l.apply({ type: 'remove', lot: 'L1', qty: 1 }, { context: { recalledLots: new Set(['L1']) } }))).toBe('lot_recalled');
    expect(code(() => l.apply({ type: 'override_remove', lot: 'L1', qty: 1, reason: 'code blue' }, { context: { recalledLots: new Set(['L1']) } }))).toBe(
      'lot_recalled',
    );
  });

  it('refuses to restock an expired or recalled lot, or a lot under another expiry', () => {
    const l = morphine();
    expect(code(() => l.apply({ type: 'restock', lot: 'OLD', expiry: '2025-05-31', qty: 1 }))).toBe('lot_expired');
    expect(code(() => l.apply({ type: 'restock', lot: 'R', expiry: '2027-01-01', qty: 1 }, { context: { recalledLots: new Set(['R']) } }))).toBe(
      'lot_recalled',
    );
    expect(code(() => l.apply({ type: 'restock', lot: 'L1', expiry: '2027-01-01', qty: 1 }))).toBe('lot_expiry_mismatch');
  });

  it('requires a reason for an override removal', () => {
    const l = morphine();
    expect(code(() => l.apply({ type: 'override_remove', lot: 'L1', qty: 1, reason: '  ' }))).toBe('reason_required');
    l.apply({ type: 'override_remove', lot: 'L1', qty: 1, reason: 'emergency, order pending' });
    expect(l.state.lots['L1']!.count).toBe(7);
  });

  it('sends returns to the return bin, never back into the pocket', () => {
    const l = morphine();
    l.apply({ type: 'remove', lot: 'L1', qty: 2 }, { id: 'r1' });
    expect(code(() => l.apply({ type: 'return', lot: 'L1', qty: 1, destination: { kind: 'pocket', pocketId: 'D1-P1' } }))).toBe('return_to_original_pocket');
    expect(code(() => l.apply({ type: 'return', lot: 'L1', qty: 1, destination: { kind: 'pocket', pocketId: 'D2-P9' } }))).toBe('return_must_go_to_bin');
    l.apply({ type: 'return', lot: 'L1', qty: 1, destination: { kind: 'return_bin', binId: 'RB-1' }, removalId: 'r1' });
    expect(l.state.returnedToBin).toBe(1);
    expect(l.state.lots['L1']!.count).toBe(6);
    expect(l.state.removals['r1']!.settled).toBe(1);
  });

  it('requires a different, authenticated witness to waste a controlled drug', () => {
    const l = morphine();
    l.apply({ type: 'remove', lot: 'L1', qty: 1 }, { id: 'r1' });
    const waste = { type: 'waste', lot: 'L1', qty: 1, removalId: 'r1' } as const;
    expect(code(() => l.apply(waste))).toBe('witness_required');
    expect(code(() => l.apply({ ...waste, witness: { userId: 'nurse-1', authenticated: true } }))).toBe('witness_same_as_actor');
    expect(code(() => l.apply({ ...waste, witness: { userId: 'nurse-2', authenticated: false } }))).toBe('witness_not_authenticated');
    l.apply({ ...waste, witness: { userId: 'nurse-2', authenticated: true } });
    expect(l.state.lots['L1']!.count).toBe(7);
    expect(code(() => l.apply({ ...waste, witness: { userId: 'nurse-2', authenticated: true } }))).toBe('removal_already_settled');
  });

  it('wastes pocket stock of a non-controlled drug without a witness', () => {
    const l = ledger(emptyPocket({ pocketId: 'P2', medicationId: 'paracetamol', controlled: false, parLevel: 2 }));
    l.apply({ type: 'restock', lot: 'A', expiry: '2027-01-01', qty: 3 });
    l.apply({ type: 'waste', lot: 'A', qty: 1 });
    expect(totalCount(l.state)).toBe(2);
  });

  it('lets the same user cancel a removal within the window, and nobody else', () => {
    const l = morphine();
    l.apply({ type: 'remove', lot: 'L1', qty: 2 }, { id: 'r1', t: 100 });
    expect(code(() => l.apply({ type: 'cancel_remove', removalId: 'r1' }, { actor: 'nurse-9', t: 110 }))).toBe('cancel_by_other_user');
    expect(code(() => l.apply({ type: 'cancel_remove', removalId: 'r1' }, { t: 800 }))).toBe('cancel_window_elapsed');
    expect(code(() => l.apply({ type: 'cancel_remove', removalId: 'zz' }, { t: 110 }))).toBe('unknown_removal');
    l.apply({ type: 'cancel_remove', removalId: 'r1' }, { t: 120 });
    expect(l.state.lots['L1']!.count).toBe(8);
    expect(code(() => l.apply({ type: 'cancel_remove', removalId: 'r1' }, { t: 130 }))).toBe('removal_already_settled');
  });

  it('opens a discrepancy on a mismatching blind count and resolves it only with a reason', () => {
    const l = morphine();
    expect(countPrompt(l.state, true)).toEqual({ pocketId: 'D1-P1', medicationId: 'morphine-10mg' });
    expect(countPrompt(l.state, false).expected).toBe(8);
    l.apply({ type: 'count', counted: 7, blind: true });
    expect(l.state.discrepancy).toMatchObject({ status: 'open', expected: 8, counted: 7, blind: true });
    l.apply({ type: 'count', counted: 7, blind: false }, { actor: 'pharm-1' });
    expect(l.state.discrepancy!.status).toBe('recounted');
    expect(code(() => l.apply({ type: 'resolve_discrepancy', reason: '', outcome: 'accept_count' }))).toBe('reason_required');
    l.apply({ type: 'resolve_discrepancy', reason: 'vial broken, not documented', outcome: 'accept_count' }, { actor: 'pharm-1' });
    expect(l.state.discrepancy).toMatchObject({ status: 'resolved', resolvedBy: 'pharm-1' });
    expect(totalCount(l.state)).toBe(7);
    expect(code(() => l.apply({ type: 'resolve_discrepancy', reason: 'again', outcome: 'keep_expected' }))).toBe('no_open_discrepancy');
  });

  it('does not open a discrepancy when the count matches, and can reopen after resolution', () => {
    const l = morphine();
    l.apply({ type: 'count', counted: 8, blind: true });
    expect(l.state.discrepancy).toBeNull();
    l.apply({ type: 'count', counted: 9, blind: true });
    l.apply({ type: 'resolve_discrepancy', reason: 'miscount', outcome: 'keep_expected' });
    expect(totalCount(l.state)).toBe(8);
    l.apply({ type: 'count', counted: 6, lot: 'L1', blind: false });
    expect(l.state.discrepancy).toMatchObject({ status: 'open', lot: 'L1', expected: 8 });
  });

  it('needs the lot to adjust when several lots share the pocket', () => {
    const l = morphine();
    l.apply({ type: 'restock', lot: 'L2', expiry: '2026-06-30', qty: 2 });
    l.apply({ type: 'count', counted: 9, blind: true });
    expect(code(() => l.apply({ type: 'resolve_discrepancy', reason: 'loss', outcome: 'accept_count' }))).toBe('adjustment_lot_required');
    l.apply({ type: 'resolve_discrepancy', reason: 'loss', outcome: 'accept_count', lot: 'L2' });
    expect(l.state.lots['L2']!.count).toBe(1);
  });

  it('keeps the ledger gap-free and replays to the same state', () => {
    const l = morphine();
    const entry: LedgerEntry = { type: 'remove', lot: 'L1', qty: 1, seq: 5, id: 'x', at: at(1), actor: 'n' };
    expect(code(() => applyEntry(l.state, entry, ctx))).toBe('out_of_sequence');
    const entries: LedgerEntry[] = [
      { type: 'restock', lot: 'L1', expiry: '2026-01-31', qty: 8, seq: 1, id: 'a', at: at(0), actor: 'p' },
      { type: 'remove', lot: 'L1', qty: 3, seq: 2, id: 'b', at: at(10), actor: 'n' },
    ];
    const s = replayLedger(emptyPocket({ pocketId: 'P', medicationId: 'm', controlled: false, parLevel: 1 }), entries, ctx);
    expect(s.lastSeq).toBe(2);
    expect(totalCount(s)).toBe(5);
  });

  it('rejects a non-positive quantity as malformed input', () => {
    const l = morphine();
    expect(() => l.apply({ type: 'remove', lot: 'L1', qty: 0 })).toThrow(expect.objectContaining({ code: 'validation_failed', field: 'qty' }));
  });
});
