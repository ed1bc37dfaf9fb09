import { Column, Entity, PrimaryColumn } from 'typeorm';
import { JsonColumn, TimestampColumn } from '../columns.js';

/**
 * A robot's last VDA 5050 factsheet (2.0.0 or 2.1.0), as received: what it declares it can do
 * (its actions, its compartments as load positions, its speed). Dispatch and loading read it,
 * so it must outlive a restart of the server: a 2.1 robot's is retained on the broker, but a
 * 2.0 robot sends it once, or only when asked. Kept apart from the device row, which the
 * device directory reads often and which a factsheet of several kB would only weigh down.
 */
@Entity('robot_factsheets')
export class RobotFactsheetEntity {
  /** the robot's device id */
  @PrimaryColumn({ type: 'varchar', length: 64, name: 'device_id' })
  deviceId!: string;

  /** the VDA 5050 version the factsheet declares */
  @Column({ type: 'varchar', length: 16 })
  version!: string;

  @JsonColumn()
  factsheet!: Record<string, unknown>;

  @TimestampColumn({ name: 'received_at' })
  receivedAt!: Date;
}
