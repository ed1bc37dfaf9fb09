import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type EntityManager, type Repository } from 'typeorm';
import { CabinetLedgerEntryEntity, CabinetPocketEntity, CabinetRecallEntity } from '../entities/cabinet.entity.js';
import { IdempotencyKeyEntity } from '../entities/store.entities.js';
import { runTransaction, runWrite } from '../transactions.js';

/** Data access for cabinet pockets, their append-only ledger, and lot recalls. */
@Injectable()
export class CabinetRepository {
  constructor(
    @InjectRepository(CabinetPocketEntity) private readonly pockets: Repository<CabinetPocketEntity>,
    @InjectRepository(CabinetLedgerEntryEntity) private readonly ledger: Repository<CabinetLedgerEntryEntity>,
    @InjectRepository(CabinetRecallEntity) private readonly recalls: Repository<CabinetRecallEntity>,
  ) {}

  allPockets(): Promise<CabinetPocketEntity[]> {
    return this.pockets.find({ order: { cabinetId: 'ASC', pocketId: 'ASC' } });
  }

  findPocket(cabinetId: string, pocketId: string): Promise<CabinetPocketEntity | null> {
    return this.pockets.findOneBy({ cabinetId, pocketId });
  }

  /** Creates or changes a pocket from its committed row (read and locked in the transaction), never from a cached copy. */
  async configurePocket(
    cabinetId: string,
    pocketId: string,
    build: (current: CabinetPocketEntity | null) => CabinetPocketEntity,
  ): Promise<CabinetPocketEntity> {
    return runTransaction(this.pockets.manager.connection, async (em) => {
      const next = build(await this.lockedPocket(em, cabinetId, pocketId));
      await em.save(CabinetPocketEntity, next);
      return next;
    });
  }

  private lockedPocket(em: EntityManager, cabinetId: string, pocketId: string): Promise<CabinetPocketEntity | null> {
    const qb = em.createQueryBuilder(CabinetPocketEntity, 'p').where('p.cabinetId = :cabinetId AND p.pocketId = :pocketId', { cabinetId, pocketId });
    if (em.connection.options.type === 'postgres') qb.setLock('pessimistic_write');
    return qb.getOne();
  }

  /**
   * Appends one ledger entry and stores the pocket's new projection in one transaction. The
   * entry is built from the pocket as committed, read inside the transaction (locked on
   * PostgreSQL), never from a copy in memory: after a COMMIT whose reply was lost, a cached
   * pocket would hand out the same sequence number again for ever. With an idempotency row,
   * it is inserted in the same transaction.
   */
  async appendEntry(
    cabinetId: string,
    pocketId: string,
    build: (current: CabinetPocketEntity) => { entry: CabinetLedgerEntryEntity; pocket: CabinetPocketEntity },
    idempotency?: (entry: CabinetLedgerEntryEntity) => IdempotencyKeyEntity,
  ): Promise<{ entry: CabinetLedgerEntryEntity; pocket: CabinetPocketEntity } | null> {
    return runTransaction(this.pockets.manager.connection, async (em) => {
      const current = await this.lockedPocket(em, cabinetId, pocketId);
      if (!current) return null;
      const next = build(current);
      await em.insert(CabinetLedgerEntryEntity, next.entry);
      await em.save(CabinetPocketEntity, next.pocket);
      if (idempotency) await em.insert(IdempotencyKeyEntity, idempotency(next.entry));
      return next;
    });
  }

  ledgerOf(cabinetId: string, filter: { pocketId?: string | undefined; limit?: number | undefined }): Promise<CabinetLedgerEntryEntity[]> {
    return this.ledger.find({
      where: { cabinetId, ...(filter.pocketId ? { pocketId: filter.pocketId } : {}) },
      order: { at: 'DESC', seq: 'DESC' },
      take: filter.limit ?? 500,
    });
  }

  ledgerEntries(ids: string[]): Promise<CabinetLedgerEntryEntity[]> {
    return ids.length ? this.ledger.findBy({ id: In(ids) }) : Promise.resolve([]);
  }

  allRecalls(): Promise<CabinetRecallEntity[]> {
    return this.recalls.find({ order: { createdAt: 'DESC' } });
  }

  findRecall(gtin: string, lot: string): Promise<CabinetRecallEntity | null> {
    return this.recalls.findOneBy({ gtin, lot });
  }

  insertRecall(r: CabinetRecallEntity): Promise<unknown> {
    return runWrite(this.recalls.manager.connection, () => this.recalls.insert(r));
  }
}
