/**
 * The pocket inventory ledger: `applyEntry` folds one append-only entry into the pocket's
 * state or refuses it with a RuleViolationError whose `code` says exactly which rule failed.
 * Pure: time comes from the entry, recalls from the context.
 */
import { RuleViolationError, ValidationError } from '../errors.js';
import { assertTransition } from '../state-machine/machine.js';
import { discrepancyMachine } from './discrepancy.machine.js';
import type { Discrepancy, LedgerContext, LedgerEntry, LotStock, PocketInventory, Removal } from './inventory.types.js';

export const INVENTORY_RULE_CODES = [
  'out_of_sequence',
  'insufficient_stock',
  'unknown_lot',
  'lot_expired',
  'lot_recalled',
  'lot_expiry_mismatch',
  'witness_required',
  'witness_not_authenticated',
  'witness_same_as_actor',
  'return_to_original_pocket',
  'return_must_go_to_bin',
  'reason_required',
  'unknown_removal',
  'removal_already_settled',
  'cancel_window_elapsed',
  'cancel_by_other_user',
  'no_open_discrepancy',
  'adjustment_lot_required',
] as const;
export type InventoryRuleCode = (typeof INVENTORY_RULE_CODES)[number];

const refuse = (code: InventoryRuleCode, message: string, details?: Record<string, unknown>): never => {
  throw new RuleViolationError(message, code, details);
};

export function emptyPocket(p: { pocketId: string; medicationId: string; controlled: boolean; parLevel: number }): PocketInventory {
  return { ...p, lots: {}, lastSeq: 0, removals: {}, discrepancy: null, returnedToBin: 0 };
}

export const totalCount = (s: PocketInventory): number => Object.values(s.lots).reduce((n, l) => n + l.count, 0);
export const belowPar = (s: PocketInventory): boolean => totalCount(s) < s.parLevel;

/** A lot is usable through its expiry day (UTC). */
export function isExpired(expiry: string, at: string): boolean {
  return at.slice(0, 10) > expiry;
}

/**
 * What the cabinet shows before a count. Blind: the expected quantity is withheld, so the
 * user counts what is there instead of confirming a number.
 */
export function countPrompt(s: PocketInventory, blind: boolean): { pocketId: string; medicationId: string; expected?: number } {
  return blind ? { pocketId: s.pocketId, medicationId: s.medicationId } : { pocketId: s.pocketId, medicationId: s.medicationId, expected: totalCount(s) };
}

export function applyEntry(state: PocketInventory, entry: LedgerEntry, ctx: LedgerContext): PocketInventory {
  if (entry.seq !== state.lastSeq + 1) {
    refuse('out_of_sequence', `pocket ${state.pocketId}: entry seq ${entry.seq} does not follow ${state.lastSeq}`, {
      expected: state.lastSeq + 1,
      got: entry.seq,
    });
  }
  if ('qty' in entry && !(Number.isInteger(entry.qty) && entry.qty > 0)) throw new ValidationError('qty must be a positive integer', 'qty');
  const next = applyChecked(state, entry, ctx);
  return { ...next, lastSeq: entry.seq, removals: prune(next.removals, entry.at, ctx.removalRetentionS ?? 86_400) };
}

/** Fold a whole ledger; throws on the first refused entry (a stored ledger should never hold one). */
export function replayLedger(initial: PocketInventory, entries: readonly LedgerEntry[], ctx: LedgerContext): PocketInventory {
  return entries.reduce((s, e) => applyEntry(s, e, ctx), initial);
}

