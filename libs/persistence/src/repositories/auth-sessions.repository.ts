import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, type Repository } from 'typeorm';
import { AuthSessionEntity, RETIRED_REFRESH_KEPT } from '../entities/auth-session.entity.js';
import { UserEntity } from '../entities/user.entity.js';
import { runWrite } from '../transactions.js';

/** Sign-in sessions. Every change is one conditional UPDATE, so two racing refreshes or revokes have one winner. */
@Injectable()
export class AuthSessionsRepository {
  constructor(@InjectRepository(AuthSessionEntity) private readonly repo: Repository<AuthSessionEntity>) {}

  findById(id: string): Promise<AuthSessionEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /**
   * The session if it is live: the user's, not revoked, before its absolute end, refreshed
   * since `idleSince`, and opened under the user's current credential generation — all in one
   * read, so a password change committed between a sign-in's check and its session's insert
   * leaves that session unhonoured.
   */
  findLive(id: string, userId: string, now: Date, idleSince: Date): Promise<AuthSessionEntity | null> {
    return this.live(now, idleSince).andWhere('s.id = :id AND s.user_id = :userId', { id, userId }).getOne();
  }

  /** The user's live sessions (as findLive judges them), newest first. */
  listLive(userId: string, now: Date, idleSince: Date): Promise<AuthSessionEntity[]> {
    return this.live(now, idleSince).andWhere('s.user_id = :userId', { userId }).orderBy('s.created_at', 'DESC').getMany();
  }

  private live(now: Date, idleSince: Date) {
    return (
      this.repo
        .createQueryBuilder('s')
        // timestamps are stored as fixed-width ISO text (columns.ts): compared as text, in order
        .where('s.revoked_at IS NULL AND s.expires_at > :now AND s.refreshed_at > :idleSince', { now: now.toISOString(), idleSince: idleSince.toISOString() })
        .andWhere(`s.credential_generation = (SELECT u.credential_generation FROM ${this.usersTable()} u WHERE u.id = s.user_id)`)
    );
  }

  private usersTable(): string {
    return this.repo.manager.connection.getMetadata(UserEntity).tablePath;
  }

  insert(s: AuthSessionEntity): Promise<unknown> {
    return runWrite(this.repo.manager.connection, () => this.repo.insert(s));
  }

  /**
   * Rotates the refresh secret if it is still `s.refreshHash` and the session is live; false if
   * another request got there first. The replaced previous hash joins the retired ones.
   */
  async rotate(s: Pick<AuthSessionEntity, 'id' | 'refreshHash' | 'previousRefreshHash' | 'retiredRefreshHashes'>, next: string, at: Date): Promise<boolean> {
    const retired = s.previousRefreshHash ? [s.previousRefreshHash, ...s.retiredRefreshHashes].slice(0, RETIRED_REFRESH_KEPT) : s.retiredRefreshHashes;
    const r = await runWrite(this.repo.manager.connection, () =>
      this.repo.update(
        { id: s.id, refreshHash: s.refreshHash, revokedAt: IsNull() },
        { refreshHash: next, previousRefreshHash: s.refreshHash, retiredRefreshHashes: retired, refreshedAt: at },
      ),
    );
    return (r.affected ?? 0) === 1;
  }

  /**
   * Ends sessions of a user (the listed ones, or all; `belowGeneration`: only those opened under
   * an older credential generation, so a sign-in with the new password made meanwhile stays);
   * returns the ids it ended.
   */
  async revoke(userId: string, ids: readonly string[] | null, reason: string, at: Date, belowGeneration?: number): Promise<string[]> {
    const live = (
      await this.repo.find({
        where: { userId, revokedAt: IsNull(), ...(belowGeneration !== undefined ? { credentialGeneration: LessThan(belowGeneration) } : {}) },
        select: { id: true },
      })
    ).map((s) => s.id);
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
