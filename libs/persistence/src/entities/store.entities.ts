/**
 * Rows that serve the store's own promises: the write probe `/health` uses to learn that the
 * database commits again, and the idempotency keys that let a client retry a custody write
 * whose answer it never got without writing it twice.
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { JsonColumn, TimestampColumn } from '../columns.js';

@Entity('store_probe')
export class StoreProbeEntity {
  @PrimaryColumn({ type: 'varchar', length: 16 }) id!: string;
  @TimestampColumn() at!: Date;
}

/**
 * One Idempotency-Key of one principal. The row is inserted in the same transaction as the
 * first custody write the request makes (so "the key exists" and "the write committed" are
 * one fact), and completed with the response once it is known.
 */
@Entity('idempotency_keys')
@Index('ix_idempotency_keys_created', ['createdAt'])
export class IdempotencyKeyEntity {
  /** who sent it (user id): keys of different users never meet */
  @PrimaryColumn({ type: 'varchar', length: 64 }) principal!: string;
  @PrimaryColumn({ type: 'varchar', length: 255, name: 'idem_key' }) key!: string;
  /** method, route and a SHA-256 of the body: the same key with another request is refused */
  @Column({ type: 'varchar', length: 64 }) fingerprint!: string;
  @Column({ type: 'varchar', length: 8 }) method!: string;
  @Column({ type: 'varchar', length: 512 }) path!: string;
  /** HTTP status of the first outcome; null while the response is not stored yet */
  @Column({ type: 'integer', nullable: true }) status!: number | null;
  @JsonColumn({ nullable: true }) response!: Record<string, any> | null;
  /** the custody events the first request committed: [{seq, action, doseId, deliveryId, orderId}] */
  @JsonColumn({ name: 'custody_events' }) custodyEvents!: Array<Record<string, any>>;
  @TimestampColumn({ name: 'created_at' }) createdAt!: Date;
  @TimestampColumn({ name: 'completed_at', nullable: true }) completedAt!: Date | null;
}
