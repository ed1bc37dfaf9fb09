import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { ConflictError, type MissionStatus } from '#domain';
import { MissionEntity, MissionEventEntity } from '../entities/mission.entity.js';
import { runTransaction } from '../transactions.js';

@Injectable()
export class MissionsRepository {
  constructor(
    @InjectRepository(MissionEntity) private readonly repo: Repository<MissionEntity>,
    @InjectRepository(MissionEventEntity) private readonly events: Repository<MissionEventEntity>,
  ) {}

  findById(id: string): Promise<MissionEntity | null> {
    return this.repo.findOneBy({ id });
  }

  findByStatus(statuses: readonly MissionStatus[]): Promise<MissionEntity[]> {
    return this.repo.find({ where: { status: In([...statuses]) }, order: { createdAt: 'ASC' } });
  }

  list(filter: { status?: MissionStatus | undefined; robotId?: string | undefined; limit?: number | undefined }): Promise<MissionEntity[]> {
    return this.repo.find({
      where: { ...(filter.status ? { status: filter.status } : {}), ...(filter.robotId ? { robotId: filter.robotId } : {}) },
      order: { createdAt: 'DESC' },
      take: filter.limit ?? 200,
    });
  }

  /**
   * Saves the mission and appends one history event in the same transaction. Saves of the same
   * mission may run concurrently (the dispatcher's clock resends an order while the robot's
   * state is being saved): on PostgreSQL the mission row is locked before the next event number
   * is read, or both would read the same last number and one event would fail on the unique
   * (mission, seq) index and be lost (an unchanged mission is not UPDATEd, so save() alone does
   * not lock it). SQLite runs one write transaction at a time.
   *
   * With `expect.status` the save is conditional: it commits only if the stored mission still
   * has that status (the row is read under the same lock), else it throws ConflictError
   * `mission_changed` and writes nothing — a cancellation that landed while a dispatch round
   * was assigning the same mission wins, and the stale assignment is refused.
   */
  async save(m: MissionEntity, event: string, details: Record<string, any> = {}, expect?: { status: MissionStatus }): Promise<void> {
    await runTransaction(this.repo.manager.connection, async (em) => {
      const postgres = em.connection.options.type === 'postgres';
      if (postgres || expect) {
        const q = em.createQueryBuilder(MissionEntity, 'm').where('m.id = :id', { id: m.id });
        const stored = await (postgres ? q.setLock('pessimistic_write') : q).getOne();
        if (expect && stored && stored.status !== expect.status)
          throw new ConflictError(`mission ${m.id} is ${stored.status} now, not ${expect.status}`, 'mission_changed', { status: stored.status });
      }
      await em.save(MissionEntity, m);
      const last = await em.findOne(MissionEventEntity, { where: { missionId: m.id }, order: { seq: 'DESC' } });
      await em.insert(MissionEventEntity, { id: randomUUID(), missionId: m.id, seq: (last?.seq ?? 0) + 1, at: new Date(), event, status: m.status, details });
    });
  }

  history(missionId: string): Promise<MissionEventEntity[]> {
    return this.events.find({ where: { missionId }, order: { seq: 'ASC' } });
  }
}
