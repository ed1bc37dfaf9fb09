import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Robots' factsheets (RobotFactsheetEntity), kept across restarts: dispatch offers a robot only
 * missions whose actions and compartments its factsheet declares, and a 2.0 robot that sent
 * its factsheet once must not become a plain carrier because the server restarted.
 */
export class RobotFactsheets1764400600000 implements MigrationInterface {
  name = 'RobotFactsheets1764400600000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'robot_factsheets',
        columns: [
          { name: 'device_id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'version', type: 'varchar', length: '16' },
          { name: 'factsheet', type: 'text' },
          { name: 'received_at', type: 'varchar', length: '24' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('robot_factsheets');
  }
}
