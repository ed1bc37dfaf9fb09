/**
 * The telemetry time series: each message's readings are buffered in memory as one sample and
 * written in batches (every TELEMETRY_FLUSH_MS or TELEMETRY_FLUSH_ROWS samples, whichever
 * comes first). The per-minute rollups they touch are accumulated in memory; the timed flush
 * writes the buckets of minutes that are over (oldest first, at most ROLLUP_WRITES_PER_FLUSH
 * at a time), so each bucket is written about once rather than with every batch while its
 * minute fills, and no flush holds the thread long (SQLite writes are synchronous). A
 * per-minute query writes its device's open buckets first; shutdown writes every bucket. A
 * periodic purge bounds the raw table (TELEMETRY_RETENTION_HOURS) and the rollups
 * (TELEMETRY_ROLLUP_RETENTION_DAYS). A failed write keeps the batch for the next flush
 * (bounded, so a dead database cannot eat memory). After a crash, the buckets that were only
 * in memory are rebuilt at boot from the samples already written.
 */
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { TelemetryRepository, type TelemetrySampleEntity, type TelemetrySeriesFilter } from '#persistence';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RollupAccumulator } from './telemetry-rollup.js';

type Sample = Omit<TelemetrySampleEntity, 'id'>;
type Triple = [channel: string, metric: string, value: number];
/** A stored sample's readings, as written by append(). */
const triplesOf = (s: Pick<TelemetrySampleEntity, 'readings'>) => JSON.parse(s.readings) as Triple[];

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

/** Rollup buckets the timed flush writes at most (10,000 sensors close 30,000 a minute). */
const ROLLUP_WRITES_PER_FLUSH = 1_000;
/** How long after its minute a bucket is left open for messages still on their way. */
const ROLLUP_GRACE_MS = 5_000;

/** Which rollups a flush writes besides the buffered samples: none, closed minutes, one device's, all. */
type RollupScope = 'none' | 'closed' | { deviceId: string } | 'all';

/** Samples kept in memory at most while the database refuses writes. */
const MAX_BACKLOG_SAMPLES = 100_000;
/** Minutes the accumulator keeps a bucket open for late readings (and rebuilds at boot). */
const ROLLUP_KEEP_MINUTES = 5;
/** Samples read per page when rebuilding rollups at boot. */
const REBUILD_PAGE = 5_000;

