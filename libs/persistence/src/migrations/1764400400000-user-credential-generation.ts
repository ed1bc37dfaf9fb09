import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * A user's credential generation (UserEntity.credentialGeneration), bumped by the same UPDATE
 * that sets a new password or disables the account, and the generation each sign-in session
 * was opened under (AuthSessionEntity.credentialGeneration). A session is honoured only while
 * the two agree: a sign-in that proved the old password just before a reset opens its session
 * after the reset ended every other one, and that session is born stale instead of surviving.
 * And the hashes of a session's retired refresh secrets (the last few), so that any secret
 * really issued and replaced, presented again, ends the session as a reuse, while a secret
 * never issued is only refused.
 */
export class UserCredentialGeneration1764400400000 implements MigrationInterface {
  name = 'UserCredentialGeneration1764400400000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('users', new TableColumn({ name: 'credential_generation', type: 'integer', default: 0 }));
    await q.addColumn('auth_sessions', new TableColumn({ name: 'credential_generation', type: 'integer', default: 0 }));
    await q.addColumn('auth_sessions', new TableColumn({ name: 'retired_refresh_hashes', type: 'text', default: "'[]'" }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('auth_sessions', 'retired_refresh_hashes');
    await q.dropColumn('auth_sessions', 'credential_generation');
    await q.dropColumn('users', 'credential_generation');
  }
}
