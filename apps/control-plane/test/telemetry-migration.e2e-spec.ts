/**
 * The telemetry-samples migration on a real database (SQLite file, or a PostgreSQL schema when
 * TEST_DATABASE_URL is set): rows of the old one-row-per-value table are carried over as one
 * sample per device and instant, values in their original order, and `down` gives the old
 * rows back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MIGRATIONS, dataSourceOptions, ensurePostgresSchema, type DatabaseSettings } from '#persistence';

const OLD_ROWS: [device: string, channel: string, metric: string, value: number, at: string][] = [
  ['fridge-1', 'air', 'temperatureC', 4.5, '2026-11-26T10:00:00.000Z'],
  ['fridge-1', 'air', 'doorOpen', 0, '2026-11-26T10:00:00.000Z'],
  ['fridge-1', 'device', 'batteryPct', 87, '2026-11-26T10:00:00.000Z'],
  ['room-2', 'air', 'humidityPct', 41.25, '2026-11-26T10:00:00.000Z'],
  ['fridge-1', 'air', 'temperatureC', 9.25, '2026-11-26T10:01:00.000Z'],
  ['fridge-1', 'air', 'doorOpen', 1, '2026-11-26T10:01:00.000Z'],
];

describe('telemetry samples migration', () => {
  let settings: DatabaseSettings;
  let cleanup: () => Promise<void>;
  const q = (name: string) => (settings.type === 'postgres' ? `"${settings.schema}"."${name}"` : `"${name}"`);
  const param = (i: number) => (settings.type === 'postgres' ? `$${i}` : '?');

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

  it('groups the old rows per device and instant, and splits them back on revert', async () => {
    // the migrations up to this one (later ones are not this test's business)
    const at = MIGRATIONS.findIndex((m) => m.name === 'TelemetrySamples1764210000000');
    expect(at).toBeGreaterThan(0);

    const before = await open(MIGRATIONS.slice(0, at));
    await before.runMigrations();
    for (const r of OLD_ROWS)
      await before.query(`INSERT INTO ${q('telemetry_readings')} (device_id, channel, metric, value, at) VALUES (${[1, 2, 3, 4, 5].map(param).join(', ')})`, r);
    await before.destroy();

    const after = await open(MIGRATIONS.slice(0, at + 1));
    await after.runMigrations();
    const samples: { device_id: string; at: string; readings: string }[] = await after.query(
      `SELECT device_id, at, readings FROM ${q('telemetry_samples')} ORDER BY id`,
    );
    expect(samples.map((s) => ({ ...s, readings: JSON.parse(s.readings) }))).toEqual([
      {
        device_id: 'fridge-1',
        at: '2026-11-26T10:00:00.000Z',
        readings: [
          ['air', 'temperatureC', 4.5],
          ['air', 'doorOpen', 0],
          ['device', 'batteryPct', 87],
        ],
      },
      { device_id: 'room-2', at: '2026-11-26T10:00:00.000Z', readings: [['air', 'humidityPct', 41.25]] },
      {
        device_id: 'fridge-1',
        at: '2026-11-26T10:01:00.000Z',
        readings: [
          ['air', 'temperatureC', 9.25],
          ['air', 'doorOpen', 1],
        ],
      },
    ]);
    await expect(after.query(`SELECT count(*) FROM ${q('telemetry_readings')}`)).rejects.toThrow();

    await after.undoLastMigration();
    const back: { device_id: string; channel: string; metric: string; value: number; at: string }[] = await after.query(
      `SELECT device_id, channel, metric, value, at FROM ${q('telemetry_readings')} ORDER BY id`,
    );
    expect(back.map((r) => [r.device_id, r.channel, r.metric, Number(r.value), r.at])).toEqual(OLD_ROWS);
    await after.destroy();
  });
});
