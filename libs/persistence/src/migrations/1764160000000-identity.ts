import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Users and the device registry. Written with the portable Table API (SQLite and PostgreSQL). */
export class Identity1764160000000 implements MigrationInterface {
  name = 'Identity1764160000000';

  async up(q: QueryRunner): Promise<void> {
    const ts = (name: string, nullable = false) => ({ name, type: 'varchar', length: '24', isNullable: nullable });
    await q.createTable(
      new Table({
        name: 'users',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'username', type: 'varchar', length: '64', isUnique: true },
          { name: 'display_name', type: 'varchar', length: '128' },
          { name: 'password_hash', type: 'varchar', length: '255' },
          { name: 'role', type: 'varchar', length: '32' },
          { name: 'wards', type: 'text' },
          { name: 'disabled', type: 'boolean', default: false },
          ts('created_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'devices',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'name', type: 'varchar', length: '128' },
          { name: 'ward', type: 'varchar', length: '64', isNullable: true },
          { name: 'location', type: 'varchar', length: '128', isNullable: true },
          { name: 'interface_name', type: 'varchar', length: '64', isNullable: true },
          { name: 'manufacturer', type: 'varchar', length: '64', isNullable: true },
          { name: 'serial_number', type: 'varchar', length: '64', isNullable: true },
          { name: 'acl_rules', type: 'text', isNullable: true },
          { name: 'secret_hash', type: 'varchar', length: '128' },
          ts('secret_rotated_at'),
          ts('revoked_at', true),
          ts('last_seen_at', true),
          ts('created_at'),
        ],
      }),
    );
    await q.createIndex(
      'devices',
      new TableIndex({ name: 'ux_devices_robot_identity', columnNames: ['interface_name', 'manufacturer', 'serial_number'], isUnique: true }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('devices');
    await q.dropTable('users');
  }
}
