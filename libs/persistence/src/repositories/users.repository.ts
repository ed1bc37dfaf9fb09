import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { UserEntity } from '../entities/user.entity.js';
import { runWrite } from '../transactions.js';

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

  async update(
    id: string,
    patch: Partial<Pick<UserEntity, 'displayName' | 'passwordHash' | 'role' | 'wards' | 'disabled' | 'badgeGsrn' | 'pinHash'>>,
  ): Promise<void> {
    await runWrite(this.repo.manager.connection, () => this.repo.update({ id }, patch));
  }
}
