import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Revocable sign-in sessions (AuthSessionEntity): access tokens name a session that logout,
 * a password change, disabling the account or "sign out everywhere" end at once. Sessions
 * signed in before this release had no session: their tokens stop working at the upgrade and
 * the user signs in again.
 */
export class AuthSessions1764400200000 implements MigrationInterface {
  name = 'AuthSessions1764400200000';

  async up(q: QueryRunner): Promise<void> {
    const ts = (name: string, nullable = false) => ({ name, type: 'varchar', length: '24', isNullable: nullable });
    await q.createTable(
      new Table({
        name: 'auth_sessions',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'user_id', type: 'varchar', length: '36' },
          { name: 'refresh_hash', type: 'varchar', length: '80' },
          { name: 'previous_refresh_hash', type: 'varchar', length: '80', isNullable: true },
          ts('created_at'),
          ts('expires_at'),
          ts('refreshed_at'),
          ts('revoked_at', true),
          { name: 'revoked_reason', type: 'varchar', length: '32', isNullable: true },
          { name: 'address', type: 'varchar', length: '64', isNullable: true },
          { name: 'user_agent', type: 'varchar', length: '256', isNullable: true },
        ],
      }),
    );
    await q.createIndex('auth_sessions', new TableIndex({ name: 'ix_auth_sessions_user', columnNames: ['user_id', 'revoked_at'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('auth_sessions');
  }
}
