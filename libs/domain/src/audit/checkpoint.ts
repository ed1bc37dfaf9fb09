/**
 * Signed checkpoints of the custody log in the formats transparency logs and witnesses
 * exchange, so a witness, an auditor or a regional platform can check MedLoop's with tools
 * that were not written for MedLoop:
 *
 * - the checkpoint body of c2sp.org/tlog-checkpoint — origin line, tree size (decimal, no
 *   leading zero), base64 of the RFC 6962 root at that size, optional extension lines, each
 *   line ending in a newline;
 * - the envelope of c2sp.org/signed-note — the body, a blank line, one line per signature,
 *   `— <key name> <base64(4-byte key id || signature)>`, with Ed25519 (RFC 8032, node:crypto)
 *   and key id = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4];
 * - the verifier-key text of the Go reference (golang.org/x/mod/sumdb/note),
 *   `<name>+<hex key id>+<base64(0x01 || public key)>`: one line that names a public key and
 *   its id, for the auditor's key list and for keys kept after a rotation.
 *
 * MedLoop's addition is one extension line, `time <ISO-8601 UTC, milliseconds>` (as
 * Date#toISOString writes it), placed first after the root: when the log signed this head. The
 * log's Ed25519 signature covers the whole body, so the time is the log's signed claim; it lets
 * a verifier bound the window of events not yet anchored ("unanchored tail since …") and tells
 * a fresh checkpoint of an unchanged tree from a replayed old one. tlog-checkpoint advises
 * against extension lines because log monitors cannot audit them and ML-DSA-44 cosignatures
 * (c2sp.org/tlog-cosignature) leave them unsigned: a third-party witness that cosigns attests to
 * the tree, not to the time. Other extension lines are kept verbatim and not interpreted.
 *
 * Names: a site's custody log has origin `medloop.<site>/custody`; tlog-checkpoint says the
 * log's key name SHOULD match its origin, so the signing key carries the same name, and a
 * rotated key keeps the name and gets a new id (the id derives from the public key).
 *
 * Pure apart from the signature primitives: no I/O; keys are given as KeyObjects or PEM.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify } from 'node:crypto';
import { ValidationError } from '../errors.js';
import { HASH_SIZE } from './merkle.js';

export type CheckpointFailure =
  | 'not_text'
  | 'control_character'
  | 'missing_final_newline'
  | 'too_few_lines'
  | 'empty_line'
  | 'bad_origin'
  | 'wrong_origin'
  | 'bad_tree_size'
  | 'bad_root_hash'
  | 'bad_time'
  | 'duplicate_time'
  | 'bad_extension';

/** A checkpoint body that is not exactly the format (HTTP 400, field `checkpoint`). */
export class CheckpointFormatError extends ValidationError {
  constructor(
    readonly reason: CheckpointFailure,
    explanation: string,
    /** 1-based line of the body, when one line is at fault */
    readonly line?: number,
  ) {
    super(`invalid checkpoint: ${explanation}${line ? ` (line ${line})` : ''}`, 'checkpoint', { reason, ...(line ? { line } : {}) });
  }
}

export type SignedNoteFailure = 'malformed_note' | 'bad_key_name' | 'bad_key' | 'ambiguous_key';

/** A note or a key that is not exactly the format (HTTP 400, field `note` or `key`). */
export class SignedNoteError extends ValidationError {
  constructor(
    readonly reason: SignedNoteFailure,
    explanation: string,
    field: 'note' | 'key',
    readonly line?: number,
  ) {
    super(`${field === 'note' ? 'invalid signed note' : 'invalid note key'}: ${explanation}${line ? ` (line ${line})` : ''}`, field, {
      reason,
      ...(line ? { line } : {}),
    });
  }
}

// ---- the checkpoint body ----------------------------------------------------------------------

export interface Checkpoint {
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: Buffer;
  /** MedLoop's `time` extension: when the log signed this head (ISO-8601 UTC). */
  readonly time?: string;
  /** Any other extension lines, in order, verbatim. */
  readonly extensions: readonly string[];
}

export interface CheckpointInput {
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
  readonly time?: string | Date;
  readonly extensions?: readonly string[];
}

const TIME_PREFIX = 'time ';
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/**
 * signed-note: no ASCII control character but newline, and valid UTF-8 (in a JavaScript string:
 * no lone surrogate). The index of the first offence, or -1.
 */
function forbiddenAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) return i;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return i;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return i;
  }
  return -1;
}
// Go's unicode.IsSpace is JavaScript's \s plus U+0085
const SPACE_OR_PLUS = /[\s\u0085+]/u;

