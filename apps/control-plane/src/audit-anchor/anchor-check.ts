/**
 * The boot check of the anchor, pure: does the Merkle tree rebuilt from the database agree with
 * the last checkpoint this log signed? It must, at the checkpoint's size: the database may have
 * grown since (events not yet signed), never shrunk or changed below it. Also the leaf rule, so
 * the service, the tests and the later offline verifier hash an event the same way.
 */
import { canonicalJson, type Checkpoint, leafHash, MerkleTree, type NoteKey, openCheckpoint } from '#domain';
import type { CustodyEventEntity } from '#persistence';
import { eventContent } from '../custody/chain-verify.js';

/** A custody event's leaf: RFC 9162 leaf hash of the canonical JSON the chain hash covers. */
export function custodyLeaf(e: Parameters<typeof eventContent>[0]): Buffer {
  return leafHash(canonicalJson(eventContent(e)));
}

export type { CustodyEventEntity };

/** The extension line of a checkpoint signed at a clean shutdown: events after it were written while the server was down. */
export const STOPPED_EXTENSION = 'stopped';

export type AnchorFailure =
  /** a record does not open with the known keys (another key, edited, another log) */
  | 'checkpoint_unverifiable'
  /** a record signs a smaller tree than one before it: the file was rolled back or spliced */
  | 'checkpoint_rolled_back'
  /** events the server did not write: found after a clean shutdown's checkpoint, or appearing while it ran */
  | 'unannounced_events'
  /** the database holds fewer events than were signed: signed events were deleted */
  | 'log_shorter_than_checkpoint'
  /** the first `size` events are not the ones that were signed: the history was rewritten */
  | 'root_mismatch';

export type AnchorVerdict =
  { ok: true; checkpoint: Checkpoint } | { ok: false; reason: AnchorFailure; detail: string; checkpoint?: Checkpoint; signedSize?: number; treeSize: number };

/**
 * Every record of the file, oldest first: each must open, no record may sign a smaller tree
 * than one before it (a copy of an older record appended, or the file cut back to one, would
 * otherwise roll the anchor back to before a rewrite), and the database must agree with each
 * at its size. The verdict names the latest (largest) checkpoint.
 */
export function checkAnchorFile(tree: MerkleTree, notes: readonly string[], keys: readonly NoteKey[], origin: string): AnchorVerdict {
  let latest: AnchorVerdict | null = null;
  let size = 0;
  for (let i = 0; i < notes.length; i++) {
    const v = checkAnchor(tree, notes[i]!, keys, origin, `record ${i + 1} of ${notes.length}`);
    if (!v.ok) return v;
    if (v.checkpoint.treeSize < size)
      return {
        ok: false,
        reason: 'checkpoint_rolled_back',
        detail: `record ${i + 1} of ${notes.length} signs ${v.checkpoint.treeSize} events after one that signed ${size}: the checkpoint file was rolled back or spliced`,
        checkpoint: v.checkpoint,
        signedSize: size,
        treeSize: tree.size,
      };
    size = v.checkpoint.treeSize;
    latest = v;
  }
  return latest ?? { ok: true, checkpoint: { origin, treeSize: 0, rootHash: tree.root(0), extensions: [] } };
}

export function checkAnchor(
  tree: MerkleTree,
  note: string,
  keys: readonly NoteKey[],
  origin: string,
  which = 'the last checkpoint in the file',
): AnchorVerdict {
  const opened = openCheckpoint(note, keys, { origin });
  if (!opened.ok) {
    return {
      ok: false,
      reason: 'checkpoint_unverifiable',
      detail: `${which} does not open (${opened.reason}): ${opened.detail}`,
      treeSize: tree.size,
    };
  }
  const cp = opened.checkpoint;
  if (tree.size < cp.treeSize) {
    return {
      ok: false,
      reason: 'log_shorter_than_checkpoint',
      detail: `the database holds ${tree.size} custody events but ${cp.treeSize} were signed${cp.time ? ` at ${cp.time}` : ''}: ${cp.treeSize - tree.size} signed event(s) are missing`,
      checkpoint: cp,
      signedSize: cp.treeSize,
      treeSize: tree.size,
    };
  }
  if (!tree.root(cp.treeSize).equals(cp.rootHash)) {
    return {
      ok: false,
      reason: 'root_mismatch',
      detail: `the first ${cp.treeSize} custody events in the database are not the ones signed${cp.time ? ` at ${cp.time}` : ''}: the history was rewritten`,
      checkpoint: cp,
      signedSize: cp.treeSize,
      treeSize: tree.size,
    };
  }
  return { ok: true, checkpoint: cp };
}

