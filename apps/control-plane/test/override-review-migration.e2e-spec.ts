/**
 * The override-review migration on a real database (SQLite file, or a PostgreSQL schema when
 * TEST_DATABASE_URL is set): an override recorded before it waits for a review like a new one
 * (so the review list and the overdue alarm find it), a slot without one stays out of both,
 * and `down` removes the columns again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MIGRATIONS, dataSourceOptions, ensurePostgresSchema, type DatabaseSettings } from '#persistence';

describe('override review migration', () => {
  let settings: DatabaseSettings;
  let cleanup: () => Promise<void>;
  const q = (name: string) => (settings.type === 'postgres' ? `"${settings.schema}"."${name}"` : `"${name}"`);
  const params = (n: number) => Array.from({ length: n }, (_, i) => (settings.type === 'postgres' ? `$${i + 1}` : '?')).join(', ');

  beforeAll(async () => {
    const pg = process.env['TEST_DATABASE_URL'];
    if (pg) {
      settings = { type: 'postgres', url: pg, schema: `t_${randomBytes(6).toString('hex')}` };
      await ensurePostgresSchema(settings);
      cleanup = async () => {
        const ds = new DataSource({ type: 'postgres', url: pg });
        await ds.initialize();
        await ds.query(`DROP SCHEMA IF EXISTS "${(settings as { schema: string }).schema}" CASCADE`);
        await ds.destroy();
      };
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'medloop-migration-'));
      settings = { type: 'sqlite', path: join(dir, 'medloop.db') };
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    }
  });
  afterAll(() => cleanup());

  const open = async (migrations: unknown[]) => {
    const ds = new DataSource({ ...dataSourceOptions(settings), migrations: migrations as never, migrationsRun: false, entities: [] });
    await ds.initialize();
    return ds;
  };

  it('marks the overrides recorded before it as waiting for a review, and reverts', async () => {
    const at = MIGRATIONS.findIndex((m) => m.name === 'OverrideReview1764300100000');
    expect(at).toBeGreaterThan(0);
    const before = await open(MIGRATIONS.slice(0, at));
    await before.runMigrations();
    const insert = `INSERT INTO ${q('administration_slots')} (id, order_id, patient_id, scheduled_at, window_minutes, state, recorded_by, recorded_at, override) VALUES (${params(9)})`;
    const slot = (id: string, override: string | null) => [
      id,
      'o-1',
      'p-1',
      '2026-11-26T10:00:00.000Z',
      60,
      'given',
      'nurse-1',
      '2026-11-26T10:05:00.000Z',
      override,
    ];
    await before.query(insert, slot('s-override', JSON.stringify({ reason: 'wristband unreadable', rights: ['time'] })));
    await before.query(insert, slot('s-plain', null));
    await before.destroy();

    const after = await open(MIGRATIONS.slice(0, at + 1));
    await after.runMigrations();
    const rows: { id: string; override_status: string | null; reviewed_by: string | null }[] = await after.query(
      `SELECT id, override_status, reviewed_by FROM ${q('administration_slots')} ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: 's-override', override_status: 'unreviewed', reviewed_by: null },
      { id: 's-plain', override_status: null, reviewed_by: null },
    ]);
    await after.undoLastMigration();
    await expect(after.query(`SELECT override_status FROM ${q('administration_slots')}`)).rejects.toThrow();
    await after.destroy();
  });
});
