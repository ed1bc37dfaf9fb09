import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { DeviceEntity } from '../entities/device.entity.js';
import { runTransaction, runWrite } from '../transactions.js';

/** Data access for the device registry. */
@Injectable()
export class DevicesRepository {
  constructor(@InjectRepository(DeviceEntity) private readonly repo: Repository<DeviceEntity>) {}

  findById(id: string): Promise<DeviceEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** Several devices in few queries (the device directory's background refresh). */
  async findByIds(ids: readonly string[]): Promise<DeviceEntity[]> {
    const out: DeviceEntity[] = [];
    for (let i = 0; i < ids.length; i += 500) out.push(...(await this.repo.findBy({ id: In(ids.slice(i, i + 500)) })));
    return out;
  }

  findRobot(interfaceName: string, manufacturer: string, serialNumber: string): Promise<DeviceEntity | null> {
    return this.repo.findOneBy({ interfaceName, manufacturer, serialNumber });
  }

  list(filter: { kind?: string; ward?: string } = {}): Promise<DeviceEntity[]> {
    return this.repo.find({
      where: { ...(filter.kind ? { kind: filter.kind as DeviceEntity['kind'] } : {}), ...(filter.ward ? { ward: filter.ward } : {}) },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  insert(device: DeviceEntity): Promise<unknown> {
    return runWrite(this.repo.manager.connection, () => this.repo.insert(device));
  }

  async update(id: string, patch: Partial<Pick<DeviceEntity, 'secretHash' | 'secretRotatedAt' | 'revokedAt' | 'name' | 'ward' | 'location'>>): Promise<void> {
    await runWrite(this.repo.manager.connection, () => this.repo.update({ id }, patch));
  }

  /**
   * Changes a live device's credential (a new secret, or its revocation) and bumps its
   * credential generation in one conditional UPDATE: a revoked device is left alone, so two
   * concurrent revocations have one winner. Returns the new generation, or null when no live
   * device of that id was there to change.
   */
  async changeCredential(id: string, patch: Pick<DeviceEntity, 'secretHash' | 'secretRotatedAt'> | Pick<DeviceEntity, 'revokedAt'>): Promise<number | null> {
    return runTransaction(this.repo.manager.connection, async (m) => {
      const r = await m
        .createQueryBuilder()
        .update(DeviceEntity)
        .set({ ...patch, credentialGeneration: () => 'credential_generation + 1' })
        .where('id = :id AND revoked_at IS NULL', { id })
        .execute();
      if (!r.affected) return null;
      const row = await m.findOne(DeviceEntity, { where: { id }, select: { id: true, credentialGeneration: true } });
      return row?.credentialGeneration ?? null;
    });
  }

  /**
   * Persists last-seen times (called periodically, not per message): one UPDATE … CASE per 200
   * devices in plain SQL, since 10,000 devices through TypeORM's update builder cost the
   * server a noticeable share of its CPU every flush. Each chunk is its own transaction and
   * the event loop gets a turn between chunks: on SQLite a write holds the thread, and all
   * 10,000 at once held it for ~70 ms, a stall every message arriving meanwhile waited out.
   */
  async touchLastSeen(seen: ReadonlyMap<string, Date>): Promise<void> {
    if (seen.size === 0) return;
    const ds = this.repo.manager.connection;
    const pg = ds.options.type === 'postgres';
    const table = ds.getMetadata(DeviceEntity).tablePath;
    const entries = [...seen];
    for (let i = 0; i < entries.length; i += 200) {
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const chunk = entries.slice(i, i + 200);
      let n = 0;
      const p = () => (pg ? `$${++n}` : '?');
      const cases = chunk.map(() => `WHEN ${p()} THEN ${p()}`).join(' ');
      const ids = chunk.map(() => p()).join(', ');
      const params = [...chunk.flatMap(([id, at]) => [id, at.toISOString()]), ...chunk.map(([id]) => id)];
      await runTransaction(ds, (m) => m.query(`UPDATE ${table} SET last_seen_at = CASE id ${cases} END WHERE id IN (${ids})`, params));
    }
  }
}
