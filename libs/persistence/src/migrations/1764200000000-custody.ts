import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Closed-loop custody tables, and the badge + PIN a nurse unlocks a robot compartment with. */
export class Custody1764200000000 implements MigrationInterface {
  name = 'Custody1764200000000';

  async up(q: QueryRunner): Promise<void> {
    const ts = (name: string, nullable = false) => ({ name, type: 'varchar', length: '24', isNullable: nullable });
    const v = (name: string, length: number, nullable = false) => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
    await q.addColumns('users', [new TableColumn({ ...v('badge_gsrn', 18, true), isUnique: true }), new TableColumn(v('pin_hash', 255, true))]);
    await q.createTable(
      new Table({
        name: 'patients',
        columns: [
          { ...v('id', 36), isPrimary: true },
          { ...v('mrn', 32), isUnique: true },
          { ...v('wristband_gsrn', 18), isUnique: true },
          v('name', 128),
          v('ward', 64),
          v('bed', 32, true),
          ts('created_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'medications',
        columns: [
          { ...v('id', 36), isPrimary: true },
          { ...v('gtin', 14), isUnique: true },
          v('name', 128),
          v('strength', 64),
          v('route', 32),
          { name: 'high_alert', type: 'boolean', default: false },
          { name: 'controlled', type: 'boolean', default: false },
          { name: 'refrigerated', type: 'boolean', default: false },
          { name: 'robot_transport_allowed', type: 'boolean', default: true },
          ts('created_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'medication_orders',
        columns: [
          { ...v('id', 36), isPrimary: true },
          v('patient_id', 36),
          v('medication_id', 36),
          { name: 'dose', type: 'text' },
          v('route', 32),
          { name: 'schedule', type: 'text' },
          v('priority', 16),
          v('status', 24),
          v('prescriber', 64, true),
          v('verified_by', 64, true),
          ts('verified_at', true),
          v('status_reason', 500, true),
          ts('created_at'),
          ts('updated_at'),
        ],
      }),
    );
    await q.createIndex('medication_orders', new TableIndex({ name: 'ix_orders_patient', columnNames: ['patient_id'] }));
    await q.createTable(
      new Table({
        name: 'doses',
        columns: [
          { ...v('id', 36), isPrimary: true },
          v('order_id', 36),
          v('patient_id', 36),
          v('medication_id', 36),
          v('slot_id', 36, true),
          v('state', 24),
          v('held_from', 24, true),
          v('gtin', 14, true),
          v('lot', 20, true),
          v('expiry', 10, true),
          v('serial', 20, true),
          v('delivery_id', 36, true),
          v('compartment_id', 64, true),
          v('location', 128, true),
          v('custodian', 64, true),
          ts('created_at'),
          ts('updated_at'),
        ],
      }),
    );
    await q.createIndex('doses', new TableIndex({ name: 'ix_doses_order', columnNames: ['order_id'] }));
    await q.createIndex('doses', new TableIndex({ name: 'ix_doses_delivery', columnNames: ['delivery_id'] }));
    await q.createTable(
      new Table({
        name: 'deliveries',
        columns: [
          { ...v('id', 36), isPrimary: true },
          v('ward', 64),
          v('station_node_id', 128),
          v('state', 24),
          v('robot_id', 64, true),
          v('mission_id', 36, true),
          { name: 'compartments', type: 'text' },
          { name: 'unlocks', type: 'text' },
          v('created_by', 64, true),
          v('courier', 64, true),
          ts('dispatched_at', true),
          ts('arrived_at', true),
          ts('created_at'),
          ts('updated_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'administration_slots',
        columns: [
          { ...v('id', 36), isPrimary: true },
          v('order_id', 36),
          v('patient_id', 36),
          ts('scheduled_at'),
          { name: 'window_minutes', type: 'integer' },
          v('state', 24),
          v('dose_id', 36, true),
          v('reason', 500, true),
          v('recorded_by', 64, true),
          ts('recorded_at', true),
          { name: 'override', type: 'text', isNullable: true },
        ],
      }),
    );
    await q.createIndex('administration_slots', new TableIndex({ name: 'ix_slots_patient', columnNames: ['patient_id'] }));
    await q.createTable(
      new Table({
        name: 'custody_events',
        columns: [
          { name: 'seq', type: 'integer', isPrimary: true },
          { ...v('id', 36), isUnique: true },
          ts('at'),
          v('dose_id', 36, true),
          v('delivery_id', 36, true),
          v('order_id', 36, true),
          v('action', 48),
          v('from_state', 24, true),
          v('to_state', 24, true),
          { name: 'actor', type: 'text' },
          v('location', 128, true),
          { name: 'evidence', type: 'text' },
          v('prev_hash', 64),
          v('hash', 64),
        ],
      }),
    );
    await q.createIndex('custody_events', new TableIndex({ name: 'ix_custody_events_dose', columnNames: ['dose_id'] }));
    await q.createTable(
      new Table({ name: 'custody_chain_head', columns: [{ ...v('id', 16), isPrimary: true }, { name: 'seq', type: 'integer' }, v('hash', 64)] }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['custody_chain_head', 'custody_events', 'administration_slots', 'deliveries', 'doses', 'medication_orders', 'medications', 'patients'])
      await q.dropTable(t);
    await q.dropColumn('users', 'pin_hash');
    await q.dropColumn('users', 'badge_gsrn');
  }
}
