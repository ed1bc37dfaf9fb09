/**
 * The proof bundle of one dose (GET /api/doses/:id/proof) and its verification, pure: what an
 * auditor, a court or the regional platform needs to check, with nothing but the log's verifier
 * key, that the dose's custody events are in the log MedLoop signed. The bundle carries the
 * latest signed checkpoint (the note as served), and for each of the dose's events the log
 * covers the exact bytes its leaf hashes (canonicalJson(eventContent(e)), the content the chain
 * hash covers too) and its RFC 9162 inclusion proof to that checkpoint's tree.
 *
 * The verifier trusts nothing in the bundle but what the key vouches for: the checkpoint opens
 * with the key (its signature, then its body), every leaf is recomputed from the content string
 * and proven into the signed root, and every event names the dose the bundle is about. What an
 * inclusion proof cannot show is completeness: a bundle with an event left out still verifies
 * (the events given are in the log, not "all of the dose's"); the seqs against the dose's
 * timeline, or `npm run audit -- verify` over the whole database, answer that.
 */
import { leafHash, openCheckpoint, parseVerifierKey, SignedNoteError, verifyInclusion, type NoteKey } from '#domain';

export const DOSE_PROOF_FORMAT = 'medloop-dose-proof/v1';

export interface DoseProofEvent {
  seq: number;
  /** the event's content exactly as its leaf hashes it: canonical JSON, UTF-8 */
  content: string;
  /** its position in the tree: seq − 1 (the chain has no gaps) */
  leafIndex: number;
  /** RFC 9162 inclusion proof to the checkpoint's tree size, base64 hashes */
  inclusionProof: string[];
}

export interface DoseProofBundle {
  format: typeof DOSE_PROOF_FORMAT;
  origin: string;
  doseId: string;
  /** the signed note of the checkpoint the proofs lead to */
  checkpoint: string;
  treeSize: number;
  events: DoseProofEvent[];
  /** seqs of the dose's events after the checkpoint: in the log, not yet signed */
  unanchored: number[];
}

export type DoseProofFailure =
  /** not a bundle of this format (missing or mistyped fields) */
  | 'malformed_bundle'
  /** a verifier key that is not `<name>+<key id>+<base64 key>` */
  | 'bad_key'
  /** the checkpoint does not open with the keys: see checkpointReason (bad_signature, unknown_key, ...) */
  | 'checkpoint_unverifiable'
  /** the bundle's tree size is not the signed one */
  | 'tree_size_mismatch'
  /** an event's content is not a JSON object with its seq */
  | 'bad_content'
  /** an event's content names another dose */
  | 'other_dose'
  /** an event's leaf index is not its seq − 1, or lies outside the signed tree */
  | 'leaf_index_mismatch'
  /** an inclusion proof does not lead from the recomputed leaf to the signed root */
  | 'not_included';

export type DoseProofVerdict =
  | { ok: true; doseId: string; treeSize: number; events: number; unanchored: number; checkpointTime: string | null; keyId: string; origin: string }
  | { ok: false; reason: DoseProofFailure; detail: string; seq?: number; checkpointReason?: string };

