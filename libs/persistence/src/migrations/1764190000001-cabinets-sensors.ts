import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Smart cabinets (pockets with their ledger projection, the append-only ledger, recalls),
 * device commands with their acks, sensor telemetry (raw with bounded retention, per-minute
 * rollups), alarm rules and cold-chain excursions. Portable Table API (SQLite and PostgreSQL).
 */
export class CabinetsSensors1764190000001 implements MigrationInterface {
  name = 'CabinetsSensors1764190000001';

  async up(q: QueryRunner): Promise<void> {
    const ts = (name: string, nullable = false) => ({ name, type: 'varchar', length: '24', isNullable: nullable });
    const str = (name: string, length: number, nullable = false) => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
    const dbl = (name: string, nullable = false) => ({ name, type: 'double precision', isNullable: nullable });

    await q.createTable(
      new Table({
        name: 'cabinet_pockets',
        columns: [
          { ...str('cabinet_id', 64), isPrimary: true },
          { ...str('pocket_id', 32), isPrimary: true },
          str('gtin', 14),
          str('medication_name', 128),
          { name: 'controlled', type: 'boolean', default: false },
          { name: 'par_level', type: 'integer', default: 0 },
          { name: 'inventory', type: 'text' },
          ts('updated_at'),
        ],
      }),
    );
    await q.createIndex('cabinet_pockets', new TableIndex({ name: 'ix_cabinet_pockets_gtin', columnNames: ['gtin'] }));

    await q.createTable(
      new Table({
        name: 'cabinet_ledger_entries',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('cabinet_id', 64),
          str('pocket_id', 32),
          { name: 'seq', type: 'integer' },
          str('type', 32),
          str('actor', 64),
          ts('at'),
          { name: 'entry', type: 'text' },
        ],
      }),
    );
    await q.createIndex(
      'cabinet_ledger_entries',
      new TableIndex({ name: 'ux_cabinet_ledger_pocket_seq', columnNames: ['cabinet_id', 'pocket_id', 'seq'], isUnique: true }),
    );

    await q.createTable(
      new Table({
        name: 'cabinet_recalls',
        columns: [{ ...str('id', 36), isPrimary: true }, str('gtin', 14), str('lot', 20), str('reason', 200), str('created_by', 64), ts('created_at')],
      }),
    );
    await q.createIndex('cabinet_recalls', new TableIndex({ name: 'ux_cabinet_recalls_gtin_lot', columnNames: ['gtin', 'lot'], isUnique: true }));

    await q.createTable(
      new Table({
        name: 'device_commands',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('device_id', 64),
          str('device_kind', 16),
          str('type', 32),
          { name: 'payload', type: 'text' },
          { name: 'context', type: 'text', isNullable: true },
          str('status', 16),
          str('detail', 500, true),
          str('requested_by', 64),
          ts('created_at'),
          ts('timeout_at'),
          ts('resolved_at', true),
          { name: 'late_ack', type: 'text', isNullable: true },
        ],
      }),
    );
    await q.createIndex('device_commands', new TableIndex({ name: 'ix_device_commands_device', columnNames: ['device_id', 'created_at'] }));
    await q.createIndex('device_commands', new TableIndex({ name: 'ix_device_commands_status', columnNames: ['status'] }));

    await q.createTable(
      new Table({
        name: 'telemetry_readings',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          str('device_id', 64),
          str('channel', 32),
          str('metric', 32),
          dbl('value'),
          ts('at'),
        ],
      }),
    );
    await q.createIndex('telemetry_readings', new TableIndex({ name: 'ix_telemetry_readings_device_at', columnNames: ['device_id', 'at'] }));
    await q.createIndex('telemetry_readings', new TableIndex({ name: 'ix_telemetry_readings_at', columnNames: ['at'] }));

    await q.createTable(
      new Table({
        name: 'telemetry_rollups',
        columns: [
          { ...str('device_id', 64), isPrimary: true },
          { ...str('channel', 32), isPrimary: true },
          { ...str('metric', 32), isPrimary: true },
          { ...str('bucket', 24), isPrimary: true },
          dbl('min'),
          dbl('max'),
          dbl('sum'),
          { name: 'count', type: 'integer' },
        ],
      }),
    );
    await q.createIndex('telemetry_rollups', new TableIndex({ name: 'ix_telemetry_rollups_bucket', columnNames: ['bucket'] }));

    await q.createTable(
      new Table({
        name: 'alarm_rules',
        columns: [
          { ...str('id', 64), isPrimary: true },
          str('device_kind', 16),
          str('sensor_type', 16, true),
          str('ward', 64, true),
          str('metric', 32),
          str('comparator', 8),
          { name: 'threshold', type: 'text' },
          dbl('duration_s'),
          dbl('hysteresis'),
          str('severity', 16),
          dbl('stale_after_s', true),
          str('message', 200, true),
          { name: 'enabled', type: 'boolean', default: true },
          ts('updated_at'),
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: 'cold_chain_excursions',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('storage_id', 128),
          str('storage_kind', 24),
          str('ward', 64, true),
          str('status', 16),
          ts('window_start'),
          ts('window_end', true),
          dbl('min_c'),
          dbl('max_c'),
          { name: 'doses_quarantined', type: 'integer', isNullable: true },
          str('decided_by', 64, true),
          ts('decided_at', true),
        ],
      }),
    );
    await q.createIndex('cold_chain_excursions', new TableIndex({ name: 'ix_cold_chain_excursions_storage', columnNames: ['storage_id', 'window_start'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'cold_chain_excursions',
      'alarm_rules',
      'telemetry_rollups',
      'telemetry_readings',
      'device_commands',
      'cabinet_recalls',
      'cabinet_ledger_entries',
      'cabinet_pockets',
    ])
      await q.dropTable(t);
  }
}
