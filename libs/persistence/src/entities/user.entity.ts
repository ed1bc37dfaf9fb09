import { Column, Entity, PrimaryColumn } from 'typeorm';
import { JsonColumn, TimestampColumn } from '../columns.js';

/**
 * `safety_officer`: the hospital's medication-safety officer reads everything on every ward
 * (timelines, exports, alarms, audit events) and acts on nothing. The column is a plain varchar
 * (no CHECK constraint), so a new role needs no migration.
 */
export const USER_ROLES = ['admin', 'pharmacist', 'nurse', 'ward_pharmacist', 'safety_officer'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** A person who signs in: pharmacists, nurses, ward-round pharmacists, administrators, safety officers. */
@Entity('users')
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 64, unique: true })
  username!: string;

  @Column({ type: 'varchar', length: 128, name: 'display_name' })
  displayName!: string;

  @Column({ type: 'varchar', length: 255, name: 'password_hash' })
  passwordHash!: string;

  @Column({ type: 'varchar', length: 32 })
  role!: UserRole;

  /** ward ids a nurse is assigned to (empty for roles that are not ward-bound) */
  @JsonColumn()
  wards!: string[];

  @Column({ type: 'boolean', default: false })
  disabled!: boolean;

  /** GSRN (GS1 AI 8017, a caregiver) on the badge a nurse presents at a robot */
  @Column({ type: 'varchar', length: 18, nullable: true, unique: true, name: 'badge_gsrn' })
  badgeGsrn!: string | null;

  /** argon2 hash of the badge PIN */
  @Column({ type: 'varchar', length: 255, nullable: true, name: 'pin_hash' })
  pinHash!: string | null;

  /**
   * Bumped by the same UPDATE that sets a new password or disables the account; a sign-in
   * session carries the generation it was opened under and is honoured only while the two
   * agree (a sign-in that proved the old password just before a reset is born stale).
   */
  @Column({ type: 'integer', name: 'credential_generation', default: 0 })
  credentialGeneration!: number;

  @TimestampColumn({ name: 'created_at' })
  createdAt!: Date;
}
