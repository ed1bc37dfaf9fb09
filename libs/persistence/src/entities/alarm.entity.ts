import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AlarmSeverity, AlarmState } from '#domain';
import { JsonColumn, TimestampColumn } from '../columns.js';

/**
 * One alarm occurrence through its lifecycle. `key` identifies the condition (e.g.
 * `robot.stale:rbt-1`): while an alarm with that key is open, raising it again counts an
 * occurrence instead of creating a duplicate.
 */
@Entity('alarms')
@Index('ix_alarms_key_state', ['key', 'state'])
@Index('ix_alarms_ward_state', ['ward', 'state'])
export class AlarmEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  key!: string;

  @Column({ type: 'varchar', length: 64 })
  type!: string;

  @Column({ type: 'varchar', length: 16 })
  severity!: AlarmSeverity;

  @Column({ type: 'varchar', length: 16 })
  state!: AlarmState;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ward!: string | null;

  @Column({ type: 'varchar', length: 32, name: 'source_kind' })
  sourceKind!: string;

  @Column({ type: 'varchar', length: 64, name: 'source_id' })
  sourceId!: string;

  @Column({ type: 'varchar', length: 500 })
  message!: string;

  @JsonColumn()
  details!: Record<string, any>;

  @Column({ type: 'integer', default: 1 })
  occurrences!: number;

  @TimestampColumn({ name: 'raised_at' })
  raisedAt!: Date;

  @TimestampColumn({ name: 'last_raised_at' })
  lastRaisedAt!: Date;

  @TimestampColumn({ nullable: true, name: 'acknowledged_at' })
  acknowledgedAt!: Date | null;

  @Column({ type: 'varchar', length: 36, nullable: true, name: 'acknowledged_by' })
  acknowledgedBy!: string | null;

  @TimestampColumn({ nullable: true, name: 'cleared_at' })
  clearedAt!: Date | null;

  @Column({ type: 'varchar', length: 200, nullable: true, name: 'cleared_reason' })
  clearedReason!: string | null;

  @Column({ type: 'integer', default: 0, name: 'escalation_level' })
  escalationLevel!: number;

  @TimestampColumn({ nullable: true, name: 'escalated_at' })
  escalatedAt!: Date | null;
}