function applyChecked(s: PocketInventory, e: LedgerEntry, ctx: LedgerContext): PocketInventory {
  switch (e.type) {
    case 'restock': {
      assertUsable(e.lot, e.expiry, e.at, ctx);
      const existing = s.lots[e.lot];
      if (existing && existing.expiry !== e.expiry) {
        refuse('lot_expiry_mismatch', `lot ${e.lot} is stocked with expiry ${existing.expiry}, not ${e.expiry}`, { lot: e.lot });
      }
      return withLot(s, { lot: e.lot, expiry: e.expiry, count: (existing?.count ?? 0) + e.qty });
    }
    case 'override_remove':
    case 'remove': {
      // An override (removal without a verified order) is otherwise a normal removal.
      if (e.type === 'override_remove' && !e.reason?.trim()) refuse('reason_required', 'an override removal needs a reason');
      const lot = stockedLot(s, e.lot);
      assertUsable(lot.lot, lot.expiry, e.at, ctx);
      if (lot.count < e.qty) refuse('insufficient_stock', `lot ${e.lot} holds ${lot.count}, cannot remove ${e.qty}`, { lot: e.lot, available: lot.count });
      const removal: Removal = { entryId: e.id, actor: e.actor, at: e.at, lot: e.lot, qty: e.qty, settled: 0, cancelled: false };
      return { ...withLot(s, { ...lot, count: lot.count - e.qty }), removals: { ...s.removals, [e.id]: removal } };
    }
    case 'cancel_remove': {
      const removal = openRemoval(s, e.removalId, 0);
      if (removal.actor !== e.actor) refuse('cancel_by_other_user', 'only the user who removed the item may cancel the removal', { removalId: e.removalId });
      if (removal.settled > 0) refuse('removal_already_settled', 'part of this removal was already returned or wasted', { removalId: e.removalId });
      const windowS = ctx.cancelWindowS ?? 600;
      if (Date.parse(e.at) - Date.parse(removal.at) > windowS * 1000) {
        refuse('cancel_window_elapsed', `a removal can be cancelled within ${windowS} s; return it to the return bin instead`, { removalId: e.removalId });
      }
      const lot = s.lots[removal.lot]!;
      return { ...withLot(s, { ...lot, count: lot.count + removal.qty }), removals: { ...s.removals, [removal.entryId]: { ...removal, cancelled: true } } };
    }
    case 'return': {
      if (e.destination.kind === 'pocket') {
        if (e.destination.pocketId === s.pocketId) refuse('return_to_original_pocket', 'returns go to the return bin, never back into the original pocket');
        refuse('return_must_go_to_bin', 'returns go to the return bin for pharmacy verification');
      }
      const removals = e.removalId ? settle(s, e.removalId, e.qty) : s.removals;
      return { ...s, removals, returnedToBin: s.returnedToBin + e.qty };
    }
    case 'waste': {
      if (s.controlled) {
        if (!e.witness) refuse('witness_required', `${s.medicationId} is controlled: waste needs a second, authenticated witness`);
        else if (e.witness.userId === e.actor) refuse('witness_same_as_actor', 'the witness must be a different person');
        else if (!e.witness.authenticated) refuse('witness_not_authenticated', 'the witness must authenticate (badge + PIN)');
      }
      // Wasting part of a removed dose leaves the pocket alone; wasting pocket stock (broken, expired) reduces it.
      if (e.removalId) return { ...s, removals: settle(s, e.removalId, e.qty) };
      const lot = stockedLot(s, e.lot);
      if (lot.count < e.qty) refuse('insufficient_stock', `lot ${e.lot} holds ${lot.count}, cannot waste ${e.qty}`, { lot: e.lot, available: lot.count });
      return withLot(s, { ...lot, count: lot.count - e.qty });
    }
    case 'count':
      return { ...s, discrepancy: afterCount(s, e) };
    case 'resolve_discrepancy':
      return resolve(s, e);
  }
}