/** Canonical base64 only: Buffer.from(…, 'base64') would accept anything and skip what it cannot read. */
function decodeBase64(text: string): Buffer | null {
  if (!BASE64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

const isIsoTime = (t: string): boolean => ISO_UTC.test(t) && !Number.isNaN(Date.parse(t)) && new Date(t).toISOString() === t;

/** A key name, and an origin MedLoop writes: non-empty, no Unicode space, no '+'. */
export const isValidKeyName = (name: string): boolean => typeof name === 'string' && name.length > 0 && !SPACE_OR_PLUS.test(name) && forbiddenAt(name) < 0;

/** The origin of a site's custody log, also the name of the key that signs its checkpoints. */
export function custodyLogOrigin(site: string): string {
  if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/.test(site)) {
    throw new ValidationError(`a site id for the custody log's origin is lower-case letters, digits, '-' and '.', got '${site}'`, 'site');
  }
  return `medloop.${site}/custody`;
}

/** The checkpoint body, validated as strictly as parseCheckpoint reads it. */
export function formatCheckpoint(cp: CheckpointInput): string {
  if (!isValidKeyName(cp.origin))
    throw new CheckpointFormatError('bad_origin', `origin '${cp.origin}' is empty or holds a space, a '+' or a control character`);
  if (!Number.isSafeInteger(cp.treeSize) || cp.treeSize < 0)
    throw new CheckpointFormatError('bad_tree_size', `tree size ${cp.treeSize} is not a non-negative integer`);
  if (!(cp.rootHash instanceof Uint8Array) || cp.rootHash.length !== HASH_SIZE)
    throw new CheckpointFormatError('bad_root_hash', `the root hash is not ${HASH_SIZE} bytes`);
  const lines = [cp.origin, String(cp.treeSize), Buffer.from(cp.rootHash).toString('base64')];
  if (cp.time !== undefined) {
    const time = cp.time instanceof Date ? cp.time.toISOString() : cp.time;
    if (!isIsoTime(time)) throw new CheckpointFormatError('bad_time', `time '${time}' is not ISO-8601 UTC with milliseconds`);
    lines.push(TIME_PREFIX + time);
  }
  for (const e of cp.extensions ?? []) {
    if (typeof e !== 'string' || e.length === 0 || e.includes('\n') || forbiddenAt(e) >= 0) {
      throw new CheckpointFormatError('bad_extension', 'an extension line is empty or holds a newline or a control character');
    }
    if (e.startsWith(TIME_PREFIX)) throw new CheckpointFormatError('duplicate_time', "extension lines starting 'time ' are MedLoop's time line: pass `time`");
  }
  lines.push(...(cp.extensions ?? []));
  return lines.map((l) => `${l}\n`).join('');
}

/**
 * Reads a checkpoint body (the text of a verified note: read nothing from an unverified one).
 * Strict: anything but exactly the format is refused with the reason and the line. `origin`
 * also refuses a checkpoint of another log.
 */
export function parseCheckpoint(body: string, options: { origin?: string } = {}): Checkpoint {
  if (typeof body !== 'string') throw new CheckpointFormatError('not_text', 'a checkpoint is text');
  const bad = forbiddenAt(body);
  if (bad >= 0) throw new CheckpointFormatError('control_character', 'it holds a control character or invalid UTF-8', lineAt(body, bad));
  if (!body.endsWith('\n')) throw new CheckpointFormatError('missing_final_newline', 'every line, the last one too, ends with a newline');
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) throw new CheckpointFormatError('too_few_lines', `it has ${lines.length} line(s); origin, tree size and root hash are required`);
  const empty = lines.findIndex((l) => l.length === 0);
  if (empty >= 0) throw new CheckpointFormatError('empty_line', 'lines of a checkpoint are never empty', empty + 1);

  const [origin, size, root, ...rest] = lines as [string, string, string, ...string[]];
  if (options.origin !== undefined && origin !== options.origin) {
    throw new CheckpointFormatError('wrong_origin', `it is a checkpoint of '${origin}', not of '${options.origin}'`, 1);
  }
  if (!DECIMAL.test(size)) throw new CheckpointFormatError('bad_tree_size', `tree size '${size}' is not a decimal number without leading zeros`, 2);
  const treeSize = Number(size);
  if (!Number.isSafeInteger(treeSize)) throw new CheckpointFormatError('bad_tree_size', `tree size ${size} is beyond what is counted exactly`, 2);
  const rootHash = decodeBase64(root);
  if (!rootHash || rootHash.length !== HASH_SIZE)
    throw new CheckpointFormatError('bad_root_hash', `the root hash is not the canonical base64 of ${HASH_SIZE} bytes`, 3);

  let time: string | undefined;
  const extensions: string[] = [];
  rest.forEach((line, i) => {
    if (!line.startsWith(TIME_PREFIX)) {
      extensions.push(line);
      return;
    }
    if (i > 0) throw new CheckpointFormatError('duplicate_time', 'the time line comes once, first after the root hash', i + 4);
    time = line.slice(TIME_PREFIX.length);
    if (!isIsoTime(time)) throw new CheckpointFormatError('bad_time', `time '${time}' is not ISO-8601 UTC with milliseconds`, 4);
  });
  return { origin, treeSize, rootHash, ...(time === undefined ? {} : { time }), extensions };
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

// ---- keys ---------------------------------------------------------------------------------------

/** A KeyObject, or a PEM (PKCS#8 private, SPKI public) as read from a key file. */
export type KeyInput = KeyObject | string | Buffer;

export interface NoteSigner {
  readonly name: string;
  readonly privateKey: KeyInput;
}

export interface NoteKey {
  readonly name: string;
  readonly publicKey: KeyInput;
}

/** A signature line's key: its name and its id, 8 lower-case hex digits. */
export interface NoteKeyRef {
  readonly name: string;
  readonly keyId: string;
}

const SIG_ED25519 = 0x01;
// RFC 8410 PKCS#8 wrapping of a 32-byte Ed25519 seed
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

function ed25519(key: KeyInput, want: 'private' | 'public'): KeyObject {
  let k: KeyObject;
  try {
    k = key instanceof KeyObject ? key : want === 'private' ? createPrivateKey(key) : createPublicKey(key);
  } catch {
    throw new SignedNoteError('bad_key', `the ${want} key cannot be read (PEM or KeyObject)`, 'key');
  }
  // a verifier may be handed the private key: its public half is what verifies
  if (want === 'public' && k.type === 'private') k = createPublicKey(k);
  if (k.type !== want || k.asymmetricKeyType !== 'ed25519') throw new SignedNoteError('bad_key', `an Ed25519 ${want} key is required`, 'key');
  return k;
}

/** The 32-byte public key of RFC 8032. */
export function rawPublicKey(key: KeyInput): Buffer {
  const { x } = ed25519(key, 'public').export({ format: 'jwk' });
  return Buffer.from(x!, 'base64url');
}

const publicKeyFromRaw = (raw: Uint8Array): KeyObject =>
  createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });

