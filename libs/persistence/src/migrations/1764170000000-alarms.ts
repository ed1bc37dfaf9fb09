import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** The alarm service's table (robot, cabinet, sensor and custody alarms share it). */
export class Alarms1764170000000 implements MigrationInterface {
  name = 'Alarms1764170000000';

  async up(q: QueryRunner): Promise<void> {
    const ts = (name: string, nullable = false) => ({ name, type: 'varchar', length: '24', isNullable: nullable });
    await q.createTable(
      new Table({
        name: 'alarms',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'key', type: 'varchar', length: '200' },
          { name: 'type', type: 'varchar', length: '64' },
          { name: 'severity', type: 'varchar', length: '16' },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'ward', type: 'varchar', length: '64', isNullable: true },
          { name: 'source_kind', type: 'varchar', length: '32' },
          { name: 'source_id', type: 'varchar', length: '64' },
          { name: 'message', type: 'varchar', length: '500' },
          { name: 'details', type: 'text' },
          { name: 'occurrences', type: 'integer', default: 1 },
          ts('raised_at'),
          ts('last_raised_at'),
          ts('acknowledged_at', true),
          { name: 'acknowledged_by', type: 'varchar', length: '36', isNullable: true },
          ts('cleared_at', true),
          { name: 'cleared_reason', type: 'varchar', length: '200', isNullable: true },
          { name: 'escalation_level', type: 'integer', default: 0 },
          ts('escalated_at', true),
        ],
      }),
    );
    await q.createIndex('alarms', new TableIndex({ name: 'ix_alarms_key_state', columnNames: ['key', 'state'] }));
    await q.createIndex('alarms', new TableIndex({ name: 'ix_alarms_ward_state', columnNames: ['ward', 'state'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('alarms');
  }
}
