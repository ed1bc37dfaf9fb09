import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Robot transport missions and their append-only history. */
export class Missions1764180000000 implements MigrationInterface {
  name = 'Missions1764180000000';

  async up(q: QueryRunner): Promise<void> {
    const ts = (name: string) => ({ name, type: 'varchar', length: '24' });
    await q.createTable(
      new Table({
        name: 'missions',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'priority', type: 'varchar', length: '16' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'paused', type: 'boolean', default: false },
          { name: 'stops', type: 'text' },
          { name: 'required_robot_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'robot_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'order_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'order_update_id', type: 'integer', default: 0 },
          { name: 'order_body', type: 'text', isNullable: true },
          { name: 'current_stop', type: 'integer', isNullable: true },
          { name: 'failure_reason', type: 'varchar', length: '500', isNullable: true },
          { name: 'cargo', type: 'text', isNullable: true },
          { name: 'created_by', type: 'varchar', length: '64', isNullable: true },
          ts('created_at'),
          ts('updated_at'),
        ],
      }),
    );
    await q.createIndex('missions', new TableIndex({ name: 'ix_missions_status', columnNames: ['status'] }));
    await q.createIndex('missions', new TableIndex({ name: 'ix_missions_robot', columnNames: ['robot_id'] }));
    await q.createTable(
      new Table({
        name: 'mission_events',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'mission_id', type: 'varchar', length: '36' },
          { name: 'seq', type: 'integer' },
          ts('at'),
          { name: 'event', type: 'varchar', length: '32' },
          { name: 'status', type: 'varchar', length: '16', isNullable: true },
          { name: 'details', type: 'text' },
        ],
      }),
    );
    await q.createIndex('mission_events', new TableIndex({ name: 'ix_mission_events_mission', columnNames: ['mission_id', 'seq'], isUnique: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('mission_events');
    await q.dropTable('missions');
  }
}
