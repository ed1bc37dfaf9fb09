/**
 * The telemetry time series: readings are buffered in memory and written in batches (every
 * TELEMETRY_FLUSH_MS or TELEMETRY_FLUSH_ROWS rows, whichever comes first) together with the
 * per-minute rollups they touched; a periodic purge bounds the raw table
 * (TELEMETRY_RETENTION_HOURS) and the rollups (TELEMETRY_ROLLUP_RETENTION_DAYS). A failed
 * write keeps the batch for the next flush (bounded, so a dead database cannot eat memory).
 */
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { TelemetryRepository, type TelemetryReadingEntity } from '#persistence';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { RollupAccumulator } from './telemetry-rollup.js';

type Row = Omit<TelemetryReadingEntity, 'id'>;

export interface SeriesPoint {
  at: string;
  channel: string;
  metric: string;
  value?: number;
  min?: number;
  avg?: number;
  max?: number;
  count?: number;
}

/** Rows kept in memory at most while the database refuses writes. */
const MAX_BACKLOG_ROWS = 100_000;

@Injectable()
export class TelemetryStore implements OnModuleInit, OnApplicationShutdown {
  private buffer: Row[] = [];
  private readonly rollups = new RollupAccumulator(5);
  private flushing: Promise<void> | null = null;
  private flushTimer: NodeJS.Timeout | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;
  readonly stats = { written: 0, dropped: 0, flushes: 0, failedFlushes: 0, purgedRaw: 0, purgedRollups: 0 };

  constructor(
    private readonly repo: TelemetryRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.flushTimer = setInterval(() => void this.flush(), this.config.telemetry.flushMs);
    this.flushTimer.unref();
    this.purgeTimer = setInterval(() => void this.purge(new Date()), this.config.telemetry.purgeIntervalMs);
    this.purgeTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.flushTimer);
    clearInterval(this.purgeTimer);
    await this.flush();
  }

  /** Buffers readings of one message (booleans stored as 0/1); no I/O on the message path. */
  append(deviceId: string, at: string, values: readonly { channel: string; metric: string; value: number | boolean }[]): void {
    const when = new Date(at);
    const now = new Date();
    for (const v of values) {
      const value = typeof v.value === 'boolean' ? (v.value ? 1 : 0) : v.value;
      this.buffer.push({ deviceId, channel: v.channel, metric: v.metric, value, at: when });
      this.rollups.add({ deviceId, channel: v.channel, metric: v.metric, value, at: when }, now);
    }
    if (this.buffer.length >= this.config.telemetry.flushRows) void this.flush();
  }

  /** Writes what is buffered; concurrent callers share one write. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => (this.buffer.length ? this.flush() : undefined));
    if (this.buffer.length === 0) return Promise.resolve();
    const rows = this.buffer;
    this.buffer = [];
    const buckets = this.rollups.takeTouched(new Date());
    this.flushing = this.repo
      .writeBatch(rows, buckets)
      .then(() => {
        this.stats.written += rows.length;
        this.stats.flushes++;
      })
      .catch((err: unknown) => {
        this.stats.failedFlushes++;
        this.logger.warn({ err, rows: rows.length }, 'telemetry write failed; will retry');
        const keep = rows.slice(Math.max(0, rows.length + this.buffer.length - MAX_BACKLOG_ROWS));
        this.stats.dropped += rows.length - keep.length;
        this.buffer = [...keep, ...this.buffer];
        this.rollups.retry(buckets);
      })
      .finally(() => {
        this.flushing = null;
      });
    return this.flushing;
  }

  async purge(now: Date): Promise<void> {
    try {
      const t = this.config.telemetry;
      const r = await this.repo.purge(new Date(now.getTime() - t.retentionHours * 3_600_000), new Date(now.getTime() - t.rollupRetentionDays * 86_400_000));
      this.stats.purgedRaw += r.raw;
      this.stats.purgedRollups += r.rollups;
    } catch (err) {
      this.logger.warn({ err }, 'telemetry purge failed');
    }
  }

  /** A device's series between two instants, raw or per minute; what is buffered is written first. */
  async series(q: {
    deviceId: string;
    from: Date;
    to: Date;
    resolution: 'raw' | '1m';
    metric?: string | undefined;
    channel?: string | undefined;
    limit: number;
  }): Promise<SeriesPoint[]> {
    await this.flush();
    if (q.resolution === 'raw') {
      return (await this.repo.raw(q)).map((r) => ({ at: r.at.toISOString(), channel: r.channel, metric: r.metric, value: r.value }));
    }
    return (await this.repo.perMinute(q)).map((b) => ({
      at: b.bucket,
      channel: b.channel,
      metric: b.metric,
      min: b.min,
      avg: Math.round((b.sum / b.count) * 1000) / 1000,
      max: b.max,
      count: b.count,
    }));
  }
}
