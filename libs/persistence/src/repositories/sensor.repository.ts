import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { SensorAlarmRuleEntity, SensorExcursionEntity } from '../entities/sensor.entity.js';
import { runWrite } from '../transactions.js';

/** Data access for alarm rules and cold-chain excursions. */
@Injectable()
export class SensorRepository {
  constructor(
    @InjectRepository(SensorAlarmRuleEntity) private readonly rules: Repository<SensorAlarmRuleEntity>,
    @InjectRepository(SensorExcursionEntity) private readonly excursions: Repository<SensorExcursionEntity>,
  ) {}

  allRules(): Promise<SensorAlarmRuleEntity[]> {
    return this.rules.find({ order: { id: 'ASC' } });
  }

  countRules(): Promise<number> {
    return this.rules.count();
  }

  saveRules(rules: SensorAlarmRuleEntity[]): Promise<unknown> {
    return runWrite(this.rules.manager.connection, () => this.rules.save(rules));
  }

  async deleteRule(id: string): Promise<boolean> {
    return ((await runWrite(this.rules.manager.connection, () => this.rules.delete({ id }))).affected ?? 0) > 0;
  }

  findExcursion(id: string): Promise<SensorExcursionEntity | null> {
    return this.excursions.findOneBy({ id });
  }

  listExcursions(filter: { statuses?: string[] | undefined; limit?: number | undefined }): Promise<SensorExcursionEntity[]> {
    return this.excursions.find({
      where: filter.statuses ? { status: In(filter.statuses) } : {},
      order: { start: 'DESC' },
      take: filter.limit ?? 200,
    });
  }

  saveExcursion(e: SensorExcursionEntity): Promise<unknown> {
    return runWrite(this.excursions.manager.connection, () => this.excursions.save(e));
  }
}
