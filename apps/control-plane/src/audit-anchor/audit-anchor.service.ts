/**
 * The custody log's anchor outside the database: an RFC 9162 Merkle tree over the custody
 * events (libs/domain audit/merkle; one leaf per event, in chain order, see custodyLeaf) whose
 * head is signed as a checkpoint (c2sp.org/tlog-checkpoint in a signed note, Ed25519, the key in
 * AUDIT_KEY_FILE) every CHECKPOINT_EVERY_EVENTS events and every CHECKPOINT_EVERY_SECONDS when
 * there are new ones, at boot when the tree is ahead of the last checkpoint, and at shutdown;
 * each is appended to CHECKPOINT_FILE (checkpoint-file.ts), which whoever holds the database
 * cannot rewrite when it lives elsewhere.
 *
 * At boot the tree is rebuilt from the database and compared with the last checkpoint in the
 * file. A database that is shorter, or differs below the signed size, was rewritten: the
 * `audit.anchor_mismatch` alarm is raised, /health names the anchor failed, and nothing more is
 * signed — a checkpoint over the rewritten history would vouch for it (CHECKPOINTS.md says how
 * an operator resolves the incident). Owns the tree (a cache: everything in it derives from the
 * events) and the latest signed note; the events come from CustodyLedger.onCommitted in chain
 * order, and from the database (eventsAfter) when the sequence jumps (another process wrote).
 */
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { alarmKey, type Checkpoint, leafHash, MerkleTree, NotFoundError, openCheckpoint, signCheckpoint } from '#domain';
import { type CustodyEventEntity, CustodyRepository } from '#persistence';
import { AlarmsService } from '../alarms/alarms.service.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { CustodyLedger } from '../custody/custody-ledger.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { type AnchorReport, type AnchorVerdict, checkAnchorFile, compareWithAnchor, custodyLeaf, STOPPED_EXTENSION } from './anchor-check.js';
import { type AnchorKeys, loadAnchorKeys, type VerifierKeyView } from './anchor-keys.js';
import { appendCheckpoint, appendLeaves, LEAF_BYTES, parseCheckpointFile, readCheckpointFile, readLeaves } from './checkpoint-file.js';
import { stat } from 'node:fs/promises';

export const ANCHOR_MISMATCH_ALARM = 'audit.anchor_mismatch';
export const CHECKPOINT_WRITE_ALARM = 'audit.checkpoint_write_failed';
export const ANCHORED_AFRESH_ALARM = 'audit.anchored_afresh';

const PAGE = 2000;
/** a failed checkpoint write is tried again at the first commit this long after it */
const WRITE_RETRY_MS = 1000;

export interface AnchorHealth {
  /**
   * up: the database agrees with the last checkpoint and checkpoints are written;
   * failed: it does not (a rewritten history: nothing is signed until resolved);
   * failing: checkpoints are signed but cannot be written to the file (retried each round);
   * starting: the tree is being rebuilt
   */
  status: 'starting' | 'up' | 'failed' | 'failing';
  origin: string;
  keyId: string | null;
  treeSize: number;
  /** the size of the last checkpoint in the file (0: none yet) */
  signedSize: number;
  unsignedEvents: number;
  lastCheckpointAt: string | null;
  checkpointFile: string;
  reason?: string;
  error?: string;
}

/** A checkpoint just written: its note, its size and the size of the one before it (0: the first). */
export type CheckpointListener = (written: { note: string; treeSize: number; previousSize: number }) => void;

export interface CheckpointView {
  origin: string;
  treeSize: number;
  /** base64, as in the note */
  rootHash: string;
  time: string | null;
  /** the signing key: its name and id (GET /api/audit/keys has its verifier key) */
  keyName: string;
  keyId: string;
  /** the signed note, byte for byte what text/plain answers */
  note: string;
}

interface Latest {
  note: string;
  checkpoint: Checkpoint;
  keyName: string;
  keyId: string;
}

