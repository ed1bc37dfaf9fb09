import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, MoreThan, type Repository } from 'typeorm';
import { AuthSessionEntity } from '../entities/auth-session.entity.js';
import { runWrite } from '../transactions.js';

/** Sign-in sessions. Every change is one conditional UPDATE, so two racing refreshes or revokes have one winner. */
@Injectable()
export class AuthSessionsRepository {
  constructor(@InjectRepository(AuthSessionEntity) private readonly repo: Repository<AuthSessionEntity>) {}

  findById(id: string): Promise<AuthSessionEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** The user's sessions not revoked and not past their end, newest first. */
  listLive(userId: string, now: Date): Promise<AuthSessionEntity[]> {
    return this.repo.find({ where: { userId, revokedAt: IsNull(), expiresAt: MoreThan(now) }, order: { createdAt: 'DESC' } });
  }

  insert(s: AuthSessionEntity): Promise<unknown> {
    return runWrite(this.repo.manager.connection, () => this.repo.insert(s));
  }

  /** Rotates the refresh secret if it is still `expected` and the session is live; false if another request got there first. */
  async rotate(id: string, expected: string, next: string, at: Date): Promise<boolean> {
    const r = await runWrite(this.repo.manager.connection, () =>
      this.repo.update({ id, refreshHash: expected, revokedAt: IsNull() }, { refreshHash: next, previousRefreshHash: expected, refreshedAt: at }),
    );
    return (r.affected ?? 0) === 1;
  }

  /** Ends sessions of a user (the listed ones, or all); returns the ids it ended. */
  async revoke(userId: string, ids: readonly string[] | null, reason: string, at: Date): Promise<string[]> {
    const live = (await this.repo.find({ where: { userId, revokedAt: IsNull() }, select: { id: true } })).map((s) => s.id);
    const targets = ids === null ? live : live.filter((id) => ids.includes(id));
    const ended: string[] = [];
    for (const id of targets) {
      const r = await runWrite(this.repo.manager.connection, () => this.repo.update({ id, revokedAt: IsNull() }, { revokedAt: at, revokedReason: reason }));
      if ((r.affected ?? 0) === 1) ended.push(id);
    }
    return ended;
  }

  /** Forgets sessions that ended (expired) before `before`: kept a while for the session lists and investigations. */
  async purgeEndedBefore(before: Date): Promise<number> {
    const r = await runWrite(this.repo.manager.connection, () => this.repo.delete({ expiresAt: LessThan(before) }));
    return r.affected ?? 0;
  }
}