/**
 * What GET /api/audit/verify and `medloop audit verify` say about the anchor: the tree rebuilt
 * from the database against the latest checkpoint that opens with the known keys.
 *  - consistent: the signed events are in the database as signed; `unanchoredTail` events
 *    after them are not covered by any checkpoint yet (the window an auditor cannot vouch for);
 *  - differs: an event below the signed size is not the one signed; named exactly when the
 *    leaves file (checked against the checkpoint's root) is at hand, else as the span between
 *    the last checkpoint that still agrees and the first that does not;
 *  - missing: fewer events than were signed (the signed range that is gone);
 *  - unverifiable: the latest checkpoint does not open with the known keys (another key, an
 *    edited file); none: nothing was ever signed.
 */
export interface AnchorReport {
  status: 'consistent' | 'differs' | 'missing' | 'unverifiable' | 'none';
  events: number;
  signedSize: number;
  unanchoredTail: number;
  checkpoint: { treeSize: number; rootHash: string; time: string | null; keyName: string; keyId: string } | null;
  /** the first event the database holds differently from what was signed */
  firstDifference?: { seq: number; index: number } | { fromSeq: number; toSeq: number };
  /** the signed events the database lacks (tree positions as event numbers) */
  missing?: { fromSeq: number; toSeq: number };
  detail: string;
}

export interface AnchorInputs {
  /** the database's events' leaves in seq order, and their seqs */
  leaves: readonly Buffer[];
  seqs: readonly number[];
  /** the checkpoint file's notes, oldest first */
  notes: readonly string[];
  /** the leaves file's hashes (may be longer or shorter than the signed size, or absent) */
  signedLeaves: readonly Buffer[];
  keys: readonly NoteKey[];
  origin: string;
}

