import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { JsonColumn, TimestampColumn } from '../columns.js';

/** how many retired refresh-secret hashes a session keeps (one refresh per access token: ~4 h at the default 15 min) */
export const RETIRED_REFRESH_KEPT = 16;

/**
 * A signed-in session: what a sign-in creates and a logout, password change, disable or an
 * administrator's "sign out everywhere" ends. Its access tokens (short JWTs) name it (`sid`) and
 * are honoured only while it is live; its refresh token rotates at every use, and only a hash of
 * the current one (and of the one before it, to tell a lost reply from a stolen token) is kept.
 */
@Entity('auth_sessions')
@Index('ix_auth_sessions_user', ['userId', 'revokedAt'])
export class AuthSessionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 36, name: 'user_id' })
  userId!: string;

  /** sha256 of the current refresh token's secret (high-entropy: a fast hash is enough) */
  @Column({ type: 'varchar', length: 80, name: 'refresh_hash' })
  refreshHash!: string;

  /** sha256 of the refresh secret it replaced: presented again soon after, it is a retry, later a theft */
  @Column({ type: 'varchar', length: 80, nullable: true, name: 'previous_refresh_hash' })
  previousRefreshHash!: string | null;

  /** sha256 of the secrets retired before that one, newest first (at most RETIRED_REFRESH_KEPT): one presented again is a reuse */
  @JsonColumn({ name: 'retired_refresh_hashes' })
  retiredRefreshHashes!: string[];

  @TimestampColumn({ name: 'created_at' })
  createdAt!: Date;

  /** the latest a session lives, whatever its refreshes */
  @TimestampColumn({ name: 'expires_at' })
  expiresAt!: Date;

  @TimestampColumn({ name: 'refreshed_at' })
  refreshedAt!: Date;

  /** the user's credential generation when it was opened: a session of an older one is not honoured */
  @Column({ type: 'integer', name: 'credential_generation', default: 0 })
  credentialGeneration!: number;

  @TimestampColumn({ nullable: true, name: 'revoked_at' })
  revokedAt!: Date | null;

  @Column({ type: 'varchar', length: 32, nullable: true, name: 'revoked_reason' })
  revokedReason!: string | null;

  /** where it was signed in from, for the user's and the administrator's session list */
  @Column({ type: 'varchar', length: 64, nullable: true })
  address!: string | null;

  @Column({ type: 'varchar', length: 256, nullable: true, name: 'user_agent' })
  userAgent!: string | null;
}
