/**
 * Keeps each robot's VDA 5050 factsheet (2.0.0 and 2.1.0) in the database, so what a robot
 * declares it can do survives a restart of the server: a 2.1 robot's factsheet is retained on
 * the broker, but a 2.0 robot may send its own once, or only when asked (factsheetRequest),
 * and dispatch must not take it for a plain carrier meanwhile. Read once at boot; written when
 * a robot sends a factsheet that differs from the stored one (a republished factsheet with a
 * new header alone is not a change), one write at a time per robot, the latest last.
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

function body(f: Factsheet): string {
  return JSON.stringify(f, (key, value: unknown) => (HEADER_ONLY.has(key) ? undefined : value));
}

@Injectable()
export class RobotFactsheets {
  /** the body last written (or read) per robot, to skip writes of an unchanged factsheet */
  private readonly written = new Map<string, string>();
  /** the write running per robot: writes of one robot never overtake each other */
  private readonly writing = new Map<string, Promise<void>>();

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
      if (!this.written.has(row.deviceId)) this.written.set(row.deviceId, body(factsheet));
    }
    return out;
  }

  /** Stores the factsheet unless the stored one says the same; never throws (logged). */
  remember(deviceId: string, factsheet: Factsheet, receivedAt: Date): Promise<void> {
    const text = body(factsheet);
    if (this.written.get(deviceId) === text) return this.writing.get(deviceId) ?? Promise.resolve();
    this.written.set(deviceId, text);
    const previous = this.writing.get(deviceId) ?? Promise.resolve();
    const next = previous
      .then(() =>
        this.repo.save({ deviceId, version: String(factsheet.version).slice(0, 16), factsheet: factsheet as unknown as Record<string, unknown>, receivedAt }),
      )
      .catch((err: unknown) => {
        // the next factsheet from this robot tries again
        if (this.written.get(deviceId) === text) this.written.delete(deviceId);
        this.logger.error({ err, deviceId }, 'could not store the robot factsheet');
      })
      .finally(() => {
        if (this.writing.get(deviceId) === next) this.writing.delete(deviceId);
      });
    this.writing.set(deviceId, next);
    return next;
  }
}
