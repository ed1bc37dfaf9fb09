import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { PocketInventory } from '#domain';
import { JsonColumn, TimestampColumn } from '../columns.js';

/**
 * One configured pocket of a smart cabinet: what it holds (GTIN, name, controlled flag, par
 * level) and the projection of its ledger (`inventory`), updated in the same transaction as
 * each appended entry so the current state never needs a full replay.
 */
@Entity('cabinet_pockets')
@Index('ix_cabinet_pockets_gtin', ['gtin'])
export class CabinetPocketEntity {
  @PrimaryColumn({ type: 'varchar', length: 64, name: 'cabinet_id' })
  cabinetId!: string;

  @PrimaryColumn({ type: 'varchar', length: 32, name: 'pocket_id' })
  pocketId!: string;

  @Column({ type: 'varchar', length: 14 })
  gtin!: string;

  @Column({ type: 'varchar', length: 128, name: 'medication_name' })
  medicationName!: string;

  @Column({ type: 'boolean', default: false })
  controlled!: boolean;

  @Column({ type: 'integer', default: 0, name: 'par_level' })
  parLevel!: number;

  @JsonColumn()
  inventory!: PocketInventory;

  @TimestampColumn({ name: 'updated_at' })
  updatedAt!: Date;
}

/** Append-only inventory ledger of a pocket; `seq` is gap-free per pocket. */
@Entity('cabinet_ledger_entries')
@Index('ux_cabinet_ledger_pocket_seq', ['cabinetId', 'pocketId', 'seq'], { unique: true })
export class CabinetLedgerEntryEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 64, name: 'cabinet_id' })
  cabinetId!: string;

  @Column({ type: 'varchar', length: 32, name: 'pocket_id' })
  pocketId!: string;

  @Column({ type: 'integer' })
  seq!: number;

  @Column({ type: 'varchar', length: 32 })
  type!: string;

  @Column({ type: 'varchar', length: 64 })
  actor!: string;

  @TimestampColumn()
  at!: Date;

  /** the whole ledger entry as the domain applied it (lot, qty, witness, reason, orderId…) */
  @JsonColumn()
  entry!: Record<string, any>;
}

/** A lot recall: the lot is locked in every cabinet and refused by every pocket's ledger. */
@Entity('cabinet_recalls')
@Index('ux_cabinet_recalls_gtin_lot', ['gtin', 'lot'], { unique: true })
export class CabinetRecallEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 14 })
  gtin!: string;

  @Column({ type: 'varchar', length: 20 })
  lot!: string;

  @Column({ type: 'varchar', length: 200 })
  reason!: string;

  @Column({ type: 'varchar', length: 64, name: 'created_by' })
  createdBy!: string;

  @TimestampColumn({ name: 'created_at' })
  createdAt!: Date;
}
