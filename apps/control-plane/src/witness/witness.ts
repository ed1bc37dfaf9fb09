/**
 * An outside witness of MedLoop's custody logs (issue #17): a small HTTP server, run by someone
 * other than the database's holder (another department, the regional platform), that takes the
 * logs' signed checkpoints, checks that each one extends the last it holds, keeps them in files
 * of its own and cosigns them. A rewritten history can then be signed again by whoever holds the
 * log's key, but not past the witness: the witness refuses a tree that is not an extension of
 * the one it holds, and keeps the one it holds.
 *
 * The protocol is c2sp.org/tlog-witness `POST /add-checkpoint` (witness-protocol.ts), with two
 * simplifications stated in the README: the cosignature is an Ed25519 signed-note signature line
 * by the witness's key (signature type 0x01 over the checkpoint body, as the log's own line is)
 * rather than c2sp.org/tlog-cosignature's timestamped 0x04 line; and a checkpoint smaller than the
 * one held answers 422 (the spec's old > size is a 400) since it is a log going backwards.
 *
 * Storage: one append-only checkpoint file per origin in WITNESS_DIR (the log's own file format,
 * checkpoint-file.ts), each record the log's note with the witness's cosignature line added; at
 * start the last record that opens with the log's keys is what the witness holds.
 *
 * Plain Node (node:http): no NestJS, nothing of the control plane's database or broker.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import {
  CheckpointFormatError,
  emptyRoot,
  type NoteKey,
  openCheckpoint,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
  SignedNoteError,
  signNote,
  verifyConsistency,
} from '#domain';
import { KeyedQueue } from '../common/keyed-queue.js';
import { appendCheckpoint, parseCheckpointFile, readCheckpointFile } from '../audit-anchor/checkpoint-file.js';
import { formatSizeBody, MAX_REQUEST_BYTES, parseAddCheckpoint, WitnessRequestError } from './witness-protocol.js';

export interface WitnessOptions {
  host: string;
  /** 0: any free port (WitnessServer.port says which) */
  port: number;
  /** where the checkpoint files live */
  dir: string;
  /** verifier keys (`<name>+<key id>+<base64>`) of the logs whose checkpoints are taken */
  logKeys: readonly string[];
  /** the witness's own signer: its key name and private key */
  signer: { name: string; privateKey: KeyObject };
  logger?: Logger;
}

export interface HeldCheckpoint {
  /** the stored record: the log's note with the witness's cosignature line */
  note: string;
  treeSize: number;
  rootHash: Buffer;
}

export interface WitnessServer {
  readonly url: string;
  readonly port: number;
  held(origin: string): HeldCheckpoint | null;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: string;
  type?: string;
}

/** parseNote reads at most 100 signature lines; the witness adds one */
const MAX_NOTE_SIGNATURES = 99;

const text = (status: number, body: string): Answer => ({ status, body: body.endsWith('\n') ? body : `${body}\n` });

/** A file name for an origin (`medloop.demo/custody` holds a slash): percent-encoded, never a path. */
export const checkpointFileOf = (dir: string, origin: string): string => join(dir, `${encodeURIComponent(origin).replace(/\./g, '%2E')}.log`);