function assertKeyName(name: string): void {
  if (!isValidKeyName(name)) throw new SignedNoteError('bad_key_name', `key name '${name}' is empty or holds a space, a '+' or a control character`, 'key');
}

/** signed-note's key id: SHA-256(name || 0x0A || 0x01 || public key)[:4], as 8 hex digits. */
export function noteKeyId(name: string, publicKey: KeyInput): string {
  assertKeyName(name);
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.from([0x0a, SIG_ED25519]))
    .update(rawPublicKey(publicKey))
    .digest()
    .subarray(0, 4)
    .toString('hex');
}

/** `<name>+<key id>+<base64(0x01 || public key)>`: a public key as one line of text. */
export function formatVerifierKey(name: string, publicKey: KeyInput): string {
  const raw = rawPublicKey(publicKey);
  return `${name}+${noteKeyId(name, publicKey)}+${Buffer.concat([Buffer.from([SIG_ED25519]), raw]).toString('base64')}`;
}

/** Reads a verifier key line; its id must be the one its name and key give. */
export function parseVerifierKey(vkey: string): NoteKey & { readonly keyId: string; readonly publicKey: KeyObject } {
  const m = /^([^+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(typeof vkey === 'string' ? vkey : '');
  if (!m) throw new SignedNoteError('bad_key', 'a verifier key is <name>+<8 hex digits>+<base64 key>', 'key');
  const [, name, keyId, b64] = m as unknown as [string, string, string, string];
  assertKeyName(name);
  const bytes = decodeBase64(b64);
  if (!bytes || bytes.length !== 33 || bytes[0] !== SIG_ED25519)
    throw new SignedNoteError('bad_key', 'the key is not 0x01 followed by a 32-byte Ed25519 public key', 'key');
  const publicKey = publicKeyFromRaw(bytes.subarray(1));
  if (noteKeyId(name, publicKey) !== keyId) throw new SignedNoteError('bad_key', `key id ${keyId} is not the id of this name and key`, 'key');
  return { name, keyId, publicKey };
}

/** Reads the Go reference's signer key text, `PRIVATE+KEY+<name>+<key id>+<base64(0x01 || seed)>`. */
export function parseSignerKey(skey: string): NoteSigner & { readonly keyId: string; readonly privateKey: KeyObject } {
  const m = /^PRIVATE\+KEY\+([^+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(typeof skey === 'string' ? skey : '');
  if (!m) throw new SignedNoteError('bad_key', 'a signer key is PRIVATE+KEY+<name>+<8 hex digits>+<base64 key>', 'key');
  const [, name, keyId, b64] = m as unknown as [string, string, string, string];
  assertKeyName(name);
  const bytes = decodeBase64(b64);
  if (!bytes || bytes.length !== 33 || bytes[0] !== SIG_ED25519)
    throw new SignedNoteError('bad_key', 'the key is not 0x01 followed by a 32-byte Ed25519 seed', 'key');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, bytes.subarray(1)]), format: 'der', type: 'pkcs8' });
  if (noteKeyId(name, privateKey) !== keyId) throw new SignedNoteError('bad_key', `key id ${keyId} is not the id of this name and key`, 'key');
  return { name, keyId, privateKey };
}

