import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AclRule } from '#domain';
import type { DeviceKind } from '#contracts';
import { JsonColumn, TimestampColumn } from '../columns.js';

/**
 * A registered device: robot, cabinet, sensor, nurse station or integration principal.
 * Its id is its MQTT username; only a hash of its secret is kept.
 */
@Entity('devices')
@Index('ux_devices_robot_identity', ['interfaceName', 'manufacturer', 'serialNumber'], { unique: true })
export class DeviceEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: DeviceKind;

  @Column({ type: 'varchar', length: 128 })
  name!: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ward!: string | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  location!: string | null;

  /** VDA 5050 identity (robots only; null otherwise) */
  @Column({ type: 'varchar', length: 64, nullable: true, name: 'interface_name' })
  interfaceName!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  manufacturer!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true, name: 'serial_number' })
  serialNumber!: string | null;

  /** explicit topic rules (integration principals only) */
  @JsonColumn({ nullable: true, name: 'acl_rules' })
  aclRules!: AclRule[] | null;

  /** sha256 of the high-entropy secret (see DeviceCredentials) */
  @Column({ type: 'varchar', length: 128, name: 'secret_hash' })
  secretHash!: string;

  @TimestampColumn({ name: 'secret_rotated_at' })
  secretRotatedAt!: Date;

  /**
   * Bumped by every rotation and revocation, in the same conditional UPDATE: a session
   * authorised against an older generation is stale and the broker closes it, even when the
   * authorisation read the row just before the change committed.
   */
  @Column({ type: 'integer', name: 'credential_generation', default: 0 })
  credentialGeneration!: number;

  @TimestampColumn({ nullable: true, name: 'revoked_at' })
  revokedAt!: Date | null;

  @TimestampColumn({ nullable: true, name: 'last_seen_at' })
  lastSeenAt!: Date | null;

  @TimestampColumn({ name: 'created_at' })
  createdAt!: Date;
}