@Injectable()
export class TelemetryStore implements OnModuleInit, OnApplicationShutdown {
  private buffer: Sample[] = [];
  private readonly rollups = new RollupAccumulator(ROLLUP_KEEP_MINUTES);
  private flushing: Promise<void> | null = null;
  private flushTimer: NodeJS.Timeout | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repo: TelemetryRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: MetricsService,
  ) {}

  async onModuleInit(): Promise<void> {
    // before the broker starts (it does at bootstrap): no live sample is counted twice
    const started = Date.now();
    const n = await this.rebuildRecentRollups(new Date());
    if (n > 0) this.logger.info({ samples: n, ms: Date.now() - started }, 'rebuilt the rollups of the last minutes from stored samples');
    this.flushTimer = setInterval(() => void this.flush('closed'), this.config.telemetry.flushMs);
    this.flushTimer.unref();
    this.purgeTimer = setInterval(() => void this.purge(new Date()), this.config.telemetry.purgeIntervalMs);
    this.purgeTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.flushTimer);
    clearInterval(this.purgeTimer);
    await this.flush('all');
  }

  /**
   * Re-accumulates the samples of the minutes the accumulator keeps, from the raw table, so the
   * next flushes write those buckets whole. After a crash they were only in memory (their
   * samples were written every TELEMETRY_FLUSH_MS); after a clean shutdown this rewrites the
   * same values. Returns the samples read.
   */
  async rebuildRecentRollups(now: Date): Promise<number> {
    const from = new Date(Math.floor(now.getTime() / 60_000) * 60_000 - ROLLUP_KEEP_MINUTES * 60_000);
    let after: { at: string; id: number } | null = null;
    let n = 0;
    for (;;) {
      const page = await this.repo.recentPage(from, after, REBUILD_PAGE);
      for (const s of page) {
        const at = new Date(s.at);
        for (const [channel, metric, value] of triplesOf(s)) this.rollups.add({ deviceId: s.deviceId, channel, metric, value, at }, now);
      }
      n += page.length;
      if (page.length < REBUILD_PAGE) break;
      const last = page[page.length - 1]!;
      after = { at: last.at, id: last.id };
    }
    this.metrics.telemetryPending.set({ kind: 'rollups' }, this.rollups.pending);
    return n;
  }

  /** Buffers the readings of one message (booleans stored as 0/1); no I/O on the message path. */
  append(deviceId: string, at: string, values: readonly { channel: string; metric: string; value: number | boolean }[]): void {
    const when = new Date(at);
    const now = new Date();
    const triples: Triple[] = [];
    for (const v of values) {
      const value = typeof v.value === 'boolean' ? (v.value ? 1 : 0) : v.value;
      triples.push([v.channel, v.metric, value]);
      this.rollups.add({ deviceId, channel: v.channel, metric: v.metric, value, at: when }, now);
    }
    this.buffer.push({ deviceId, at: when.toISOString(), readings: JSON.stringify(triples) });
    if (this.buffer.length >= this.config.telemetry.flushRows) void this.flush();
  }

  /** Writes the buffered samples and the rollups of `scope`; concurrent callers share one write. */
  flush(scope: RollupScope = 'none'): Promise<void> {
    if (this.flushing) return this.flushing.then(() => this.flush(scope));
    const now = new Date();
    const buckets =
      scope === 'all'
        ? this.rollups.takeTouched(now)
        : scope === 'closed'
          ? this.rollups.takeTouched(now, { closedOnly: true, graceMs: ROLLUP_GRACE_MS, max: ROLLUP_WRITES_PER_FLUSH })
          : scope === 'none'
            ? []
            : this.rollups.takeTouched(now, { deviceId: scope.deviceId });
    if (this.buffer.length === 0 && buckets.length === 0) return Promise.resolve();
    const samples = this.buffer;
    this.buffer = [];
    this.flushing = this.repo
      .writeBatch(samples, buckets)
      .then(() => {
        this.metrics.telemetrySamples.inc({ outcome: 'written' }, samples.length);
      })
      .catch((err: unknown) => {
        this.metrics.telemetryFlushFailures.inc();
        this.logger.warn({ err, samples: samples.length }, 'telemetry write failed; will retry');
        const keep = samples.slice(Math.max(0, samples.length + this.buffer.length - MAX_BACKLOG_SAMPLES));
        this.metrics.telemetrySamples.inc({ outcome: 'dropped' }, samples.length - keep.length);
        this.buffer = [...keep, ...this.buffer];
        this.rollups.retry(buckets);
      })
      .finally(() => {
        this.flushing = null;
        this.metrics.telemetryPending.set({ kind: 'samples' }, this.buffer.length);
        this.metrics.telemetryPending.set({ kind: 'rollups' }, this.rollups.pending);
      });
    return this.flushing;
  }

  async purge(now: Date): Promise<void> {
    try {
      const t = this.config.telemetry;
      const r = await this.repo.purge(new Date(now.getTime() - t.retentionHours * 3_600_000), new Date(now.getTime() - t.rollupRetentionDays * 86_400_000));
      this.metrics.telemetryPurged.inc({ table: 'samples' }, r.raw);
      this.metrics.telemetryPurged.inc({ table: 'rollups' }, r.rollups);
    } catch (err) {
      this.logger.warn({ err }, 'telemetry purge failed');
    }
  }

  /**
   * A device's series between two instants, raw or per minute; what is buffered is written
   * first (for per-minute, this device's rollups of the minutes still open too).
   */
  async series(q: TelemetrySeriesFilter & { resolution: 'raw' | '1m' }): Promise<SeriesPoint[]> {
    await this.flush(q.resolution === 'raw' ? 'none' : { deviceId: q.deviceId });
    if (q.resolution === 'raw') return this.rawSeries(q);
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

  /** Raw points, oldest first: samples are read page by page until `limit` points match. */
  private async rawSeries(q: TelemetrySeriesFilter): Promise<SeriesPoint[]> {
    const points: SeriesPoint[] = [];
    const pageSize = Math.min(Math.max(q.limit, 100), 5_000);
    let after: { at: string; id: number } | null = null;
    for (;;) {
      const page = await this.repo.rawPage(q, after, pageSize);
      for (const s of page) {
        for (const [channel, metric, value] of triplesOf(s)) {
          if ((q.metric && metric !== q.metric) || (q.channel && channel !== q.channel)) continue;
          points.push({ at: s.at, channel, metric, value });
          if (points.length >= q.limit) return points;
        }
      }
      if (page.length < pageSize) return points;
      const last = page[page.length - 1]!;
      after = { at: last.at, id: last.id };
    }
  }
}
