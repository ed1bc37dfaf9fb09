import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Dose locations: each medication may name how long its refrigerated units may spend out of
 * the cold (time out of refrigeration), and custody events are found by location (which doses
 * were in storage S between t1 and t2) through an index instead of a table scan.
 */
export class DoseLocations1764230000000 implements MigrationInterface {
  name = 'DoseLocations1764230000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('medications', new TableColumn({ name: 'tor_allowance_minutes', type: 'integer', isNullable: true }));
    await q.createIndex('custody_events', new TableIndex({ name: 'ix_custody_events_location', columnNames: ['location'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('custody_events', 'ix_custody_events_location');
    await q.dropColumn('medications', 'tor_allowance_minutes');
  }
}
