import type { MigrationInterface, QueryRunner } from 'typeorm';
import { isPostgres, table } from './raw-sql.js';

/**
 * The append-only custody tables refuse UPDATE and DELETE in the database itself (issue #17,
 * defence in depth): the hash chain detects an edit afterwards, the database now refuses it in
 * the first place, so a change needs a deliberate act that leaves its own trace (dropping a
 * trigger is DDL, in the PostgreSQL log with `log_statement = 'ddl'`). `custody_events` is the
 * chain; `cabinet_ledger_entries` the pockets' ledger, only ever inserted into
 * (CabinetRepository.appendEntry). `custody_chain_head` is not guarded: each append rewrites it.
 *
 * SQLite: BEFORE UPDATE / BEFORE DELETE triggers that RAISE(ABORT). Anyone who can write the file
 * can drop them without a trace; there they stop the application and careless tools, and the
 * chain stays the detection.
 *
 * PostgreSQL: one trigger function in the configured schema (a test app's own schema, restored
 * and moved with it) fires BEFORE UPDATE OR DELETE for each row and BEFORE TRUNCATE (which fires
 * no row trigger). The triggers are ENABLE ALWAYS: `session_replication_role = replica`, which
 * silences ordinary triggers without any DDL, does not silence these. The production role layout:
 * the migration step runs as the tables' owner; the server runs as a login role that is a member
 * of the NOLOGIN role `medloop_app` and is not the owner, so it can neither drop the triggers nor
 * take back the privileges revoked here. `medloop_app` gets SELECT, INSERT on these tables only
 * (the deployment grants it the schema's USAGE and the other tables); UPDATE, DELETE and TRUNCATE
 * are revoked from it and from PUBLIC. The role is shared by every schema of the cluster and is
 * never dropped here.
 *
 * A later migration that rebuilds one of these tables on SQLite (TypeORM recreates the table for
 * most column changes, and the triggers go with the old table) must put the guard back with
 * `appendOnlyGuard`.
 */
export const APPEND_ONLY_TABLES = ['custody_events', 'cabinet_ledger_entries'] as const;

const APP_ROLE = 'medloop_app';
const PG_FUNCTION = 'medloop_append_only';

/** The statements that put the guard on every append-only table (triggers, and on PostgreSQL their function). */
export function appendOnlyGuard(q: QueryRunner): string[] {
  if (!isPostgres(q))
    return APPEND_ONLY_TABLES.flatMap((t) =>
      (['UPDATE', 'DELETE'] as const).map(
        (op) => `CREATE TRIGGER "${t}_no_${op.toLowerCase()}" BEFORE ${op} ON "${t}" BEGIN SELECT RAISE(ABORT, '${t} is append-only: ${op} refused'); END`,
      ),
    );
  // table() qualifies any object by the configured schema: the function lives beside its tables
  const fn = table(q, PG_FUNCTION);
  return [
    `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING HINT = 'a deliberate correction drops this trigger first, which the database log records';
END
$$`,
    ...APPEND_ONLY_TABLES.flatMap((t) => [
      `CREATE TRIGGER "${t}_no_update_delete" BEFORE UPDATE OR DELETE ON ${table(q, t)} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
      `CREATE TRIGGER "${t}_no_truncate" BEFORE TRUNCATE ON ${table(q, t)} FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`,
      `ALTER TABLE ${table(q, t)} ENABLE ALWAYS TRIGGER "${t}_no_update_delete"`,
      `ALTER TABLE ${table(q, t)} ENABLE ALWAYS TRIGGER "${t}_no_truncate"`,
    ]),
  ];
}

/** The statements that take the guard away again (the role and the privileges stay). */
export function appendOnlyGuardRemoval(q: QueryRunner): string[] {
  if (!isPostgres(q)) return APPEND_ONLY_TABLES.flatMap((t) => [`DROP TRIGGER IF EXISTS "${t}_no_update"`, `DROP TRIGGER IF EXISTS "${t}_no_delete"`]);
  return [
    ...APPEND_ONLY_TABLES.flatMap((t) => [
      `DROP TRIGGER IF EXISTS "${t}_no_update_delete" ON ${table(q, t)}`,
      `DROP TRIGGER IF EXISTS "${t}_no_truncate" ON ${table(q, t)}`,
    ]),
    `DROP FUNCTION IF EXISTS ${table(q, PG_FUNCTION)}()`,
  ];
}

/** PostgreSQL: the application's role, and what it and PUBLIC may do to the append-only tables. */
function appendOnlyPrivileges(q: QueryRunner): string[] {
  const tables = APPEND_ONLY_TABLES.map((t) => table(q, t)).join(', ');
  return [
    // another schema's migration may be creating the role at the same moment (duplicate_object,
    // or unique_violation on pg_authid once that one commits); a migration user without
    // CREATEROLE skips it, and the deployment creates the role itself
    `DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN
    BEGIN
      CREATE ROLE ${APP_ROLE} NOLOGIN;
    EXCEPTION
      WHEN duplicate_object OR unique_violation THEN NULL;
      WHEN insufficient_privilege THEN
        RAISE NOTICE 'role ${APP_ROLE} not created (no CREATEROLE privilege): create it, then grant it SELECT, INSERT on ${tables.replace(/'/g, "''")}';
    END;
  END IF;
END
$$`,
    `REVOKE UPDATE, DELETE, TRUNCATE ON ${tables} FROM PUBLIC`,
    `DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN
    GRANT SELECT, INSERT ON ${tables} TO ${APP_ROLE};
    REVOKE UPDATE, DELETE, TRUNCATE ON ${tables} FROM ${APP_ROLE};
  END IF;
END
$$`,
  ];
}

export class CustodyAppendOnly1764400500000 implements MigrationInterface {
  name = 'CustodyAppendOnly1764400500000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of appendOnlyGuard(q)) await q.query(sql);
    if (isPostgres(q)) for (const sql of appendOnlyPrivileges(q)) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    // only the triggers and their function go: the role may serve other schemas of the
    // cluster, and an older release never needed more than the privileges left on the tables
    for (const sql of appendOnlyGuardRemoval(q)) await q.query(sql);
  }
}
