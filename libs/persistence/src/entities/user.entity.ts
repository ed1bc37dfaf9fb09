import { Column, Entity, PrimaryColumn } from 'typeorm';
import { JsonColumn, TimestampColumn } from '../columns.js';

export const USER_ROLES = ['admin', 'pharmacist', 'nurse', 'ward_pharmacist'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** A person who signs in: pharmacists, nurses, ward-round pharmacists, administrators. */
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

  @TimestampColumn({ name: 'created_at' })
  createdAt!: Date;
}
