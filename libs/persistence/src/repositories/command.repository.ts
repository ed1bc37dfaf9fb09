import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { DeviceCommandEntity } from '../entities/command.entity.js';
import { runWrite } from '../transactions.js';

/** Data access for commands sent to cabinets and sensors. */
@Injectable()
export class CommandRepository {
  constructor(@InjectRepository(DeviceCommandEntity) private readonly repo: Repository<DeviceCommandEntity>) {}

  findById(id: string): Promise<DeviceCommandEntity | null> {
    return this.repo.findOneBy({ id });
  }

  findPending(): Promise<DeviceCommandEntity[]> {
    return this.repo.find({ where: { status: 'pending' }, order: { createdAt: 'ASC' } });
  }

  listForDevice(deviceId: string, limit = 100): Promise<DeviceCommandEntity[]> {
    return this.repo.find({ where: { deviceId }, order: { createdAt: 'DESC', id: 'ASC' }, take: limit });
  }

  insert(c: DeviceCommandEntity): Promise<unknown> {
    return runWrite(this.repo.manager.connection, () => this.repo.insert(c));
  }

  async update(id: string, patch: Partial<Pick<DeviceCommandEntity, 'status' | 'detail' | 'resolvedAt' | 'lateAck'>>): Promise<void> {
    await runWrite(this.repo.manager.connection, () => this.repo.update({ id }, patch));
  }
}
