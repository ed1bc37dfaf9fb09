import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Raw sensor and cabinet telemetry, one row per message: the readings of one device at one
 * instant as a JSON array of `[channel, metric, value]` triples (booleans, e.g. door contacts,
 * as 0/1). One row per message rather than per value: each row costs the same three B-tree
 * inserts (table and two indexes) whatever it holds, and this table takes every message the
 * wards send. Kept for a bounded time (a periodic purge).
 */
@Entity('telemetry_samples')
@Index('ix_telemetry_samples_device_at', ['deviceId', 'at'])
@Index('ix_telemetry_samples_at', ['at'])
export class TelemetrySampleEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 64, name: 'device_id' })
  deviceId!: string;

  /** the device's time of measurement, ISO 8601 (24 chars) */
  @Column({ type: 'varchar', length: 24 })
  at!: string;

  /** JSON: `[[channel, metric, value], ...]` */
  @Column({ type: 'text' })
  readings!: string;
}

/** Per-minute min/avg/max of each series, kept much longer than the raw readings. */
@Entity('telemetry_rollups')
@Index('ix_telemetry_rollups_bucket', ['bucket'])
export class TelemetryRollupEntity {
  @PrimaryColumn({ type: 'varchar', length: 64, name: 'device_id' })
  deviceId!: string;

  @PrimaryColumn({ type: 'varchar', length: 32 })
  channel!: string;

  @PrimaryColumn({ type: 'varchar', length: 32 })
  metric!: string;

  /** start of the minute, ISO 8601 (24 chars) */
  @PrimaryColumn({ type: 'varchar', length: 24 })
  bucket!: string;

  @Column({ type: 'double precision' })
  min!: number;

  @Column({ type: 'double precision' })
  max!: number;

  @Column({ type: 'double precision' })
  sum!: number;

  @Column({ type: 'integer' })
  count!: number;
}
