import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * A device's credential generation (DeviceEntity.credentialGeneration): bumped by the same
 * UPDATE that rotates or revokes its secret, so the broker can tell a session authorised
 * against the old credential from one against the new, whatever order the two were seen in.
 */
export class DeviceCredentialGeneration1764400300000 implements MigrationInterface {
  name = 'DeviceCredentialGeneration1764400300000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('devices', new TableColumn({ name: 'credential_generation', type: 'integer', default: 0 }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('devices', 'credential_generation');
  }
}
