import { randomUUID } from 'node:crypto';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { MissionStatus } from '#domain';
import { JsonColumn, TimestampColumn } from '../columns.js';

export interface MissionStopRecord {
  nodeId: string;
  actions: {
    kind: string;
    actionType?: string;
    compartmentId?: string;
    parameters?: Record<string, string | number | boolean>;
    blocking?: 'NONE' | 'SOFT' | 'HARD';
  }[];
}

/** A robot transport mission (FHIR Task): stops with actions, priority, and where it stands. */
@Entity('missions')
@Index('ix_missions_status', ['status'])
@Index('ix_missions_robot', ['robotId'])
export class MissionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** `transport` for pharmacy deliveries, `charge` for the fleet's own trips to a charger */
  @Column({ type: 'varchar', length: 16 })
  kind!: 'transport' | 'charge';

  @Column({ type: 'varchar', length: 16 })
  priority!: 'stat' | 'urgent' | 'routine';

  @Column({ type: 'varchar', length: 16 })
  status!: MissionStatus;

  @Column({ type: 'boolean', default: false })
  paused!: boolean;

  @JsonColumn()
  stops!: MissionStopRecord[];

  @Column({ type: 'varchar', length: 64, nullable: true, name: 'required_robot_id' })
  requiredRobotId!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true, name: 'robot_id' })
  robotId!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true, name: 'order_id' })
  orderId!: string | null;

  @Column({ type: 'integer', default: 0, name: 'order_update_id' })
  orderUpdateId!: number;

  /** the last VDA 5050 order body sent (without header), kept so it can be resent as-is */
  @JsonColumn({ nullable: true, name: 'order_body' })
  orderBody!: Record<string, any> | null;

  /** index of the stop the robot is at or heading to */
  @Column({ type: 'integer', nullable: true, name: 'current_stop' })
  currentStop!: number | null;

  @Column({ type: 'varchar', length: 500, nullable: true, name: 'failure_reason' })
  failureReason!: string | null;

  /** what the mission carries (delivery and dose ids), for the custody logic */
  @JsonColumn({ nullable: true })
  cargo!: Record<string, any> | null;

  @Column({ type: 'varchar', length: 64, nullable: true, name: 'created_by' })
  createdBy!: string | null;

  @TimestampColumn({ name: 'created_at' })
  createdAt!: Date;

  @TimestampColumn({ name: 'updated_at' })
  updatedAt!: Date;
}

/** Append-only history of a mission: every status change and notable event. */
@Entity('mission_events')
@Index('ix_mission_events_mission', ['missionId', 'seq'])
export class MissionEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 36, name: 'mission_id' })
  missionId!: string;

  @Column({ type: 'integer' })
  seq!: number;

  @TimestampColumn()
  at!: Date;

  @Column({ type: 'varchar', length: 32 })
  event!: string;

  @Column({ type: 'varchar', length: 16, nullable: true })
  status!: MissionStatus | null;

  @JsonColumn()
  details!: Record<string, any>;
}

/** A new mission as it enters the queue: not yet assigned, no order sent. */
export function newQueuedMission(
  fields: Pick<MissionEntity, 'kind' | 'priority' | 'stops' | 'requiredRobotId' | 'cargo' | 'createdBy'>,
  now = new Date(),
): MissionEntity {
  return Object.assign(new MissionEntity(), {
    id: randomUUID(),
    ...fields,
    status: 'queued' as const,
    paused: false,
    robotId: null,
    orderId: null,
    orderUpdateId: 0,
    orderBody: null,
    currentStop: null,
    failureReason: null,
    createdAt: now,
    updatedAt: now,
  });
}