/** A fresh Ed25519 key for `name`, with its id and verifier-key line. */
export function generateNoteKey(name: string): { name: string; keyId: string; privateKey: KeyObject; publicKey: KeyObject; verifierKey: string } {
  assertKeyName(name);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { name, keyId: noteKeyId(name, publicKey), privateKey, publicKey, verifierKey: formatVerifierKey(name, publicKey) };
}

// ---- the signed note ----------------------------------------------------------------------------

const SIG_PREFIX = '\u2014 ';
/** signed-note: accept at least 16; Go's reference stops at 100 */
const MAX_SIGNATURES = 100;

export interface NoteSignature extends NoteKeyRef {
  /** the signature bytes after the key id */
  readonly signature: Buffer;
}

function assertNoteText(text: string): void {
  if (typeof text !== 'string') throw new SignedNoteError('malformed_note', 'a note is text', 'note');
  const bad = forbiddenAt(text);
  if (bad >= 0) throw new SignedNoteError('malformed_note', 'it holds a control character other than newline, or invalid UTF-8', 'note', lineAt(text, bad));
}

/** `text` (ending in a newline), a blank line, and one signature line per signer. */
export function signNote(text: string, signers: NoteSigner | readonly NoteSigner[]): string {
  assertNoteText(text);
  if (!text.endsWith('\n')) throw new SignedNoteError('malformed_note', 'the text of a note ends with a newline', 'note');
  const list = Array.isArray(signers) ? (signers as readonly NoteSigner[]) : [signers as NoteSigner];
  if (list.length === 0) throw new SignedNoteError('malformed_note', 'a note has at least one signature', 'note');
  const message = Buffer.from(text, 'utf8');
  const seen = new Set<string>();
  const lines = list.map(({ name, privateKey }) => {
    const key = ed25519(privateKey, 'private');
    const keyId = noteKeyId(name, key);
    if (seen.has(`${name}+${keyId}`)) throw new SignedNoteError('ambiguous_key', `key ${name}+${keyId} is given twice`, 'key');
    seen.add(`${name}+${keyId}`);
    const signature = sign(null, message, key);
    return `${SIG_PREFIX}${name} ${Buffer.concat([Buffer.from(keyId, 'hex'), signature]).toString('base64')}\n`;
  });
  return `${text}\n${lines.join('')}`;
}

/** Splits a note into its text and signature lines without judging the signatures. */
export function parseNote(note: string): { text: string; signatures: NoteSignature[] } {
  assertNoteText(note);
  // the text ends at the last blank line; it may hold blank lines of its own
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new SignedNoteError('malformed_note', 'no blank line separates the text from the signatures', 'note');
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (block.length === 0 || !block.endsWith('\n'))
    throw new SignedNoteError('malformed_note', 'the signature lines end with a newline and there is at least one', 'note');
  const firstLine = lineAt(note, split + 2);
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new SignedNoteError('malformed_note', `more than ${MAX_SIGNATURES} signatures`, 'note');
  const signatures = lines.map((line, i) => {
    const where = firstLine + i;
    if (!line.startsWith(SIG_PREFIX)) throw new SignedNoteError('malformed_note', "a signature line starts with '— ' (U+2014, space)", 'note', where);
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = space < 0 ? rest : rest.slice(0, space);
    if (space < 0 || !isValidKeyName(name)) throw new SignedNoteError('malformed_note', 'a signature line is — <key name> <base64>', 'note', where);
    const bytes = decodeBase64(rest.slice(space + 1));
    if (!bytes || bytes.length < 5)
      throw new SignedNoteError('malformed_note', 'the signature is not canonical base64 of a key id and signature bytes', 'note', where);
    return { name, keyId: bytes.subarray(0, 4).toString('hex'), signature: bytes.subarray(4) };
  });
  return { text, signatures };
}

