import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Between, LessThan, type Repository } from 'typeorm';
import { TelemetryReadingEntity, TelemetryRollupEntity } from '../entities/telemetry.entity.js';

export interface TelemetrySeriesFilter {
  deviceId: string;
  from: Date;
  to: Date;
  metric?: string | undefined;
  channel?: string | undefined;
  limit: number;
}

/** Batched writes and range reads of the telemetry time series and its per-minute rollups. */
@Injectable()
export class TelemetryRepository {
  constructor(
    @InjectRepository(TelemetryReadingEntity) private readonly readings: Repository<TelemetryReadingEntity>,
    @InjectRepository(TelemetryRollupEntity) private readonly rollups: Repository<TelemetryRollupEntity>,
  ) {}

  /** One transaction per batch: raw rows inserted in chunks, touched rollup buckets upserted. */
  async writeBatch(rows: Omit<TelemetryReadingEntity, 'id'>[], buckets: TelemetryRollupEntity[]): Promise<void> {
    await this.readings.manager.transaction(async (em) => {
      // SQLite caps bound parameters per statement; 5 columns × 150 rows stays well below it
      for (let i = 0; i < rows.length; i += 150) await em.insert(TelemetryReadingEntity, rows.slice(i, i + 150));
      for (let i = 0; i < buckets.length; i += 100)
        await em.upsert(TelemetryRollupEntity, buckets.slice(i, i + 100), ['deviceId', 'channel', 'metric', 'bucket']);
    });
  }

  raw(f: TelemetrySeriesFilter): Promise<TelemetryReadingEntity[]> {
    return this.readings.find({
      where: { deviceId: f.deviceId, at: Between(f.from, f.to), ...(f.metric ? { metric: f.metric } : {}), ...(f.channel ? { channel: f.channel } : {}) },
      order: { at: 'ASC', id: 'ASC' },
      take: f.limit,
    });
  }

  perMinute(f: TelemetrySeriesFilter): Promise<TelemetryRollupEntity[]> {
    const bucket = (d: Date) => d.toISOString();
    return this.rollups.find({
      where: {
        deviceId: f.deviceId,
        bucket: Between(bucket(new Date(Math.floor(f.from.getTime() / 60_000) * 60_000)), bucket(f.to)),
        ...(f.metric ? { metric: f.metric } : {}),
        ...(f.channel ? { channel: f.channel } : {}),
      },
      order: { bucket: 'ASC' },
      take: f.limit,
    });
  }

  /** Deletes raw rows older than `rawBefore` and rollups older than `rollupBefore`; returns counts. */
  async purge(rawBefore: Date, rollupBefore: Date): Promise<{ raw: number; rollups: number }> {
    const raw = await this.readings.delete({ at: LessThan(rawBefore) });
    const rollups = await this.rollups.delete({ bucket: LessThan(rollupBefore.toISOString()) });
    return { raw: raw.affected ?? 0, rollups: rollups.affected ?? 0 };
  }
}
