/**
 * The request and answer texts of c2sp.org/tlog-witness, pure: what a witness reads from
 * `POST /add-checkpoint` and what the pusher reads from a 409. Strict: anything but exactly
 * the format is refused with what is wrong (the witness answers it 400), never guessed at.
 *
 *     old 42\n                     ← the size the client believes the witness holds
 *     <base64 hash>\n …            ← the consistency proof from that size, one hash a line
 *     \n
 *     <signed checkpoint note>     ← c2sp.org/tlog-checkpoint in a c2sp.org/signed-note
 */
import { HASH_SIZE } from '#domain';

/** A request body larger than this is refused unread (a checkpoint note is a few hundred bytes). */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** A consistency proof between trees of at most 2^53 leaves has at most 2·53 hashes; RFC 9162 needs fewer. */
export const MAX_PROOF_HASHES = 128;

export class WitnessRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WitnessRequestError';
  }
}

export interface AddCheckpointRequest {
  /** the size the client believes the witness holds for this log (0: none) */
  readonly old: number;
  readonly proof: readonly Buffer[];
  /** the signed note, verbatim */
  readonly note: string;
}

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A decimal size without leading zeros that JavaScript counts exactly, or null. */
export function parseSize(text: string): number | null {
  if (!DECIMAL.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

export function parseAddCheckpoint(body: string): AddCheckpointRequest {
  if (typeof body !== 'string') throw new WitnessRequestError('the body is text');
  const split = body.indexOf('\n\n');
  if (split < 0) throw new WitnessRequestError('no empty line separates the old size and the proof from the checkpoint');
  const head = body.slice(0, split).split('\n');
  const note = body.slice(split + 2);
  const first = head[0]!;
  if (!first.startsWith('old ')) throw new WitnessRequestError("the first line is 'old <size>'");
  const old = parseSize(first.slice(4));
  if (old === null) throw new WitnessRequestError(`old size '${first.slice(4).slice(0, 40)}' is not a decimal number without leading zeros`);
  const lines = head.slice(1);
  if (lines.length > MAX_PROOF_HASHES) throw new WitnessRequestError(`more than ${MAX_PROOF_HASHES} proof hashes`);
  const proof = lines.map((line, i) => {
    const bytes = BASE64.test(line) ? Buffer.from(line, 'base64') : null;
    if (!bytes || bytes.toString('base64') !== line || bytes.length !== HASH_SIZE)
      throw new WitnessRequestError(`proof line ${i + 1} is not the canonical base64 of a ${HASH_SIZE}-byte hash`);
    return bytes;
  });
  if (note.length === 0) throw new WitnessRequestError('no checkpoint follows the empty line');
  // one empty line only: a checkpoint's first line is its origin, never empty
  if (note.startsWith('\n')) throw new WitnessRequestError('one empty line separates the proof from the checkpoint');
  return { old, proof, note };
}

export function formatAddCheckpoint(req: AddCheckpointRequest): string {
  return `old ${req.old}\n${req.proof.map((h) => `${Buffer.from(h).toString('base64')}\n`).join('')}\n${req.note}`;
}

/** The body of a 409 (`text/x.tlog.size`): the size the witness holds. */
export const formatSizeBody = (size: number): string => `${size}\n`;

export function parseSizeBody(text: string): number | null {
  return text.endsWith('\n') ? parseSize(text.slice(0, -1)) : null;
}