export type NoteVerdict =
  | { ok: true; text: string; verified: NoteKeyRef[]; unknown: NoteKeyRef[] }
  | { ok: false; reason: 'malformed'; detail: string }
  /** a known key's signature does not verify: the note was altered, or forged under that key's name and id */
  | { ok: false; reason: 'bad_signature'; detail: string; key: NoteKeyRef }
  /** no signature is by a known key: another key, or a rotated one whose public half was not kept */
  | { ok: false; reason: 'unknown_key'; detail: string; unknown: NoteKeyRef[] };

const refOf = ({ name, keyId }: NoteKeyRef): NoteKeyRef => ({ name, keyId });

/**
 * signed-note's rules: signatures by unknown keys are ignored (but listed), every signature by a
 * known key (same name and id) must verify or the whole note is refused, and at least one must.
 * A known key list that names two different keys with the same name and id is refused (throws).
 */
export function verifyNote(note: string, knownKeys: readonly NoteKey[]): NoteVerdict {
  const known = new Map<string, { key: KeyObject; raw: Buffer }>();
  for (const k of knownKeys) {
    const key = ed25519(k.publicKey, 'public');
    const raw = rawPublicKey(key);
    const id = `${k.name}+${noteKeyId(k.name, key)}`;
    const twin = known.get(id);
    if (twin && !twin.raw.equals(raw)) throw new SignedNoteError('ambiguous_key', `two known keys share the name and id ${id}`, 'key');
    known.set(id, { key, raw });
  }
  let parsed: ReturnType<typeof parseNote>;
  try {
    parsed = parseNote(note);
  } catch (e) {
    if (e instanceof SignedNoteError) return { ok: false, reason: 'malformed', detail: e.message };
    throw e;
  }
  const message = Buffer.from(parsed.text, 'utf8');
  const verified: NoteKeyRef[] = [];
  const unknown: NoteKeyRef[] = [];
  for (const s of parsed.signatures) {
    const id = `${s.name}+${s.keyId}`;
    const k = known.get(id);
    if (!k) {
      if (!unknown.some((u) => `${u.name}+${u.keyId}` === id)) unknown.push(refOf(s));
      continue;
    }
    if (!verify(null, message, k.key, s.signature)) {
      return { ok: false, reason: 'bad_signature', detail: `the signature of key ${id} does not verify: the note is not what that key signed`, key: refOf(s) };
    }
    if (!verified.some((v) => `${v.name}+${v.keyId}` === id)) verified.push(refOf(s));
  }
  if (verified.length === 0) {
    const knownNames = new Set(knownKeys.map((k) => k.name));
    const sameName = unknown.filter((u) => knownNames.has(u.name));
    const detail = sameName.length
      ? `signed by ${sameName.map((u) => `${u.name}+${u.keyId}`).join(', ')}: a key of a known name but not a known key (another key, or a rotated key whose public half was not kept)`
      : `signed only by keys that are not known: ${unknown.map((u) => `${u.name}+${u.keyId}`).join(', ')}`;
    return { ok: false, reason: 'unknown_key', detail, unknown };
  }
  return { ok: true, text: parsed.text, verified, unknown };
}

// ---- checkpoints as signed notes ----------------------------------------------------------------

export function signCheckpoint(cp: CheckpointInput, signers: NoteSigner | readonly NoteSigner[]): string {
  return signNote(formatCheckpoint(cp), signers);
}

export type CheckpointVerdict =
  | { ok: true; checkpoint: Checkpoint; verified: NoteKeyRef[]; unknown: NoteKeyRef[] }
  | Exclude<NoteVerdict, { ok: true }>
  | { ok: false; reason: 'malformed_checkpoint' | 'wrong_origin'; detail: string };

/** verifyNote, then parseCheckpoint of the verified text: a checkpoint is read only once signed. */
export function openCheckpoint(note: string, knownKeys: readonly NoteKey[], options: { origin?: string } = {}): CheckpointVerdict {
  const v = verifyNote(note, knownKeys);
  if (!v.ok) return v;
  try {
    return { ok: true, checkpoint: parseCheckpoint(v.text, options), verified: v.verified, unknown: v.unknown };
  } catch (e) {
    if (!(e instanceof CheckpointFormatError)) throw e;
    return { ok: false, reason: e.reason === 'wrong_origin' ? 'wrong_origin' : 'malformed_checkpoint', detail: e.message };
  }
}
