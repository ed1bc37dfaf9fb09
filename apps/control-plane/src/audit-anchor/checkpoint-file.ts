/**
 * The checkpoint file (CHECKPOINT_FILE): the log's signed checkpoints, oldest first, appended
 * and never rewritten. Each record is one signed note exactly as `GET /api/audit/checkpoint`
 * serves it (checkpoint body, a blank line, the signature lines) followed by one empty line:
 *
 *     medloop.demo/custody\n          ← the checkpoint body (c2sp.org/tlog-checkpoint)
 *     42\n
 *     <base64 root>\n
 *     time 2026-11-26T10:00:00.000Z\n
 *     \n                              ← the note's own blank line (c2sp.org/signed-note)
 *     — medloop.demo/custody <base64(key id || signature)>\n
 *     \n                              ← the record separator
 *
 * Unambiguous because a checkpoint body never holds an empty line (parseCheckpoint refuses
 * one) and every signature line starts with '— ': the file is paragraphs separated by empty
 * lines, a body paragraph followed by its signature paragraph. A record is written with one
 * write() in append mode and fsynced, so a crash can only leave a torn *last* record (no final
 * empty line); the reader reports it apart from the records, and the writer starts the next
 * record on a fresh paragraph. CHECKPOINTS.md (next to this file) has a worked example that
 * checkpoint-file.spec.ts parses, so the description cannot drift from the code.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

const SIG_PREFIX = '\u2014 ';

export interface CheckpointFileContents {
  /** the complete records' notes, oldest first */
  notes: string[];
  /** 1-based line where each note starts */
  lines: number[];
  /** a last record the file ends in the middle of (a write torn by a crash), verbatim */
  tornTail: string | null;
  /** paragraphs that are not a body followed by its signatures (never written by MedLoop) */
  stray: { line: number; text: string }[];
}

/** Splits the file's text into signed notes (without judging their signatures). */
export function parseCheckpointFile(text: string): CheckpointFileContents {
  const out: CheckpointFileContents = { notes: [], lines: [], tornTail: null, stray: [] };
  if (text.length === 0) return out;
  // a complete file ends with a record's empty line; anything after the last one is torn
  const end = text.lastIndexOf('\n\n');
  const complete = end < 0 ? '' : text.slice(0, end + 2);
  const tail = end < 0 ? text : text.slice(end + 2);
  if (tail.length > 0) out.tornTail = tail;
  const paragraphs: { line: number; text: string }[] = [];
  let line = 1;
  for (const p of complete.split('\n\n')) {
    if (p.length > 0) paragraphs.push({ line, text: p.replace(/^\n+/, '') });
    line += p.split('\n').length + 1;
  }
  for (let i = 0; i < paragraphs.length; i++) {
    const body = paragraphs[i]!;
    const sigs = paragraphs[i + 1];
    if (!body.text.startsWith(SIG_PREFIX) && sigs?.text.startsWith(SIG_PREFIX)) {
      out.notes.push(`${body.text}\n\n${sigs.text}\n`);
      out.lines.push(body.line);
      i++;
    } else {
      out.stray.push(body);
    }
  }
  // torn inside the signature lines: the body before them belongs to the torn record
  const last = out.stray[out.stray.length - 1];
  if (out.tornTail?.startsWith(SIG_PREFIX) && last && last === paragraphs[paragraphs.length - 1] && !last.text.startsWith(SIG_PREFIX)) {
    out.stray.pop();
    out.tornTail = `${last.text}\n\n${out.tornTail}`;
  }
  return out;
}

/** The text of the file, or '' when it does not exist yet. */
export async function readCheckpointFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/**
 * Appends one signed note as a record and syncs it to disk (and, when the file is new, its
 * directory, so the file's existence survives a power loss too). `afterTornTail`: the file
 * ends in a torn record; the new one starts on a fresh paragraph after it.
 */
export async function appendCheckpoint(file: string, note: string, opts: { afterTornTail?: boolean } = {}): Promise<void> {
  if (!note.endsWith('\n') || note.includes('\n\n\n')) throw new Error('a signed checkpoint note ends with one newline and holds one blank line');
  const dir = dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let created = false;
  let handle;
  try {
    handle = await open(file, 'ax', 0o600);
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    handle = await open(file, 'a');
  }
  try {
    // writeFile on a handle writes it all (write() may stop short), appended in 'a' mode
    await handle.writeFile(`${opts.afterTornTail ? '\n\n' : ''}${note}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (created) {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * The leaves file (`<CHECKPOINT_FILE>.leaves`): the tree's leaf hashes, 32 bytes each in tree
 * order, appended and synced before the checkpoint that signs them. Not trusted by itself: a
 * verifier recomputes its root and uses it only when it equals the checkpoint's, and then names
 * the first event the database holds differently (without it, only the span between two
 * checkpoints could be named). A crash can leave a partial last leaf, which a reader drops.
 */
export const LEAF_BYTES = 32;

export async function readLeaves(file: string): Promise<Buffer[]> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: Buffer[] = [];
  for (let i = 0; i + LEAF_BYTES <= data.length; i += LEAF_BYTES) out.push(data.subarray(i, i + LEAF_BYTES));
  return out;
}

/**
 * Appends leaf hashes and syncs them. A torn last leaf (a crash mid-write: the file's size is
 * not a multiple of 32) is cut off first, so every leaf stays at its index; only those partial
 * bytes, never a whole leaf, are ever removed.
 */
export async function appendLeaves(file: string, leaves: readonly Buffer[]): Promise<void> {
  if (leaves.length === 0) return;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const handle = await open(file, 'a', 0o600);
  try {
    const { size } = await handle.stat();
    if (size % LEAF_BYTES !== 0) await handle.truncate(size - (size % LEAF_BYTES));
    await handle.writeFile(Buffer.concat(leaves));
    await handle.sync();
  } finally {
    await handle.close();
  }
}
