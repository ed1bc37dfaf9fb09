/**
 * Pushes every written checkpoint to the outside witnesses of WITNESS_URLS (issue #17): the
 * checkpoint file may sit where the database's holder cannot rewrite it, a witness run by
 * someone else certainly does. c2sp.org/tlog-witness: `POST <url>/add-checkpoint` with the size
 * the witness holds as far as this process knows, the consistency proof from it and the note;
 * a 409 tells the witness's real size (at boot nothing is known: the first push says `old 0`
 * and learns it), and the push is retried once from there.
 *
 * Only the latest checkpoint matters: a push that fails is not queued, the next checkpoint (or
 * the retry round every CHECKPOINT_EVERY_SECONDS while a witness is behind) carries everything.
 * A witness that cannot be reached is a warning after WITNESS_ALARM_AFTER_FAILURES pushes in a
 * row, never a reason for /health to fail (care does not stop for the auditor's copy). A witness
 * that holds a bigger tree than ours, or refuses ours as no extension of its own, holds another
 * history of this log: that is the critical `audit.witness_conflict`.
 */
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { alarmKey } from '#domain';
import { AlarmsService } from '../alarms/alarms.service.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { formatAddCheckpoint, parseSizeBody } from '../witness/witness-protocol.js';
import { AuditAnchorService } from './audit-anchor.service.js';

export const WITNESS_UNREACHABLE_ALARM = 'audit.witness_unreachable';
export const WITNESS_CONFLICT_ALARM = 'audit.witness_conflict';

/** One witness as /health's anchor check reports it. */
export interface WitnessStatus {
  url: string;
  /** ok: it holds our latest checkpoint; behind: not yet; failing: pushes fail; conflict: it holds another history */
  status: 'ok' | 'behind' | 'failing' | 'conflict';
  /** the size it last acknowledged (null: not known yet this run) */
  size: number | null;
  lastOkAt: string | null;
  /** consecutive failed pushes */
  failures: number;
  error?: string;
}

interface Witness {
  url: string;
  size: number | null;
  lastOkAt: string | null;
  failures: number;
  error: string | null;
  conflict: boolean;
  running: Promise<void> | null;
  again: boolean;
}

type Outcome = 'ok' | 'unreachable' | 'refused' | 'conflict';

