import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { JsonColumn, TimestampColumn } from '../columns.js';

export const DEVICE_COMMAND_STATUSES = ['pending', 'done', 'refused', 'failed', 'timed_out'] as const;
export type DeviceCommandStatus = (typeof DEVICE_COMMAND_STATUSES)[number];

/**
 * A command the server sent to a cabinet or sensor, from publication to its ack (or its
 * time-out). `context` carries what the server will do once the device confirms (e.g. the
 * ledger entry of a removal), so an ack after a restart is still applied correctly.
 */
@Entity('device_commands')
@Index('ix_device_commands_device', ['deviceId', 'createdAt'])
@Index('ix_device_commands_status', ['status'])
export class DeviceCommandEntity {
  /** the commandId echoed by the device's ack */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 64, name: 'device_id' })
  deviceId!: string;

  @Column({ type: 'varchar', length: 16, name: 'device_kind' })
  deviceKind!: 'cabinet' | 'sensor';

  @Column({ type: 'varchar', length: 32 })
  type!: string;

  /** the published message (header included) */
  @JsonColumn()
  payload!: Record<string, any>;

  @JsonColumn({ nullable: true })
  context!: Record<string, any> | null;

  @Column({ type: 'varchar', length: 16 })
  status!: DeviceCommandStatus;

  @Column({ type: 'varchar', length: 500, nullable: true })
  detail!: string | null;

  @Column({ type: 'varchar', length: 64, name: 'requested_by' })
  requestedBy!: string;

  @TimestampColumn({ name: 'created_at' })
  createdAt!: Date;

  @TimestampColumn({ name: 'timeout_at' })
  timeoutAt!: Date;

  @TimestampColumn({ nullable: true, name: 'resolved_at' })
  resolvedAt!: Date | null;

  /** an ack that arrived after the time-out: recorded, never applied */
  @JsonColumn({ nullable: true, name: 'late_ack' })
  lateAck!: { result: string; detail: string | null; at: string } | null;
}
