import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Not, type FindOptionsWhere, type Repository } from 'typeorm';
import type { AlarmSeverity, AlarmState } from '#domain';
import { AlarmEntity } from '../entities/alarm.entity.js';
import { runWrite } from '../transactions.js';

export interface AlarmFilter {
  wards?: string[] | undefined;
  state?: AlarmState | 'open' | undefined;
  severity?: AlarmSeverity | undefined;
  type?: string | undefined;
  limit?: number | undefined;
}

@Injectable()
export class AlarmsRepository {
  constructor(@InjectRepository(AlarmEntity) private readonly repo: Repository<AlarmEntity>) {}

  findById(id: string): Promise<AlarmEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** Alarms not yet cleared (loaded once at start to rebuild the in-memory key index). */
  findOpen(): Promise<AlarmEntity[]> {
    return this.repo.find({ where: { state: Not('cleared') } });
  }

  list(f: AlarmFilter): Promise<AlarmEntity[]> {
    const where: FindOptionsWhere<AlarmEntity> = {
      ...(f.wards ? { ward: In(f.wards) } : {}),
      ...(f.state === 'open' ? { state: Not('cleared') } : f.state ? { state: f.state } : {}),
      ...(f.severity ? { severity: f.severity } : {}),
      ...(f.type ? { type: f.type } : {}),
    };
    return this.repo.find({ where, order: { lastRaisedAt: 'DESC', id: 'ASC' }, take: f.limit ?? 200 });
  }

  insert(a: AlarmEntity): Promise<unknown> {
    return runWrite(this.repo.manager.connection, () => this.repo.insert(a));
  }

  async update(id: string, patch: Partial<Omit<AlarmEntity, 'id' | 'key' | 'raisedAt'>>): Promise<void> {
    await runWrite(this.repo.manager.connection, () => this.repo.update({ id }, patch));
  }
}
