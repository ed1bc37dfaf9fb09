import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { RobotFactsheetEntity } from '../entities/robot-factsheet.entity.js';
import { runWrite } from '../transactions.js';

/** Data access for the robots' stored factsheets (one row per robot, the latest wins). */
@Injectable()
export class RobotFactsheetsRepository {
  constructor(@InjectRepository(RobotFactsheetEntity) private readonly repo: Repository<RobotFactsheetEntity>) {}

  findByDevice(deviceId: string): Promise<RobotFactsheetEntity | null> {
    return this.repo.findOneBy({ deviceId });
  }

  /** Every stored factsheet (read once at boot: a fleet has tens to hundreds of robots). */
  list(): Promise<RobotFactsheetEntity[]> {
    return this.repo.find({ order: { deviceId: 'ASC' } });
  }

  async save(row: RobotFactsheetEntity): Promise<void> {
    // the JSON column's open record type is beyond TypeORM's deep-partial typing; the row is whole
    const values = row as unknown as Parameters<Repository<RobotFactsheetEntity>['upsert']>[0];
    await runWrite(this.repo.manager.connection, () => this.repo.upsert(values, ['deviceId']));
  }
}
