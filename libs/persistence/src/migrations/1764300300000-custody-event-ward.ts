import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { bool, table } from './raw-sql.js';

/**
 * The audit query (`GET /api/audit/events`): each custody event names the ward it concerned
 * (in the hash from now on, see chain-verify `eventContent`; older events keep none), and
 * events are found by ward and by action through indexes instead of a table scan. Orders keep
 * who entered them, for the separation of duties at verification.
 */
export class CustodyEventWard1764300300000 implements MigrationInterface {
  name = 'CustodyEventWard1764300300000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('custody_events', new TableColumn({ name: 'ward', type: 'varchar', length: '64', isNullable: true }));
    await q.createIndex('custody_events', new TableIndex({ name: 'ix_custody_events_ward', columnNames: ['ward', 'seq'] }));
    await q.createIndex('custody_events', new TableIndex({ name: 'ix_custody_events_action', columnNames: ['action', 'seq'] }));
    await q.addColumn('medication_orders', new TableColumn({ name: 'entered_by', type: 'varchar', length: '64', isNullable: true }));
    // controlled drugs entered under the old default (robot-transportable unless said otherwise)
    // take the new one: a site that turns POLICY_CONTROLLED_ROBOT_TRANSPORT on allows each anew
    await q.query(`UPDATE ${table(q, 'medications')} SET robot_transport_allowed = ${bool(q, false)} WHERE controlled = ${bool(q, true)}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('medication_orders', 'entered_by');
    await q.dropIndex('custody_events', 'ix_custody_events_action');
    await q.dropIndex('custody_events', 'ix_custody_events_ward');
    await q.dropColumn('custody_events', 'ward');
  }
}
