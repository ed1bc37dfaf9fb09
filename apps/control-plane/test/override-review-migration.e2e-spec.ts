/**
 * The override-review migration on a real database (SQLite file, or a PostgreSQL schema when
 * TEST_DATABASE_URL is set): an override recorded before it is `legacy_unreviewed` — listed as
 * waiting and reviewable, but raising no alarm (every one of them is long overdue: one alarm
 * each at the first boot would flood the nurse stations) — while an override recorded after
 * the upgrade alarms when overdue; a slot without one stays out of both, and `down` removes the
 * columns again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MIGRATIONS, dataSourceOptions, ensurePostgresSchema, type DatabaseSettings } from '#persistence';
import { waitForAsync } from '#testing';
import { loadConfig } from '../src/config/config.js';
import { createTestDatabase, startTestApp, type TestApp } from './support/test-app.js';

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

  it('marks the overrides recorded before it as legacy (waiting for a review), and reverts', async () => {
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
      { id: 's-override', override_status: 'legacy_unreviewed', reviewed_by: null },
      { id: 's-plain', override_status: null, reviewed_by: null },
    ]);
    await after.undoLastMigration();
    await expect(after.query(`SELECT override_status FROM ${q('administration_slots')}`)).rejects.toThrow();
    await after.destroy();
  });

  it('a server upgraded onto historical overrides lists them and lets them be reviewed, but alarms only for an override recorded after it', async () => {
    const db = await createTestDatabase();
    const dbSettings = loadConfig({ ...db.env }).database as DatabaseSettings;
    const name = (t: string) => (dbSettings.type === 'postgres' ? `"${dbSettings.schema}"."${t}"` : `"${t}"`);
    const ph = (n: number) => Array.from({ length: n }, (_, i) => (dbSettings.type === 'postgres' ? `$${i + 1}` : '?')).join(', ');
    let t: TestApp | undefined;
    try {
      // the database as the release before override review left it: three overrides, days old
      if (dbSettings.type === 'postgres') await ensurePostgresSchema(dbSettings);
      const at = MIGRATIONS.findIndex((m) => m.name === 'OverrideReview1764300100000');
      const old = new DataSource({ ...dataSourceOptions(dbSettings), migrations: MIGRATIONS.slice(0, at) as never, migrationsRun: false, entities: [] });
      await old.initialize();
      await old.runMigrations();
      // slot ids are UUIDs (the review route validates them)
      const legacy = [randomUUID(), randomUUID(), randomUUID()];
      const fresh = randomUUID();
      for (const [i, id] of legacy.entries()) {
        await old.query(
          `INSERT INTO ${name('administration_slots')} (id, order_id, patient_id, scheduled_at, window_minutes, state, recorded_by, recorded_at, override) VALUES (${ph(9)})`,
          [
            id,
            `o-${i}`,
            `p-${i}`,
            '2026-11-20T10:00:00.000Z',
            60,
            'given',
            'nurse-old',
            `2026-11-20T10:0${i}:00.000Z`,
            JSON.stringify({ reason: 'wristband unreadable', rights: ['patient_id'] }),
          ],
        );
      }
      await old.destroy();

      // the upgrade: the server migrates at boot and checks for overdue reviews at once and on every tick
      t = await startTestApp({ OVERRIDE_REVIEW_AFTER_MS: '1000', CUSTODY_TICK_MS: '200' }, db);
      const pharmacist = await t.userToken('pharmacist');
      const alarms = async () =>
        ((await t!.api('GET', '/api/alarms?type=custody.override_unreviewed', { token: t!.adminToken })).body as { source: { id: string } }[]).map(
          (a) => a.source.id,
        );
      // an override recorded after the upgrade, as BedsideService records one, an hour old
      const ds = t.cp.app.get(DataSource);
      await ds.query(
        `INSERT INTO ${name('administration_slots')} (id, order_id, patient_id, scheduled_at, window_minutes, state, recorded_by, recorded_at, override, override_status) VALUES (${ph(10)})`,
        [
          fresh,
          'o-new',
          'p-new',
          new Date(Date.now() - 3_600_000).toISOString(),
          60,
          'given',
          'nurse-new',
          new Date(Date.now() - 3_600_000).toISOString(),
          JSON.stringify({ reason: 'scanner down', rights: ['time'] }),
          'unreviewed',
        ],
      );
      await waitForAsync(async () => (await alarms()).includes(fresh), 10_000, 'override_unreviewed alarm for the new override');
      // the boot check and many ticks have run: none of the historical overrides alarmed
      expect(await alarms()).toEqual([fresh]);
      expect((await t.api('GET', '/metrics')).text).toMatch(/medloop_overrides_review_overdue 1/);

      // all four wait for a review, and a legacy one is reviewed like any other
      const waiting = (await t.api('GET', '/api/administrations/overrides?reviewed=false&limit=10', { token: pharmacist.token })).body;
      expect(waiting.total).toBe(4);
      expect((waiting.items as { id: string }[]).map((i) => i.id).sort()).toEqual([...legacy, fresh].sort());
      const reviewed = await t.api('POST', `/api/administrations/${legacy[0]}/review`, {
        token: pharmacist.token,
        body: { outcome: 'appropriate', note: 'reviewed from the pre-upgrade backlog' },
      });
      expect(reviewed.status).toBe(200);
      expect(reviewed.body.review).toMatchObject({ by: pharmacist.username, outcome: 'appropriate' });
      const again = await t.api('POST', `/api/administrations/${legacy[0]}/review`, {
        token: pharmacist.token,
        body: { outcome: 'appropriate', note: 'reviewed from the pre-upgrade backlog' },
      });
      expect(again.body.error).toBe('override_already_reviewed');
      expect((await t.api('GET', '/api/administrations/overrides?reviewed=false', { token: pharmacist.token })).body.total).toBe(3);
      expect((await t.api('GET', '/api/administrations/overrides?reviewed=true', { token: pharmacist.token })).body.items).toMatchObject([{ id: legacy[0] }]);
      // and still no alarm for the others after more ticks
      await new Promise((r) => setTimeout(r, 600));
      expect(await alarms()).toEqual([fresh]);
    } finally {
      await t?.stop();
      await db.drop();
    }
  }, 60_000);
});
