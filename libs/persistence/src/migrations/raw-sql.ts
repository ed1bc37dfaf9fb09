import type { QueryRunner } from 'typeorm';

/** Raw SQL in migrations: what differs between the two databases. */
export function isPostgres(q: QueryRunner): boolean {
  return q.connection.options.type === 'postgres';
}

/** The table's name as raw SQL must give it: in the configured PostgreSQL schema, if any. */
export function table(q: QueryRunner, name: string): string {
  const schema = isPostgres(q) ? (q.connection.options as { schema?: string }).schema : undefined;
  return schema ? `"${schema}"."${name}"` : `"${name}"`;
}

/** A boolean literal as each database stores it (SQLite: 0/1). */
export function bool(q: QueryRunner, v: boolean): string {
  return isPostgres(q) ? String(v) : v ? '1' : '0';
}
