import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { TimestampColumn } from '../columns.js';

/**
 * Raw sensor and cabinet telemetry, one row per (device, channel, metric, instant). Kept for
 * a bounded time (a periodic purge); booleans (door contacts) are stored as 0/1.
 */
@Entity('telemetry_readings')
@Index('ix_telemetry_readings_device_at', ['deviceId', 'at'])
@Index('ix_telemetry_readings_at', ['at'])
export class TelemetryReadingEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 64, name: 'device_id' })
  deviceId!: string;

  @Column({ type: 'varchar', length: 32 })
  channel!: string;

  @Column({ type: 'varchar', length: 32 })
  metric!: string;

  @Column({ type: 'double precision' })
  value!: number;

  /** the device's time of measurement */
  @TimestampColumn()
  at!: Date;
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