const fail = (reason: DoseProofFailure, detail: string, extra: { seq?: number; checkpointReason?: string } = {}): DoseProofVerdict => ({
  ok: false,
  reason,
  detail,
  ...extra,
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Canonical base64 of a 32-byte hash, or null (Buffer.from would skip what it cannot read). */
function hashOf(text: unknown): Buffer | null {
  if (typeof text !== 'string') return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === 32 && bytes.toString('base64') === text ? bytes : null;
}

/** The leaf of a content string: the same bytes custodyLeaf hashes. */
export const contentLeaf = (content: string): Buffer => leafHash(content);

/**
 * Checks a dose proof bundle with the verifier keys alone (the log's current key, and retired
 * ones still trusted): the first failure found, or what was proven.
 */
export function verifyDoseProof(bundle: unknown, verifierKeys: readonly string[]): DoseProofVerdict {
  let keys: NoteKey[];
  try {
    keys = verifierKeys.map((k) => parseVerifierKey(k.trim()));
  } catch (err) {
    if (err instanceof SignedNoteError) return fail('bad_key', err.message);
    throw err;
  }
  if (keys.length === 0) return fail('bad_key', 'no verifier key given');
  if (!isObject(bundle) || bundle['format'] !== DOSE_PROOF_FORMAT)
    return fail('malformed_bundle', `not a ${DOSE_PROOF_FORMAT} bundle (format: ${JSON.stringify(isObject(bundle) ? bundle['format'] : typeof bundle)})`);
  const { origin, doseId, checkpoint, treeSize, events, unanchored } = bundle;
  if (typeof origin !== 'string' || typeof doseId !== 'string' || typeof checkpoint !== 'string' || !isIndex(treeSize) || !Array.isArray(events))
    return fail('malformed_bundle', 'origin, doseId and checkpoint are strings, treeSize a non-negative integer, events a list');
  if (unanchored !== undefined && !(Array.isArray(unanchored) && unanchored.every(isIndex))) return fail('malformed_bundle', 'unanchored is a list of seqs');
  // a proof of nothing would read as a verified dose
  if (events.length === 0) return fail('malformed_bundle', 'events is empty: the bundle proves no event of the dose');

  const opened = openCheckpoint(checkpoint, keys, { origin });
  if (!opened.ok)
    return fail('checkpoint_unverifiable', `the checkpoint does not open with the given key(s): ${opened.detail}`, { checkpointReason: opened.reason });
  const cp = opened.checkpoint;
  if (cp.treeSize !== treeSize) return fail('tree_size_mismatch', `the bundle says tree size ${treeSize}, the signed checkpoint ${cp.treeSize}`);

  const seen = new Set<number>();
  for (const [i, ev] of events.entries()) {
    if (!isObject(ev) || !isIndex(ev['seq']) || typeof ev['content'] !== 'string' || !isIndex(ev['leafIndex']) || !Array.isArray(ev['inclusionProof']))
      return fail('malformed_bundle', `events[${i}] is not { seq, content, leafIndex, inclusionProof }`);
    const seq = ev['seq'];
    const content = ev['content'];
    const leafIndex = ev['leafIndex'];
    if (seen.has(seq)) return fail('malformed_bundle', `event #${seq} is given twice`, { seq });
    seen.add(seq);
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch {
      return fail('bad_content', `the content of event #${seq} is not JSON`, { seq });
    }
    if (!isObject(parsed) || parsed['seq'] !== seq) return fail('bad_content', `the content of event #${seq} is not the content of event #${seq}`, { seq });
    if (parsed['doseId'] !== doseId) return fail('other_dose', `event #${seq} is about dose ${JSON.stringify(parsed['doseId'])}, not ${doseId}`, { seq });
    if (leafIndex !== seq - 1 || leafIndex >= cp.treeSize)
      return fail('leaf_index_mismatch', `event #${seq} is leaf ${seq - 1}, given as ${leafIndex} in a signed tree of ${cp.treeSize}`, { seq });
    const proof: Buffer[] = [];
    for (const h of ev['inclusionProof'] as unknown[]) {
      const b = hashOf(h);
      if (!b) return fail('malformed_bundle', `the inclusion proof of event #${seq} holds something that is not a base64 32-byte hash`, { seq });
      proof.push(b);
    }
    const v = verifyInclusion(contentLeaf(content), leafIndex, cp.treeSize, proof, cp.rootHash);
    if (!v.ok) return fail('not_included', `event #${seq} as given is not in the signed tree of ${cp.treeSize} (${v.reason}: ${v.detail})`, { seq });
  }
  return {
    ok: true,
    doseId,
    treeSize: cp.treeSize,
    events: events.length,
    unanchored: Array.isArray(unanchored) ? unanchored.length : 0,
    checkpointTime: cp.time ?? null,
    keyId: opened.verified[0]!.keyId,
    origin: cp.origin,
  };
}

/** Builds a bundle from the dose's events (content strings, in seq order) and a tree over the log. */
export function buildDoseProof(input: {
  origin: string;
  doseId: string;
  note: string;
  treeSize: number;
  events: readonly { seq: number; content: string }[];
  inclusionProof: (index: number, treeSize: number) => Buffer[];
}): DoseProofBundle {
  const covered = input.events.filter((e) => e.seq <= input.treeSize);
  return {
    format: DOSE_PROOF_FORMAT,
    origin: input.origin,
    doseId: input.doseId,
    checkpoint: input.note,
    treeSize: input.treeSize,
    events: covered.map((e) => ({
      seq: e.seq,
      content: e.content,
      leafIndex: e.seq - 1,
      inclusionProof: input.inclusionProof(e.seq - 1, input.treeSize).map((h) => h.toString('base64')),
    })),
    unanchored: input.events.filter((e) => e.seq > input.treeSize).map((e) => e.seq),
  };
}
