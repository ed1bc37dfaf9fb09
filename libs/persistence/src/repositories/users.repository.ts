import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { UserEntity } from '../entities/user.entity.js';
import { runTransaction, runWrite } from '../transactions.js';

/** Data access for users; services never touch TypeORM directly. */
@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(UserEntity) private readonly repo: Repository<UserEntity>) {}

  findById(id: string): Promise<UserEntity | null> {
    return this.repo.findOneBy({ id });
  }

  findByUsername(username: string): Promise<UserEntity | null> {
    return this.repo.findOneBy({ username });
  }

  findByBadge(badgeGsrn: string): Promise<UserEntity | null> {
    return this.repo.findOneBy({ badgeGsrn });
  }

  list(): Promise<UserEntity[]> {
    return this.repo.find({ order: { username: 'ASC' } });
  }

  count(): Promise<number> {
    return this.repo.count();
  }

  insert(user: UserEntity): Promise<unknown> {
    return runWrite(this.repo.manager.connection, () => this.repo.insert(user));
  }

  /**
   * Updates a user. A new password or disabling the account bumps the credential generation
   * in the same UPDATE, so no sign-in session opened under the old one is honoured again
   * (AuthSessionsRepository.findLive), whatever order a racing sign-in and this change commit
   * in. `ifGeneration`: only while the generation is still that one (a user changing their own
   * password proved the credentials of that generation; an administrator's reset or a disable
   * that committed meanwhile wins). Returns the generation after the update (null: no such
   * user, or no longer that generation).
   */
  async update(
    id: string,
    patch: Partial<Pick<UserEntity, 'displayName' | 'passwordHash' | 'role' | 'wards' | 'disabled' | 'badgeGsrn' | 'pinHash'>>,
    opts: { ifGeneration?: number } = {},
  ): Promise<number | null> {
    const bump = patch.passwordHash !== undefined || patch.disabled === true;
    return runTransaction(this.repo.manager.connection, async (m) => {
      const q = m
        .createQueryBuilder()
        .update(UserEntity)
        .set(bump ? { ...patch, credentialGeneration: () => 'credential_generation + 1' } : patch)
        .where('id = :id', { id });
      if (opts.ifGeneration !== undefined) q.andWhere('credential_generation = :g', { g: opts.ifGeneration });
      const r = await q.execute();
      if (!r.affected) return null;
      const row = await m.findOne(UserEntity, { where: { id }, select: { id: true, credentialGeneration: true } });
      return row?.credentialGeneration ?? null;
    });
  }
}