function afterCount(s: PocketInventory, e: Extract<LedgerEntry, { type: 'count' }>): Discrepancy | null {
  if (!(Number.isInteger(e.counted) && e.counted >= 0)) throw new ValidationError('counted must be a non-negative integer', 'counted');
  const current = s.discrepancy;
  if (current && (current.status === 'open' || current.status === 'recounted')) {
    // A recount is recorded whether or not it matches: the first count still needs explaining.
    if (current.status === 'open') assertTransition(discrepancyMachine, 'open', 'recounted');
    return { ...current, status: 'recounted', counted: e.counted, blind: e.blind };
  }
  const expected = e.lot !== undefined ? (s.lots[e.lot]?.count ?? 0) : totalCount(s);
  if (expected === e.counted) return current;
  assertTransition(discrepancyMachine, current?.status ?? 'none', 'open');
  return { status: 'open', countEntryId: e.id, openedAt: e.at, expected, counted: e.counted, blind: e.blind, ...(e.lot !== undefined ? { lot: e.lot } : {}) };
}

function resolve(s: PocketInventory, e: Extract<LedgerEntry, { type: 'resolve_discrepancy' }>): PocketInventory {
  const d = s.discrepancy;
  if (!d || (d.status !== 'open' && d.status !== 'recounted')) return refuse('no_open_discrepancy', `pocket ${s.pocketId} has no open discrepancy`);
  if (!e.reason?.trim()) refuse('reason_required', 'a discrepancy is resolved with a reason');
  assertTransition(discrepancyMachine, d.status, 'resolved');
  const resolved: Discrepancy = { ...d, status: 'resolved', resolvedAt: e.at, resolvedBy: e.actor, reason: e.reason };
  if (e.outcome === 'keep_expected') return { ...s, discrepancy: resolved };

  const lots = Object.keys(s.lots);
  const lotId = d.lot ?? e.lot ?? (lots.length === 1 ? lots[0] : undefined);
  if (lotId === undefined) return refuse('adjustment_lot_required', 'the pocket holds several lots: name the lot to adjust');
  const lot = stockedLot(s, lotId);
  const count = lot.count + (d.counted - d.expected);
  if (count < 0)
    refuse('adjustment_lot_required', `lot ${lotId} holds ${lot.count}: the shortfall of ${d.expected - d.counted} does not fit it`, { lot: lotId });
  return { ...withLot(s, { ...lot, count }), discrepancy: resolved };
}

function assertUsable(lot: string, expiry: string, at: string, ctx: LedgerContext): void {
  if (ctx.recalledLots.has(lot)) refuse('lot_recalled', `lot ${lot} is recalled and locked`, { lot });
  if (isExpired(expiry, at)) refuse('lot_expired', `lot ${lot} expired on ${expiry}`, { lot, expiry });
}

function stockedLot(s: PocketInventory, lot: string): LotStock {
  return s.lots[lot] ?? refuse('unknown_lot', `lot ${lot} is not stocked in pocket ${s.pocketId}`, { lot });
}

function withLot(s: PocketInventory, lot: LotStock): PocketInventory {
  return { ...s, lots: { ...s.lots, [lot.lot]: lot } };
}

function openRemoval(s: PocketInventory, id: string, qty: number): Removal {
  const removal = s.removals[id] ?? refuse('unknown_removal', `no removal ${id} in pocket ${s.pocketId}`, { removalId: id });
  if (removal.cancelled || removal.qty - removal.settled < qty)
    refuse('removal_already_settled', `removal ${id} has nothing left to account for`, { removalId: id });
  return removal;
}

function settle(s: PocketInventory, id: string, qty: number): Readonly<Record<string, Removal>> {
  const removal = openRemoval(s, id, qty);
  return { ...s.removals, [id]: { ...removal, settled: removal.settled + qty } };
}

function prune(removals: Readonly<Record<string, Removal>>, at: string, retentionS: number): Readonly<Record<string, Removal>> {
  const cutoff = Date.parse(at) - retentionS * 1000;
  const kept = Object.entries(removals).filter(([, r]) => Date.parse(r.at) >= cutoff);
  return kept.length === Object.keys(removals).length ? removals : Object.fromEntries(kept);
}