export function compareWithAnchor(inp: AnchorInputs): AnchorReport {
  const events = inp.leaves.length;
  const base = { events, signedSize: 0, unanchoredTail: events, checkpoint: null };
  if (inp.notes.length === 0) return { status: 'none', ...base, detail: `no checkpoint was ever signed: all ${events} events are unanchored` };
  // every record opens, and none signs less than one before it (a rolled-back or spliced file)
  let opened: Extract<ReturnType<typeof openCheckpoint>, { ok: true }> | null = null;
  for (let i = 0; i < inp.notes.length; i++) {
    const o = openCheckpoint(inp.notes[i]!, inp.keys, { origin: inp.origin });
    if (!o.ok)
      return {
        status: 'unverifiable',
        ...base,
        detail: `checkpoint record ${i + 1} of ${inp.notes.length} does not open with the known keys (${o.reason}): ${o.detail}`,
      };
    if (opened && o.checkpoint.treeSize < opened.checkpoint.treeSize)
      return {
        status: 'unverifiable',
        ...base,
        detail: `checkpoint record ${i + 1} of ${inp.notes.length} signs ${o.checkpoint.treeSize} events after one that signed ${opened.checkpoint.treeSize}: the checkpoint file was rolled back or spliced`,
      };
    opened = o;
  }
  const cp = opened!.checkpoint;
  const by = opened!.verified[0]!;
  const checkpoint = { treeSize: cp.treeSize, rootHash: cp.rootHash.toString('base64'), time: cp.time ?? null, keyName: by.name, keyId: by.keyId };
  const signed = cp.treeSize;
  const seqAt = (i: number) => inp.seqs[i] ?? i + 1;
  const tree = MerkleTree.fromLeafHashes(inp.leaves);
  const at = `signed${cp.time ? ` at ${cp.time}` : ''} by key ${by.keyId}`;
  if (events < signed) {
    const fromSeq = events > 0 ? seqAt(events - 1) + 1 : 1;
    const missing = { fromSeq, toSeq: fromSeq + (signed - events) - 1 };
    // the part still there may differ too (an event deleted mid-log and the rest renumbered):
    // named when the leaves file is the one signed
    const first = verifiedLeaves(inp, signed, cp.rootHash) ? firstDiffering(inp.leaves, inp.signedLeaves, events) : -1;
    return {
      status: 'missing',
      events,
      signedSize: signed,
      unanchoredTail: 0,
      checkpoint,
      missing,
      ...(first >= 0 ? { firstDifference: { seq: seqAt(first), index: first } } : {}),
      detail:
        `${signed - events} signed event(s) are missing from the database: it holds ${events} of the ${signed} ${at}` +
        (first >= 0 ? `; the first to differ from what was signed is #${seqAt(first)}` : `; #${missing.fromSeq}..#${missing.toSeq} are gone`),
    };
  }
  // an earlier checkpoint the database does not match, below a latest it does, is a fork the
  // log itself signed: reported as a difference at that checkpoint
  const forkedEarlier = inp.notes
    .map((n) => openCheckpoint(n, inp.keys, { origin: inp.origin }))
    .find((o) => o.ok && o.checkpoint.treeSize > 0 && o.checkpoint.treeSize < signed && !tree.root(o.checkpoint.treeSize).equals(o.checkpoint.rootHash));
  if (tree.root(signed).equals(cp.rootHash) && !forkedEarlier)
    return {
      status: 'consistent',
      events,
      signedSize: signed,
      unanchoredTail: events - signed,
      checkpoint,
      detail:
        events > signed
          ? `the ${signed} signed events are as ${at}; unanchored tail: ${events - signed} event(s) after #${seqAt(signed - 1)} not yet covered by a checkpoint`
          : `all ${events} events are as ${at}`,
    };
  // differs: exactly, when the leaves file is the one the checkpoint signed
  if (verifiedLeaves(inp, signed, cp.rootHash)) {
    const i = firstDiffering(inp.leaves, inp.signedLeaves, signed);
    return {
      status: 'differs',
      events,
      signedSize: signed,
      unanchoredTail: events - signed,
      checkpoint,
      firstDifference: { seq: seqAt(i), index: i },
      detail: `event #${seqAt(i)} is not the event ${at} (the first of the signed ${signed} to differ)`,
    };
  }
  // else between checkpoints: the latest earlier one the database still agrees with
  let good = 0;
  for (const note of inp.notes) {
    const o = openCheckpoint(note, inp.keys, { origin: inp.origin });
    if (o.ok && o.checkpoint.treeSize <= events && o.checkpoint.treeSize < signed && tree.root(o.checkpoint.treeSize).equals(o.checkpoint.rootHash))
      good = Math.max(good, o.checkpoint.treeSize);
  }
  const span = { fromSeq: good + 1, toSeq: seqAt(signed - 1) };
  return {
    status: 'differs',
    events,
    signedSize: signed,
    unanchoredTail: events - signed,
    checkpoint,
    firstDifference: span,
    detail: `an event among #${span.fromSeq}..#${span.toSeq} is not the one ${at} (no leaves file matching the checkpoint to name it exactly)`,
  };
}

/** Whether the leaves file holds the very leaves the checkpoint signed (its root at that size). */
function verifiedLeaves(inp: AnchorInputs, size: number, root: Buffer): boolean {
  return inp.signedLeaves.length >= size && MerkleTree.fromLeafHashes(inp.signedLeaves.slice(0, size)).root(size).equals(root);
}

/** The first index below `n` where the two differ (-1: none). */
function firstDiffering(a: readonly Buffer[], b: readonly Buffer[], n: number): number {
  for (let i = 0; i < n; i++) if (!a[i]!.equals(b[i]!)) return i;
  return -1;
}
