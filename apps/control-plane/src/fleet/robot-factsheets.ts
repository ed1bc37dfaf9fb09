/**
 * Keeps each robot's VDA 5050 factsheet (2.0.0 and 2.1.0) in the database, so what a robot
 * declares it can do survives a restart of the server: a 2.1 robot's factsheet is retained on
 * the broker, but a 2.0 robot may send its own once, or only when asked (factsheetRequest),
 * and dispatch must not take it for a plain carrier meanwhile. Read once at boot; written when
 * a robot sends a factsheet that differs from the stored one (a republished factsheet with a
 * new header alone, or its keys in another order, is not a change). One write at a time per
 * robot, and at most one more waiting: a robot that sends factsheets faster than the database
 * takes them has only its latest one written once the running write ends, so nothing queues
 * in memory beyond one factsheet per robot.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Factsheet } from '#contracts';
import { RobotFactsheetsRepository } from '#persistence';
import { LOGGER } from '../common/logger.js';

export interface StoredFactsheet {
  factsheet: Factsheet;
  receivedAt: string;
}

/** Header fields that change with every publication and say nothing about the robot. */
const HEADER_ONLY = new Set(['headerId', 'timestamp']);

/** The factsheet without its header's counters, keys sorted at every level: equal text = same declaration. */
export function canonicalFactsheet(f: Factsheet): string {
  const canon = (v: unknown, top: boolean): unknown => {
    if (Array.isArray(v)) return v.map((x) => canon(x, false));
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) if (!(top && HEADER_ONLY.has(k))) out[k] = canon((v as Record<string, unknown>)[k], false);
    return out;
  };
  return JSON.stringify(canon(f, true));
}

interface Pending {
  factsheet: Factsheet;
  text: string;
  receivedAt: Date;
}

interface Writer {
  /** the latest factsheet not yet handed to the database (replaced by a newer one) */
  pending: Pending | undefined;
  /** settles when this robot has nothing left to write */
  done: Promise<void>;
}

@Injectable()
export class RobotFactsheets {
  /** the canonical text last written (or read, or being written) per robot, to skip unchanged factsheets */
  private readonly written = new Map<string, string>();
  /** the robots with a write running: writes of one robot never overtake each other */
  private readonly writers = new Map<string, Writer>();

  constructor(
    private readonly repo: RobotFactsheetsRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Every stored factsheet, by device id. */
  async load(): Promise<Map<string, StoredFactsheet>> {
    const out = new Map<string, StoredFactsheet>();
    for (const row of await this.repo.list()) {
      const factsheet = row.factsheet as unknown as Factsheet;
      out.set(row.deviceId, { factsheet, receivedAt: row.receivedAt.toISOString() });
      if (!this.written.has(row.deviceId)) this.written.set(row.deviceId, canonicalFactsheet(factsheet));
    }
    return out;
  }

  /**
   * Stores the factsheet unless the stored one (or the one going there) says the same; never
   * throws (logged). Settles when the robot's latest factsheet is written (or failed).
   */
  remember(deviceId: string, factsheet: Factsheet, receivedAt: Date): Promise<void> {
    const text = canonicalFactsheet(factsheet);
    const writer = this.writers.get(deviceId);
    const latest = writer?.pending?.text ?? this.written.get(deviceId);
    if (latest === text) return writer?.done ?? Promise.resolve();
    if (writer) {
      // the running write ends first; only the newest factsheet waits behind it (none when the
      // newest says what the running write stores)
      writer.pending = this.written.get(deviceId) === text ? undefined : { factsheet, text, receivedAt };
      return writer.done;
    }
    const w: Writer = { pending: { factsheet, text, receivedAt }, done: Promise.resolve() };
    this.writers.set(deviceId, w);
    w.done = this.drain(deviceId, w);
    return w.done;
  }

  private async drain(deviceId: string, w: Writer): Promise<void> {
    try {
      // bounded: each pass takes the pending factsheet, and a robot adds at most one meanwhile
      for (let next = w.pending; next; next = w.pending) {
        w.pending = undefined;
        this.written.set(deviceId, next.text);
        try {
          await this.repo.save({
            deviceId,
            version: String(next.factsheet.version).slice(0, 16),
            factsheet: next.factsheet as unknown as Record<string, unknown>,
            receivedAt: next.receivedAt,
          });
        } catch (err: unknown) {
          // the next factsheet from this robot tries again
          if (this.written.get(deviceId) === next.text) this.written.delete(deviceId);
          this.logger.error({ err, deviceId }, 'could not store the robot factsheet');
        }
      }
    } finally {
      this.writers.delete(deviceId);
    }
  }
}