@Injectable()
export class WitnessPushService implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly witnesses: Witness[];
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;

  constructor(
    private readonly anchor: AuditAnchorService,
    private readonly alarms: AlarmsService,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.witnesses = config.audit.witnessUrls.map((url) => ({
      url,
      size: null,
      lastOkAt: null,
      failures: 0,
      error: null,
      conflict: false,
      running: null,
      again: false,
    }));
  }

  onModuleInit(): void {
    if (this.witnesses.length === 0) return;
    // before the anchor's bootstrap, which may sign at once
    this.unsubscribe = this.anchor.onCheckpointWritten(() => this.pushAll());
  }

  onApplicationBootstrap(): void {
    if (this.witnesses.length === 0) return;
    // a witness behind (down during the last run, or new) gets the latest at once, not at the next checkpoint
    this.pushAll();
    this.timer = setInterval(() => {
      const head = this.anchor.signedHead();
      // a conflict is not retried here: the next checkpoint tries again (a raise a second would only repeat it)
      for (const w of this.witnesses) if (head && !w.conflict && (w.size === null || w.size < head.treeSize || w.failures > 0)) void this.push(w);
    }, this.config.audit.everySeconds * 1000);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    // bounded: each push waits at most WITNESS_TIMEOUT_MS per request, two requests
    await Promise.all(this.witnesses.map((w) => w.running?.catch(() => undefined)));
  }

  /**
   * The latest checkpoint each witness holds of this log (GET <url>/checkpoint/<origin>), for
   * verification against copies the database's holder cannot rewrite; `note` null with the
   * reason when a witness does not answer or holds none.
   */
  async heldCheckpoints(): Promise<{ url: string; note: string | null; error?: string }[]> {
    return Promise.all(
      this.witnesses.map(async (w) => {
        try {
          const r = await fetch(`${w.url}/checkpoint/${encodeURIComponent(this.config.audit.origin)}`, {
            signal: AbortSignal.timeout(this.config.audit.witnessTimeoutMs),
          });
          const text = await r.text();
          if (r.status !== 200) return { url: w.url, note: null, error: `HTTP ${r.status}: ${text.slice(0, 200)}` };
          return { url: w.url, note: text };
        } catch (err) {
          const e = err as Error & { cause?: { code?: string } };
          return {
            url: w.url,
            note: null,
            error: e.name === 'TimeoutError' ? `no answer within ${this.config.audit.witnessTimeoutMs} ms` : (e.cause?.code ?? e.message),
          };
        }
      }),
    );
  }

  status(): WitnessStatus[] {
    const head = this.anchor.signedHead();
    return this.witnesses.map((w) => ({
      url: w.url,
      status: w.conflict ? 'conflict' : w.failures > 0 ? 'failing' : head && (w.size ?? -1) < head.treeSize ? 'behind' : 'ok',
      size: w.size,
      lastOkAt: w.lastOkAt,
      failures: w.failures,
      ...(w.error ? { error: w.error } : {}),
    }));
  }

  private pushAll(): void {
    for (const w of this.witnesses) void this.push(w);
  }

  /** One push at a time per witness; a checkpoint written meanwhile is pushed right after. */
  private push(w: Witness): Promise<void> {
    if (this.stopping) return Promise.resolve();
    if (w.running) {
      w.again = true;
      return w.running;
    }
    w.running = (async () => {
      do {
        w.again = false;
        await this.attempt(w).catch((err: unknown) => this.logger.error({ err, witness: w.url }, 'witness push failed unexpectedly'));
      } while (w.again && !this.stopping);
    })().finally(() => {
      w.running = null;
    });
    return w.running;
  }

  private async attempt(w: Witness): Promise<void> {
    const head = this.anchor.signedHead();
    if (!head) return;
    if (w.size === head.treeSize && w.failures === 0 && !w.conflict) return;
    let old = w.size ?? 0;
    // twice at most: the first push may be told (409) the size the witness really holds
    for (let round = 0; round < 2; round++) {
      if (old > head.treeSize) {
        return this.conflicted(w, 'witness_ahead', head.treeSize, `it holds ${old} events of this log, ${old - head.treeSize} more than the database`);
      }
      let res: { status: number; text: string };
      try {
        const body = formatAddCheckpoint({ old, proof: this.anchor.consistencyProof(old, head.treeSize), note: head.note });
        const r = await fetch(`${w.url}/add-checkpoint`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body,
          signal: AbortSignal.timeout(this.config.audit.witnessTimeoutMs),
          redirect: 'error',
        });
        res = { status: r.status, text: (await r.text()).slice(0, 2000) };
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        return this.failed(
          w,
          'unreachable',
          head.treeSize,
          e.name === 'TimeoutError' ? `no answer within ${this.config.audit.witnessTimeoutMs} ms` : (e.cause?.code ?? e.message),
        );
      }
      if (res.status === 200) return this.succeeded(w, head.treeSize);
      if (res.status === 409) {
        const size = parseSizeBody(res.text);
        if (size === null) return this.failed(w, 'refused', head.treeSize, 'HTTP 409 without the size it holds');
        w.size = size;
        old = size;
        continue;
      }
      if (res.status === 422) return this.conflicted(w, 'inconsistent', head.treeSize, oneLine(res.text));
      return this.failed(w, res.status >= 500 ? 'unreachable' : 'refused', head.treeSize, `HTTP ${res.status}: ${oneLine(res.text)}`);
    }
    return this.failed(w, 'refused', head.treeSize, `HTTP 409 twice: its size moved from ${w.size} while pushing`);
  }

  private subject(w: Witness): string {
    return `${this.config.audit.origin}|${w.url}`;
  }

  private count(w: Witness, outcome: Outcome): void {
    this.metrics.auditWitness.inc({ witness: w.url, outcome });
  }

  private async succeeded(w: Witness, size: number): Promise<void> {
    this.count(w, 'ok');
    const was = { failures: w.failures, conflict: w.conflict };
    w.size = size;
    w.lastOkAt = new Date().toISOString();
    w.failures = 0;
    w.error = null;
    w.conflict = false;
    if (was.failures > 0) this.logger.info({ witness: w.url, treeSize: size, failures: was.failures }, 'the witness takes checkpoints again');
    const unreachable = alarmKey(WITNESS_UNREACHABLE_ALARM, this.subject(w));
    if (this.alarms.isOpen(unreachable)) await this.alarms.clear(unreachable, 'the witness accepted a checkpoint').catch(() => null);
    const conflict = alarmKey(WITNESS_CONFLICT_ALARM, this.subject(w));
    if (this.alarms.isOpen(conflict)) await this.alarms.clear(conflict, 'the witness accepted a checkpoint of this log').catch(() => null);
  }

  private async failed(w: Witness, outcome: 'unreachable' | 'refused', treeSize: number, error: string): Promise<void> {
    this.count(w, outcome);
    w.failures++;
    w.error = error;
    this.logger.warn({ witness: w.url, treeSize, failures: w.failures, error }, 'a checkpoint could not be pushed to a witness; retried with the next one');
    if (w.failures < this.config.audit.witnessAlarmAfterFailures) return;
    await this.alarms
      .raise({
        type: WITNESS_UNREACHABLE_ALARM,
        subject: this.subject(w),
        params: { origin: this.config.audit.origin, witness: w.url, failures: w.failures, error, witnessSize: w.size, treeSize },
        sourceKind: 'audit',
        sourceId: this.config.audit.origin,
      })
      .catch((err: unknown) => this.logger.error({ err }, 'the witness alarm could not be stored'));
  }

  private async conflicted(w: Witness, reason: 'witness_ahead' | 'inconsistent', treeSize: number, detail: string): Promise<void> {
    this.count(w, 'conflict');
    w.conflict = true;
    w.error = detail;
    this.logger.error({ witness: w.url, reason, witnessSize: w.size, treeSize, detail }, 'a witness holds another history of the custody log');
    await this.alarms
      .raise({
        type: WITNESS_CONFLICT_ALARM,
        subject: this.subject(w),
        params: { origin: this.config.audit.origin, witness: w.url, reason, witnessSize: w.size, treeSize, detail },
        sourceKind: 'audit',
        sourceId: this.config.audit.origin,
      })
      .catch((err: unknown) => this.logger.error({ err }, 'the witness conflict alarm could not be stored'));
  }
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim().slice(0, 300);
