import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The store probe (one row `/health` rewrites to learn the database commits again) and the
 * idempotency keys of custody-changing requests (kept with their first outcome).
 */
export class StoreTruth1764220000000 implements MigrationInterface {
  name = 'StoreTruth1764220000000';

  async up(q: QueryRunner): Promise<void> {
    const ts = (name: string, nullable = false) => ({ name, type: 'varchar', length: '24', isNullable: nullable });
    const v = (name: string, length: number, nullable = false) => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
    await q.createTable(new Table({ name: 'store_probe', columns: [{ ...v('id', 16), isPrimary: true }, ts('at')] }));
    await q.createTable(
      new Table({
        name: 'idempotency_keys',
        columns: [
          { ...v('principal', 64), isPrimary: true },
          { ...v('idem_key', 255), isPrimary: true },
          v('fingerprint', 64),
          v('method', 8),
          v('path', 512),
          { name: 'status', type: 'integer', isNullable: true },
          { name: 'response', type: 'text', isNullable: true },
          { name: 'custody_events', type: 'text' },
          ts('created_at'),
          ts('completed_at', true),
        ],
      }),
    );
    await q.createIndex('idempotency_keys', new TableIndex({ name: 'ix_idempotency_keys_created', columnNames: ['created_at'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('idempotency_keys');
    await q.dropTable('store_probe');
  }
}
