import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { CabinetLedgerEntryEntity, CabinetPocketEntity, CabinetRecallEntity } from '../entities/cabinet.entity.js';
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

  savePocket(p: CabinetPocketEntity): Promise<unknown> {
    return runWrite(this.pockets.manager.connection, () => this.pockets.save(p));
  }

  /** Appends one ledger entry and stores the pocket's new projection in one transaction. */
  async append(entry: CabinetLedgerEntryEntity, pocket: CabinetPocketEntity): Promise<void> {
    await runTransaction(this.pockets.manager.connection, async (em) => {
      await em.insert(CabinetLedgerEntryEntity, entry);
      await em.save(CabinetPocketEntity, pocket);
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
