import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { isPostgres, table } from './raw-sql.js';

/**
 * Raw telemetry moves from one row per value (`telemetry_readings`: device, channel, metric,
 * value, instant) to one row per message (`telemetry_samples`: device, instant, readings as a
 * JSON array of `[channel, metric, value]`). Existing rows are carried over, grouped by device
 * and instant in their original order; `down` splits them back into one row per value.
 */
export class TelemetrySamples1764210000000 implements MigrationInterface {
  name = 'TelemetrySamples1764210000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'telemetry_samples',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'device_id', type: 'varchar', length: '64' },
          { name: 'at', type: 'varchar', length: '24' },
          { name: 'readings', type: 'text' },
        ],
      }),
    );
    await q.createIndex('telemetry_samples', new TableIndex({ name: 'ix_telemetry_samples_device_at', columnNames: ['device_id', 'at'] }));
    await q.createIndex('telemetry_samples', new TableIndex({ name: 'ix_telemetry_samples_at', columnNames: ['at'] }));
    const readings = table(q, 'telemetry_readings');
    const triples = isPostgres(q)
      ? 'json_agg(json_build_array(channel, metric, value) ORDER BY id)::text'
      : // SQLite: json_group_array keeps the order rows are fed in, hence the ordered subquery
        'json_group_array(json_array(channel, metric, value))';
    const source = isPostgres(q) ? readings : `(SELECT * FROM ${readings} ORDER BY id)`;
    await q.query(
      `INSERT INTO ${table(q, 'telemetry_samples')} (device_id, at, readings) ` +
        `SELECT device_id, at, ${triples} FROM ${source} r GROUP BY device_id, at ORDER BY min(id)`,
    );
    await q.dropTable('telemetry_readings');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'telemetry_readings',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'device_id', type: 'varchar', length: '64' },
          { name: 'channel', type: 'varchar', length: '32' },
          { name: 'metric', type: 'varchar', length: '32' },
          { name: 'value', type: 'double precision' },
          { name: 'at', type: 'varchar', length: '24' },
        ],
      }),
    );
    await q.createIndex('telemetry_readings', new TableIndex({ name: 'ix_telemetry_readings_device_at', columnNames: ['device_id', 'at'] }));
    await q.createIndex('telemetry_readings', new TableIndex({ name: 'ix_telemetry_readings_at', columnNames: ['at'] }));
    const samples = table(q, 'telemetry_samples');
    const split = isPostgres(q)
      ? `SELECT s.device_id, e.value->>0, e.value->>1, (e.value->>2)::double precision, s.at FROM ${samples} s, ` +
        `json_array_elements(s.readings::json) WITH ORDINALITY AS e(value, n) ORDER BY s.id, e.n`
      : `SELECT s.device_id, e.value->>0, e.value->>1, e.value->>2, s.at FROM ${samples} s, json_each(s.readings) e ORDER BY s.id, e.key`;
    await q.query(`INSERT INTO ${table(q, 'telemetry_readings')} (device_id, channel, metric, value, at) ${split}`);
    await q.dropTable('telemetry_samples');
  }
}
