import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { table } from './raw-sql.js';

/**
 * Bedside five rights for real, and override review: an administration slot keeps what was
 * actually given (amount, unit, route, and any part wasted), and an override's review (who,
 * when, outcome, note). `override_status` (null, `unreviewed`, `legacy_unreviewed`, `reviewed`)
 * is indexed with the recording time so the review list and the overdue-review timer never scan
 * every slot.
 */
export class OverrideReview1764300100000 implements MigrationInterface {
  name = 'OverrideReview1764300100000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('administration_slots', [
      new TableColumn({ name: 'administered', type: 'text', isNullable: true }),
      new TableColumn({ name: 'override_status', type: 'varchar', length: '24', isNullable: true }),
      new TableColumn({ name: 'reviewed_by', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'reviewed_at', type: 'varchar', length: '24', isNullable: true }),
      new TableColumn({ name: 'review_outcome', type: 'varchar', length: '24', isNullable: true }),
      new TableColumn({ name: 'review_note', type: 'varchar', length: '1000', isNullable: true }),
    ]);
    // overrides recorded before this release wait for a review (listed and reviewable like a new
    // one) but are `legacy_unreviewed`: every one of them is older than OVERRIDE_REVIEW_AFTER_MS,
    // and alarming each at the first boot would bury the nurse stations' alarms. Pharmacy works
    // through the backlog from the list (`?reviewed=false`).
    await q.query(`UPDATE ${table(q, 'administration_slots')} SET override_status = 'legacy_unreviewed' WHERE override IS NOT NULL`);
    await q.createIndex('administration_slots', new TableIndex({ name: 'ix_slots_override', columnNames: ['override_status', 'recorded_at'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('administration_slots', 'ix_slots_override');
    for (const c of ['review_note', 'review_outcome', 'reviewed_at', 'reviewed_by', 'override_status', 'administered'])
      await q.dropColumn('administration_slots', c);
  }
}
