import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AlarmSeverity, Comparator } from '#domain';
import { JsonColumn, TimestampColumn } from '../columns.js';

/**
 * An alarm rule as configured by REST: which devices it watches (kind, optional sensor type
 * and ward), the metric and condition, debounce, hysteresis and staleness. The alarm engine
 * evaluates these with the pure rule engine in libs/domain/alarm-rules.
 */
@Entity('alarm_rules')
export class SensorAlarmRuleEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'varchar', length: 16, name: 'device_kind' })
  deviceKind!: string;

  /** fridge | freezer | room (sensors only); null = every sensor type */
  @Column({ type: 'varchar', length: 16, nullable: true, name: 'sensor_type' })
  sensorType!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ward!: string | null;

  @Column({ type: 'varchar', length: 32 })
  metric!: string;

  @Column({ type: 'varchar', length: 8 })
  comparator!: Comparator;

  /** number or boolean, stored as JSON */
  @JsonColumn()
  threshold!: number | boolean;

  @Column({ type: 'double precision', name: 'duration_s' })
  durationS!: number;

  @Column({ type: 'double precision' })
  hysteresis!: number;

  @Column({ type: 'varchar', length: 16 })
  severity!: AlarmSeverity;

  @Column({ type: 'double precision', nullable: true, name: 'stale_after_s' })
  staleAfterS!: number | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  message!: string | null;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @TimestampColumn({ name: 'updated_at' })
  updatedAt!: Date;
}

/**
 * A cold-chain excursion of one storage unit (fridge, refrigerated cabinet drawer, robot
 * compartment): its exposure window and, once quarantined, the pharmacist's decision.
 */
@Entity('cold_chain_excursions')
@Index('ix_cold_chain_excursions_storage', ['storageId', 'start'])
export class SensorExcursionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 128, name: 'storage_id' })
  storageId!: string;

  @Column({ type: 'varchar', length: 24, name: 'storage_kind' })
  storageKind!: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ward!: string | null;

  /** excursion | recovering | quarantine | closed | released | destroyed */
  @Column({ type: 'varchar', length: 16 })
  status!: string;

  @TimestampColumn({ name: 'window_start' })
  start!: Date;

  @TimestampColumn({ nullable: true, name: 'window_end' })
  end!: Date | null;

  @Column({ type: 'double precision', name: 'min_c' })
  minC!: number;

  @Column({ type: 'double precision', name: 'max_c' })
  maxC!: number;

  @Column({ type: 'integer', nullable: true, name: 'doses_quarantined' })
  dosesQuarantined!: number | null;

  @Column({ type: 'varchar', length: 64, nullable: true, name: 'decided_by' })
  decidedBy!: string | null;

  @TimestampColumn({ nullable: true, name: 'decided_at' })
  decidedAt!: Date | null;
}
