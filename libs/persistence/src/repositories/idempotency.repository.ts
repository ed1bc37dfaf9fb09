/**
 * Idempotency keys of custody-changing requests. The row itself is inserted by the writing
 * transaction (CustodyTx / the pocket ledger); this repository reads it, completes it with the
 * response once that is known, and purges old keys.
 */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { IdempotencyKeyEntity } from '../entities/store.entities.js';
import { runWrite } from '../transactions.js';

@Injectable()
export class IdempotencyRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  find(principal: string, key: string): Promise<IdempotencyKeyEntity | null> {
    return this.ds.manager.findOneBy(IdempotencyKeyEntity, { principal, key });
  }

  /** Stores the first outcome (once: a completed key is never rewritten). */
  async complete(principal: string, key: string, status: number, response: IdempotencyKeyEntity['response']): Promise<void> {
    await runWrite(this.ds, () =>
      this.ds.manager.update(IdempotencyKeyEntity, { principal, key, status: IsNull() }, { status, response, completedAt: new Date() }),
    );
  }

  /** Deletes keys created before `before`; resolves with how many. */
  async purge(before: Date): Promise<number> {
    const r = await runWrite(this.ds, () =>
      this.ds.manager.createQueryBuilder().delete().from(IdempotencyKeyEntity).where('created_at < :before', { before: before.toISOString() }).execute(),
    );
    return r.affected ?? 0;
  }
}