@Injectable()
export class AuditAnchorService implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly tree = new MerkleTree();
  private keys: AnchorKeys | null = null;
  /** the seq of the last event in the tree (seq and tree index differ only if the log has a hole) */
  private lastSeq = 0;
  private latest: Latest | null = null;
  private signedSize = 0;
  private mismatch: Extract<AnchorVerdict, { ok: false }> | null = null;
  private booted = false;
  private writeFailures = 0;
  /** the boot's catch-up has read the database: from now on commits are appended as announced */
  private caughtUp = false;
  /** the head seen ahead of the tree at the last round (see tick) */
  private suspect: number | null = null;
  private lastWriteFailureAt = 0;
  private lastWriteError: string | null = null;
  /** the file ends in a torn record: the next one starts on a fresh paragraph */
  private afterTornTail = false;
  /** whole leaves in the leaves file */
  private leavesWritten = 0;
  private catching: Promise<void> | null = null;
  private dirty = false;
  private signing: Promise<void> | null = null;
  private signAgain = false;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly writtenListeners = new Set<CheckpointListener>();

  constructor(
    private readonly ledger: CustodyLedger,
    private readonly repo: CustodyRepository,
    private readonly alarms: AlarmsService,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  private get audit() {
    return this.config.audit;
  }

  /** Reads the key (a bad one stops the boot) and starts listening before any write can commit. */
  onModuleInit(): void {
    this.keys = loadAnchorKeys(this.audit);
    const { signer } = this.keys;
    this.logger.info(
      {
        origin: this.audit.origin,
        keyId: signer.keyId,
        verifierKey: signer.verifierKey,
        retiredKeys: this.keys.retired.length,
        generated: this.keys.generated,
      },
      this.keys.generated ? 'checkpoint signing key generated' : 'checkpoint signing key loaded',
    );
    this.unsubscribe = this.ledger.onCommitted((events, contents) => this.committed(events, contents));
  }

  /** `<CHECKPOINT_FILE>.leaves`: the leaf hashes the checkpoints sign (checkpoint-file.ts) */
  private get leavesFile(): string {
    return `${this.audit.checkpointFile}.leaves`;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.catchUp();
    const leafBytes = await stat(this.leavesFile).then(
      (st) => st.size,
      () => 0,
    );
    this.leavesWritten = Math.floor(leafBytes / LEAF_BYTES);
    const text = await readCheckpointFile(this.audit.checkpointFile);
    const file = parseCheckpointFile(text);
    this.afterTornTail = file.tornTail !== null;
    if (file.tornTail !== null)
      this.logger.warn({ file: this.audit.checkpointFile }, 'the checkpoint file ends in a torn record (a write cut by a crash): ignored');
    if (file.stray.length)
      this.logger.warn(
        { file: this.audit.checkpointFile, lines: file.stray.map((s) => s.line) },
        'the checkpoint file holds paragraphs that are not signed checkpoints',
      );
    const last = file.notes[file.notes.length - 1];
    let afresh = false;
    if (last === undefined) {
      if (this.tree.size > 0) {
        afresh = true;
        this.logger.warn(
          { file: this.audit.checkpointFile, events: this.tree.size },
          'no checkpoint file: anchoring the custody log as it is now (if one existed before, its loss is a security incident)',
        );
      }
    } else {
      let verdict = checkAnchorFile(this.tree, file.notes, this.keys!.known, this.audit.origin);
      // signed at a clean shutdown: whatever the database holds beyond it was written while the
      // server was down, by no one who should (after a crash, the events of the last round are
      // legitimately unsigned and are signed now)
      if (verdict.ok && verdict.checkpoint.extensions.includes(STOPPED_EXTENSION) && this.tree.size > verdict.checkpoint.treeSize)
        verdict = {
          ok: false,
          reason: 'unannounced_events',
          detail: `${this.tree.size - verdict.checkpoint.treeSize} custody event(s) after #${verdict.checkpoint.treeSize} were written while the server was stopped (its last checkpoint was signed at a clean shutdown)`,
          checkpoint: verdict.checkpoint,
          signedSize: verdict.checkpoint.treeSize,
          treeSize: this.tree.size,
        };
      if (verdict.ok) {
        const opened = openCheckpoint(last, this.keys!.known, { origin: this.audit.origin });
        const by = opened.ok ? opened.verified[0]! : { name: this.audit.origin, keyId: '' };
        this.latest = { note: last, checkpoint: verdict.checkpoint, keyName: by.name, keyId: by.keyId };
        this.signedSize = verdict.checkpoint.treeSize;
      } else {
        this.mismatch = verdict;
        if (verdict.checkpoint) {
          const opened = openCheckpoint(last, this.keys!.known, { origin: this.audit.origin });
          if (opened.ok) this.latest = { note: last, checkpoint: verdict.checkpoint, keyName: opened.verified[0]!.name, keyId: opened.verified[0]!.keyId };
          this.signedSize = verdict.checkpoint.treeSize;
        }
      }
    }
    this.booted = true;
    this.updateGauges();
    const key = alarmKey(ANCHOR_MISMATCH_ALARM, this.audit.origin);
    if (this.mismatch) {
      const m = this.mismatch;
      this.logger.error(
        { reason: m.reason, treeSize: m.treeSize, signedSize: m.signedSize ?? null, file: this.audit.checkpointFile },
        `custody log does not match its last signed checkpoint: ${m.detail}; no checkpoint will be signed`,
      );
      await this.raiseMismatch(m);
    } else {
      if (this.alarms.isOpen(key)) await this.alarms.clear(key, 'the database agrees with the last signed checkpoint').catch(() => null);
      if (afresh)
        await this.alarms
          .raise({
            type: ANCHORED_AFRESH_ALARM,
            subject: this.audit.origin,
            params: { origin: this.audit.origin, events: this.tree.size, checkpointFile: this.audit.checkpointFile },
            sourceKind: 'audit',
            sourceId: this.audit.origin,
          })
          .catch((err: unknown) => this.logger.error({ err }, 'the anchored-afresh alarm could not be stored'));
      this.logger.info({ treeSize: this.tree.size, signedSize: this.signedSize }, 'custody log agrees with its last signed checkpoint');
      if (this.tree.size > this.signedSize) await this.requestSign();
    }
    this.timer = setInterval(() => void this.tick(), this.audit.everySeconds * 1000);
    this.timer.unref();
  }

  /** Stops the rounds and signs what is left, so a restart finds every event anchored. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.catching?.catch(() => undefined);
    await this.signing;
    // signed (again, when nothing is new) with the `stopped` line: events found beyond it at
    // the next boot were written while the server was down
    if (this.booted && !this.mismatch) await this.signOnce({ stopped: true });
  }

  health(): AnchorHealth {
    const base = {
      origin: this.audit.origin,
      keyId: this.keys?.signer.keyId ?? null,
      treeSize: this.tree.size,
      signedSize: this.signedSize,
      unsignedEvents: Math.max(0, this.tree.size - this.signedSize),
      lastCheckpointAt: this.latest?.checkpoint.time ?? null,
      checkpointFile: this.audit.checkpointFile,
    };
    if (!this.booted) return { status: 'starting', ...base };
    if (this.mismatch) return { status: 'failed', ...base, reason: this.mismatch.reason, error: this.mismatch.detail };
    if (this.writeFailures > 0)
      return { status: 'failing', ...base, error: `${this.writeFailures} checkpoint write(s) failed: ${this.lastWriteError ?? 'unknown error'}` };
    return { status: 'up', ...base };
  }

  /** The latest signed note (text/plain) or its fields. */
  latestCheckpoint(format: 'text'): string;
  latestCheckpoint(format: 'json'): CheckpointView & { anchor: AnchorHealth };
  latestCheckpoint(format: 'text' | 'json'): string | (CheckpointView & { anchor: AnchorHealth }) {
    const l = this.latest;
    if (!l) throw new NotFoundError('Checkpoint', 'latest');
    if (format === 'text') return l.note;
    const cp = l.checkpoint;
    return {
      origin: cp.origin,
      treeSize: cp.treeSize,
      rootHash: cp.rootHash.toString('base64'),
      time: cp.time ?? null,
      keyName: l.keyName,
      keyId: l.keyId,
      note: l.note,
      anchor: this.health(),
    };
  }

  /**
   * The database's events against the checkpoint file, read afresh (not this process's tree,
   * which was built from the same database): the verify report's anchor part.
   */
  async verifyAgainstAnchor(): Promise<AnchorReport>;
  /** …and against other copies of the checkpoints (a witness's), each its own report. */
  async verifyAgainstAnchor(others: readonly string[][]): Promise<{ file: AnchorReport; others: AnchorReport[] }>;
  async verifyAgainstAnchor(others?: readonly string[][]): Promise<AnchorReport | { file: AnchorReport; others: AnchorReport[] }> {
    // the file first: a checkpoint written while the events are read then signs no more than
    // was read (read the other way round, it would report signed events missing)
    const notes = parseCheckpointFile(await readCheckpointFile(this.audit.checkpointFile)).notes;
    const signedLeaves = await readLeaves(this.leavesFile);
    const mine = this.latest?.note;
    const leaves: Buffer[] = [];
    const seqs: number[] = [];
    // bounded: each page advances `after` past at least one event, and the log is finite
    for (let after = 0; ;) {
      const page = await this.repo.eventsAfter(after, PAGE);
      if (page.length === 0) break;
      for (const e of page) {
        leaves.push(custodyLeaf(e));
        seqs.push(e.seq);
      }
      after = page[page.length - 1]!.seq;
    }
    const compare = (n: readonly string[]) => compareWithAnchor({ leaves, seqs, notes: n, signedLeaves, keys: this.keys!.known, origin: this.audit.origin });
    let file = compare(notes);
    // what this process itself last signed is held outside the database and the file: a file
    // rolled back, replaced or emptied while the server runs does not hide a rewrite from it
    if (mine !== undefined && (file.status === 'consistent' || file.status === 'none')) {
      const own = compare([mine]);
      if (own.status !== 'consistent' || file.signedSize < own.signedSize)
        file = {
          ...own,
          status: own.status === 'consistent' ? 'unverifiable' : own.status,
          detail:
            own.status === 'consistent'
              ? `the checkpoint file holds less than this server signed (${file.signedSize} of ${own.signedSize} events): it was rolled back, replaced or emptied`
              : own.detail,
        };
    }
    return others ? { file, others: others.map(compare) } : file;
  }

  /**
   * Calls `listener` with every checkpoint once it is written to the file (synchronously, in
   * order; it must not throw or block: the witness pusher queues its own work). Returns the
   * unsubscribe.
   */
  onCheckpointWritten(listener: CheckpointListener): () => void {
    this.writtenListeners.add(listener);
    return () => this.writtenListeners.delete(listener);
  }

  /** The latest checkpoint written (its note and tree size), or null before the first. */
  signedHead(): { note: string; treeSize: number; time: string | null; keyId: string } | null {
    const l = this.latest;
    return l ? { note: l.note, treeSize: l.checkpoint.treeSize, time: l.checkpoint.time ?? null, keyId: l.keyId } : null;
  }

  /**
   * RFC 9162 proofs from the tree this process holds (built from the database at boot and kept
   * in step with every commit). Leaf `index` is the custody event `seq = index + 1` (the chain
   * is gap-free). Sizes are bounded by the tree's; throws a RangeError otherwise.
   */
  inclusionProof(index: number, treeSize: number): Buffer[] {
    return this.tree.inclusionProof(index, treeSize);
  }

  consistencyProof(size1: number, size2: number): Buffer[] {
    return this.tree.consistencyProof(size1, size2);
  }

  leafHash(index: number): Buffer {
    return this.tree.leaf(index);
  }

  /** The verifier keys: the current signer's and the retired ones still trusted. */
  verifierKeys(): { origin: string; current: VerifierKeyView; retired: readonly VerifierKeyView[] } {
    const k = this.keys!;
    return { origin: this.audit.origin, current: { name: k.signer.name, keyId: k.signer.keyId, verifierKey: k.signer.verifierKey }, retired: k.retired };
  }

  // ---- the tree ---------------------------------------------------------------------------

  private async raiseMismatch(m: Extract<AnchorVerdict, { ok: false }>): Promise<void> {
    await this.alarms
      .raise({
        type: ANCHOR_MISMATCH_ALARM,
        subject: this.audit.origin,
        params: {
          origin: this.audit.origin,
          reason: m.reason,
          detail: m.detail,
          treeSize: m.treeSize,
          signedSize: m.signedSize ?? null,
          checkpointFile: this.audit.checkpointFile,
        },
        sourceKind: 'audit',
        sourceId: this.audit.origin,
      })
      .catch((err: unknown) => this.logger.error({ err }, 'the anchor mismatch alarm could not be stored'));
  }

  /**
   * Custody events in the database that this server's ledger never wrote (inserted behind its
   * back: the append-only triggers do not stop an INSERT). Not signed: a checkpoint would vouch
   * for them. One writer per log in this release; several nodes (#21) each sign their own.
   */
  private foreign(fromSeq: number, toSeq: number): void {
    if (this.mismatch) return;
    this.mismatch = {
      ok: false,
      reason: 'unannounced_events',
      detail: `custody event(s) #${fromSeq}..#${toSeq} appeared in the database without this server writing them`,
      treeSize: this.tree.size,
      signedSize: this.signedSize,
    };
    this.logger.error({ fromSeq, toSeq }, `${this.mismatch.detail}; no checkpoint will be signed`);
    this.updateGauges();
    void this.raiseMismatch(this.mismatch);
  }

  private committed(events: readonly CustodyEventEntity[], contents: readonly string[]): void {
    // before the boot's catch-up has read the database (other modules may write custody events
    // while the app starts), and during it, the catch-up reads them: they are committed
    if (this.catching || !this.caughtUp) {
      // the catch-up reads them from the database (they are committed)
      this.dirty = true;
      return;
    }
    for (const [i, e] of events.entries()) {
      if (e.seq <= this.lastSeq) continue;
      if (e.seq !== this.lastSeq + 1) {
        // events between the last this server wrote and this one: written by someone else
        this.foreign(this.lastSeq + 1, e.seq - 1);
        return;
      }
      // the leaf of the canonical string the ledger hashed (custodyLeaf(e) without making it again)
      this.appendLeaf(e.seq, contents[i] !== undefined ? leafHash(contents[i]!) : custodyLeaf(e));
    }
    this.afterAppend();
  }

  private append(e: CustodyEventEntity): void {
    this.appendLeaf(e.seq, custodyLeaf(e));
  }

  private appendLeaf(seq: number, leaf: Buffer): void {
    this.tree.append(leaf);
    this.lastSeq = seq;
  }

  /** Appends every event after the last one in the tree, in seq order, from the database. */
  private catchUp(): Promise<void> {
    if (this.catching) {
      this.dirty = true;
      return this.catching;
    }
    this.catching = (async () => {
      // bounded: each page advances lastSeq, and `dirty` is set only by a commit that happened
      do {
        this.dirty = false;
        for (;;) {
          const page = await this.repo.eventsAfter(this.lastSeq, PAGE);
          if (page.length === 0) break;
          for (const e of page) this.append(e);
        }
      } while (this.dirty);
    })().finally(() => {
      this.catching = null;
      this.caughtUp = true;
      this.updateGauges();
    });
    return this.catching;
  }

  private afterAppend(): void {
    this.updateGauges();
    if (!this.booted || this.mismatch) return;
    // a failing file (a full or lost volume) is retried at the next commit a second after the
    // last failure, and by the timer: the checkpoint covers everything once it can be written
    if (this.writeFailures > 0) {
      if (Date.now() - this.lastWriteFailureAt >= WRITE_RETRY_MS) void this.requestSign();
      return;
    }
    if (this.tree.size - this.signedSize >= this.audit.everyEvents) void this.requestSign();
  }

  private updateGauges(): void {
    this.metrics.auditTreeSize.set(this.tree.size);
    this.metrics.auditUnsignedEvents.set(Math.max(0, this.tree.size - this.signedSize));
  }

  private async tick(): Promise<void> {
    try {
      // the head ahead of what the ledger announced: a commit's announcement may still be on
      // its way (it follows the commit), so only what is still unannounced a round later is
      // someone else's
      const seq = (await this.repo.head())?.seq ?? 0;
      if (this.suspect !== null && this.lastSeq < this.suspect) this.foreign(this.lastSeq + 1, seq);
      this.suspect = seq > this.lastSeq ? seq : null;
    } catch (err) {
      this.logger.warn({ err }, 'custody anchor: the database could not be read this round');
    }
    if (this.mismatch) {
      if (this.tree.size > this.signedSize) this.metrics.auditCheckpoints.inc({ outcome: 'refused' });
      return;
    }
    if (this.tree.size > this.signedSize) await this.requestSign();
  }

  // ---- signing ----------------------------------------------------------------------------

  /** One signing round at a time; events arriving meanwhile get another round when due. */
  private requestSign(): Promise<void> {
    if (this.signing) {
      this.signAgain = true;
      return this.signing;
    }
    this.signing = (async () => {
      do {
        this.signAgain = false;
        await this.signOnce();
      } while (this.signAgain && this.writeFailures === 0 && this.tree.size - this.signedSize >= this.audit.everyEvents);
    })().finally(() => {
      this.signing = null;
    });
    return this.signing;
  }

  private async signOnce(opts: { stopped?: boolean } = {}): Promise<void> {
    if (this.mismatch) {
      this.metrics.auditCheckpoints.inc({ outcome: 'refused' });
      return;
    }
    const size = this.tree.size;
    if (size <= this.signedSize && !(opts.stopped && size > 0)) return;
    const { signer } = this.keys!;
    const checkpoint = {
      origin: this.audit.origin,
      treeSize: size,
      rootHash: this.tree.root(size),
      time: new Date(),
      extensions: opts.stopped ? [STOPPED_EXTENSION] : [],
    };
    const note = signCheckpoint(checkpoint, { name: signer.name, privateKey: signer.privateKey });
    try {
      // the leaves first: a checkpoint never signs leaves the file does not hold. Those already
      // there beyond the signed size (a crash between the two writes) are this tree's: the file
      // is only appended while the anchor agrees with the database
      if (this.leavesWritten < size) {
        const leaves: Buffer[] = [];
        for (let i = this.leavesWritten; i < size; i++) leaves.push(this.tree.leaf(i));
        await appendLeaves(this.leavesFile, leaves);
        this.leavesWritten = size;
      }
      await appendCheckpoint(this.audit.checkpointFile, note, { afterTornTail: this.afterTornTail });
    } catch (err) {
      this.writeFailures++;
      this.lastWriteFailureAt = Date.now();
      // a write cut short (ENOSPC, EIO) may have left part of the record: the next starts after it
      this.afterTornTail = true;
      this.lastWriteError = `${(err as NodeJS.ErrnoException).code ?? 'error'}: ${(err as Error).message}`;
      this.metrics.auditCheckpoints.inc({ outcome: 'write_failed' });
      this.logger.error(
        { err, file: this.audit.checkpointFile, treeSize: size, failures: this.writeFailures },
        'a signed checkpoint could not be written; retried next round',
      );
      await this.alarms
        .raise({
          type: CHECKPOINT_WRITE_ALARM,
          subject: this.audit.origin,
          params: {
            origin: this.audit.origin,
            checkpointFile: this.audit.checkpointFile,
            error: String((err as NodeJS.ErrnoException).code ?? 'error'),
            failures: this.writeFailures,
            unsignedEvents: size - this.signedSize,
          },
          sourceKind: 'audit',
          sourceId: this.audit.origin,
        })
        .catch(() => undefined);
      return;
    }
    this.afterTornTail = false;
    this.latest = {
      note,
      checkpoint: {
        origin: checkpoint.origin,
        treeSize: size,
        rootHash: checkpoint.rootHash,
        time: checkpoint.time.toISOString(),
        extensions: checkpoint.extensions,
      },
      keyName: signer.name,
      keyId: signer.keyId,
    };
    const previousSize = this.signedSize;
    this.signedSize = size;
    this.metrics.auditCheckpoints.inc({ outcome: 'written' });
    for (const l of this.writtenListeners) {
      try {
        l({ note, treeSize: size, previousSize });
      } catch (err) {
        this.logger.error({ err, treeSize: size }, 'a checkpoint listener failed (the checkpoint stands)');
      }
    }
    this.updateGauges();
    this.logger.debug({ treeSize: size, keyId: signer.keyId }, 'custody checkpoint signed');
    if (this.writeFailures > 0) {
      this.logger.warn({ failures: this.writeFailures }, 'signed checkpoints are written again');
      this.writeFailures = 0;
      this.lastWriteError = null;
      await this.alarms.clear(alarmKey(CHECKPOINT_WRITE_ALARM, this.audit.origin), 'a signed checkpoint was written again').catch(() => null);
    }
  }
}