export async function startWitness(opts: WitnessOptions): Promise<WitnessServer> {
  const log = opts.logger;
  // the logs: their keys by origin (a log's key name is its origin, tlog-checkpoint)
  const keysByOrigin = new Map<string, NoteKey[]>();
  for (const vkey of opts.logKeys) {
    const k = parseVerifierKey(vkey);
    const list = keysByOrigin.get(k.name) ?? [];
    list.push({ name: k.name, publicKey: k.publicKey });
    keysByOrigin.set(k.name, list);
  }
  const held = new Map<string, HeldCheckpoint>();
  const tornTail = new Set<string>();
  for (const [origin, keys] of keysByOrigin) {
    const file = parseCheckpointFile(await readCheckpointFile(checkpointFileOf(opts.dir, origin)));
    if (file.tornTail !== null) tornTail.add(origin);
    // the last record that opens: a torn or foreign one never replaces what was held before it
    for (let i = file.notes.length - 1; i >= 0; i--) {
      const opened = openCheckpoint(file.notes[i]!, keys, { origin });
      if (opened.ok) {
        held.set(origin, { note: file.notes[i]!, treeSize: opened.checkpoint.treeSize, rootHash: opened.checkpoint.rootHash });
        break;
      }
    }
    log?.info({ origin, treeSize: held.get(origin)?.treeSize ?? 0 }, 'witness: log known');
  }
  const queue = new KeyedQueue();

  async function addCheckpoint(body: string): Promise<Answer> {
    let req;
    try {
      req = parseAddCheckpoint(body);
    } catch (err) {
      if (err instanceof WitnessRequestError) return text(400, err.message);
      throw err;
    }
    // the origin of the unverified body picks the keys to verify it with; nothing else is read from it
    let origin: string;
    let noteText: string;
    try {
      const parsed = parseNote(req.note);
      // the stored record adds the witness's line: it must still be a note a reader takes
      if (parsed.signatures.length >= MAX_NOTE_SIGNATURES) return text(400, `a checkpoint with ${MAX_NOTE_SIGNATURES} or more signatures is not taken`);
      noteText = parsed.text;
      origin = parseCheckpoint(noteText).origin;
    } catch (err) {
      if (err instanceof SignedNoteError || err instanceof CheckpointFormatError) return text(400, err.message);
      throw err;
    }
    const keys = keysByOrigin.get(origin);
    if (!keys) return text(404, `unknown log '${origin.slice(0, 200)}': this witness takes no checkpoints of it`);
    const opened = openCheckpoint(req.note, keys, { origin });
    if (!opened.ok) {
      if (opened.reason === 'malformed' || opened.reason === 'malformed_checkpoint') return text(400, opened.detail);
      return text(403, `the checkpoint is not signed by a known key of ${origin}: ${opened.detail}`);
    }
    const cp = opened.checkpoint;
    // one request per log at a time: the check and the append are one step
    return queue.run(origin, async () => {
      const h = held.get(origin);
      const size = h?.treeSize ?? 0;
      if (req.old !== size) return { status: 409, body: formatSizeBody(size), type: 'text/x.tlog.size' };
      if (cp.treeSize < size) return text(422, `the checkpoint of ${cp.treeSize} leaves is smaller than the ${size} this witness holds: a log does not shrink`);
      const v = verifyConsistency(size, cp.treeSize, h?.rootHash ?? emptyRoot(), cp.rootHash, req.proof);
      if (!v.ok) {
        log?.warn({ origin, old: size, treeSize: cp.treeSize, reason: v.reason }, 'witness: consistency proof failed; checkpoint refused');
        return text(422, `consistency proof failed from ${size} to ${cp.treeSize} leaves (${v.reason}): ${v.detail}`);
      }
      const cosignature = signNote(noteText, opts.signer).slice(noteText.length + 1);
      if (cp.treeSize > size) {
        const record = `${req.note}${cosignature}`;
        await appendCheckpoint(checkpointFileOf(opts.dir, origin), record, { afterTornTail: tornTail.has(origin) });
        tornTail.delete(origin);
        held.set(origin, { note: record, treeSize: cp.treeSize, rootHash: cp.rootHash });
        log?.info({ origin, old: size, treeSize: cp.treeSize }, 'witness: checkpoint cosigned and stored');
      }
      return text(200, cosignature);
    });
  }

  async function handle(req: IncomingMessage): Promise<Answer> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/add-checkpoint') {
      if (req.method !== 'POST') return text(405, 'POST a checkpoint to /add-checkpoint');
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > MAX_REQUEST_BYTES) return text(413, `a request is at most ${MAX_REQUEST_BYTES} bytes`);
      const body = await readBody(req);
      if (body === null) return text(413, `a request is at most ${MAX_REQUEST_BYTES} bytes`);
      let decoded: string;
      try {
        decoded = new TextDecoder('utf-8', { fatal: true }).decode(body);
      } catch {
        return text(400, 'the body is not UTF-8');
      }
      return addCheckpoint(decoded);
    }
    if (path.startsWith('/checkpoint/')) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'GET /checkpoint/<origin>');
      let origin: string;
      try {
        origin = decodeURIComponent(path.slice('/checkpoint/'.length));
      } catch {
        return text(400, 'the origin is not percent-encoded UTF-8');
      }
      const h = held.get(origin);
      return h ? { status: 200, body: h.note } : text(404, 'no checkpoint of that log is held');
    }
    return text(404, 'this witness answers POST /add-checkpoint and GET /checkpoint/<origin>');
  }

  const server: Server = createServer((req, res) => {
    handle(req).then(
      (a) => answer(res, a),
      (err: unknown) => {
        log?.error({ err }, 'witness: request failed');
        answer(res, text(500, 'the witness could not handle the request (its storage?)'));
      },
    );
  });
  // a slow client cannot hold a connection forever
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    port,
    held: (origin) => held.get(origin) ?? null,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The body, or null once it passes MAX_REQUEST_BYTES (the rest is not read). */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_REQUEST_BYTES) {
        req.removeAllListeners('data');
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, a: Answer): void {
  if (res.headersSent) return;
  const tooBig = a.status === 413;
  res.writeHead(a.status, {
    'content-type': a.type ?? 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(a.body),
    ...(tooBig ? { connection: 'close' } : {}),
  });
  res.end(a.body);
}
