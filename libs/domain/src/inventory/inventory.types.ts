/**
 * Types of the pocket inventory ledger: the state folded from the entries, and the entries
 * themselves. Entries are never edited or deleted; a mistake is corrected by a new entry.
 */
import type { DiscrepancyStatus } from './discrepancy.machine.js';

export interface LotStock {
  readonly lot: string;
  /** Last day of use, YYYY-MM-DD (GS1 day 00 already resolved to the month's last day). */
  readonly expiry: string;
  readonly count: number;
}

export interface Removal {
  readonly entryId: string;
  readonly actor: string;
  readonly at: string;
  readonly lot: string;
  readonly qty: number;
  /** Quantity already accounted for by return, waste or cancel. */
  readonly settled: number;
  readonly cancelled: boolean;
}

export interface Discrepancy {
  readonly status: DiscrepancyStatus;
  readonly countEntryId: string;
  readonly openedAt: string;
  readonly lot?: string;
  readonly expected: number;
  /** The latest count (a recount replaces it). */
  readonly counted: number;
  readonly blind: boolean;
  readonly resolvedAt?: string;
  readonly resolvedBy?: string;
  readonly reason?: string;
}

export interface PocketInventory {
  readonly pocketId: string;
  readonly medicationId: string;
  /** Controlled substance: waste needs an authenticated witness. */
  readonly controlled: boolean;
  readonly parLevel: number;
  readonly lots: Readonly<Record<string, LotStock>>;
  /** Sequence number of the last applied entry (0 = none): the ledger is gap-free per pocket. */
  readonly lastSeq: number;
  readonly removals: Readonly<Record<string, Removal>>;
  readonly discrepancy: Discrepancy | null;
  /** Units sent to the return bin, awaiting pharmacy verification. */
  readonly returnedToBin: number;
}

export type ReturnDestination = { readonly kind: 'return_bin'; readonly binId: string } | { readonly kind: 'pocket'; readonly pocketId: string };

export interface WitnessSignature {
  readonly userId: string;
  /** True only when the witness authenticated (badge + PIN, or password) for this entry. */
  readonly authenticated: boolean;
  /** who the witness is and how they authenticated, for the record */
  readonly username?: string;
  readonly role?: string;
  readonly via?: 'badge' | 'password';
}

interface EntryBase {
  /** Per-pocket sequence: exactly lastSeq + 1. */
  readonly seq: number;
  readonly id: string;
  readonly at: string;
  readonly actor: string;
}

export type LedgerEntry = EntryBase &
  (
    | { readonly type: 'restock'; readonly lot: string; readonly expiry: string; readonly qty: number }
    | { readonly type: 'remove'; readonly lot: string; readonly qty: number; readonly orderId?: string }
    | { readonly type: 'override_remove'; readonly lot: string; readonly qty: number; readonly reason: string }
    | { readonly type: 'cancel_remove'; readonly removalId: string }
    | { readonly type: 'return'; readonly lot: string; readonly qty: number; readonly destination: ReturnDestination; readonly removalId?: string }
    | { readonly type: 'waste'; readonly lot: string; readonly qty: number; readonly removalId?: string; readonly witness?: WitnessSignature }
    | { readonly type: 'count'; readonly counted: number; readonly blind: boolean; readonly lot?: string }
    | { readonly type: 'resolve_discrepancy'; readonly reason: string; readonly outcome: 'accept_count' | 'keep_expected'; readonly lot?: string }
  );

export type LedgerEntryType = LedgerEntry['type'];

export interface LedgerContext {
  /** Lots recalled anywhere: a recall locks the lot in every pocket. */
  readonly recalledLots: ReadonlySet<string>;
  /** Seconds after a removal during which the same user may cancel it (default 600). */
  readonly cancelWindowS?: number;
  /** Seconds a removal stays linkable for waste/return (default 24 h). */
  readonly removalRetentionS?: number;
}
