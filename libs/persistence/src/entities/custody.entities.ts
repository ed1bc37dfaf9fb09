/**
 * Closed-loop custody: patients, medications, orders, doses, deliveries, administration slots,
 * and the append-only, hash-chained custody event log.
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AdministrationState, DeliveryState, DoseState, OrderState } from '#domain';
import { JsonColumn, TimestampColumn } from '../columns.js';

@Entity('patients')
export class PatientEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 32, unique: true }) mrn!: string;
  /** GSRN (AI 8018) printed on the wristband */
  @Column({ type: 'varchar', length: 18, unique: true, name: 'wristband_gsrn' }) wristbandGsrn!: string;
  @Column({ type: 'varchar', length: 128 }) name!: string;
  @Column({ type: 'varchar', length: 64 }) ward!: string;
  @Column({ type: 'varchar', length: 32, nullable: true }) bed!: string | null;
  @TimestampColumn({ name: 'created_at' }) createdAt!: Date;
}

@Entity('medications')
export class MedicationEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 14, unique: true }) gtin!: string;
  @Column({ type: 'varchar', length: 128 }) name!: string;
  @Column({ type: 'varchar', length: 64 }) strength!: string;
  @Column({ type: 'varchar', length: 32 }) route!: string;
  @Column({ type: 'boolean', default: false, name: 'high_alert' }) highAlert!: boolean;
  @Column({ type: 'boolean', default: false }) controlled!: boolean;
  @Column({ type: 'boolean', default: false }) refrigerated!: boolean;
  @Column({ type: 'boolean', default: true, name: 'robot_transport_allowed' }) robotTransportAllowed!: boolean;
  /** minutes a refrigerated unit may spend out of the cold in total; null: the default allowance */
  @Column({ type: 'integer', nullable: true, name: 'tor_allowance_minutes' }) torAllowanceMinutes!: number | null;
  @TimestampColumn({ name: 'created_at' }) createdAt!: Date;
}

@Entity('medication_orders')
@Index('ix_orders_patient', ['patientId'])
export class MedicationOrderEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 36, name: 'patient_id' }) patientId!: string;
  @Column({ type: 'varchar', length: 36, name: 'medication_id' }) medicationId!: string;
  @JsonColumn() dose!: { amount: number; unit: string };
  @Column({ type: 'varchar', length: 32 }) route!: string;
  /** administration times (ISO instants) and the window around each, in minutes */
  @JsonColumn() schedule!: { times: string[]; windowMinutes: number };
  @Column({ type: 'varchar', length: 16 }) priority!: 'stat' | 'urgent' | 'routine';
  @Column({ type: 'varchar', length: 24 }) status!: OrderState;
  @Column({ type: 'varchar', length: 64, nullable: true, name: 'prescriber' }) prescriber!: string | null;
  /** the user who entered the order (null for orders entered before this was kept: the order_received event names them) */
  @Column({ type: 'varchar', length: 64, nullable: true, name: 'entered_by' }) enteredBy!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true, name: 'verified_by' }) verifiedBy!: string | null;
  @TimestampColumn({ nullable: true, name: 'verified_at' }) verifiedAt!: Date | null;
  @Column({ type: 'varchar', length: 500, nullable: true, name: 'status_reason' }) statusReason!: string | null;
  @TimestampColumn({ name: 'created_at' }) createdAt!: Date;
  @TimestampColumn({ name: 'updated_at' }) updatedAt!: Date;
}

@Entity('doses')
@Index('ix_doses_order', ['orderId'])
@Index('ix_doses_delivery', ['deliveryId'])
export class DoseEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 36, name: 'order_id' }) orderId!: string;
  @Column({ type: 'varchar', length: 36, name: 'patient_id' }) patientId!: string;
  @Column({ type: 'varchar', length: 36, name: 'medication_id' }) medicationId!: string;
  @Column({ type: 'varchar', length: 36, nullable: true, name: 'slot_id' }) slotId!: string | null;
  @Column({ type: 'varchar', length: 24 }) state!: DoseState;
  /** where a hold started (the dose machine needs it to resume) */
  @Column({ type: 'varchar', length: 24, nullable: true, name: 'held_from' }) heldFrom!: string | null;
  @Column({ type: 'varchar', length: 14, nullable: true }) gtin!: string | null;
  @Column({ type: 'varchar', length: 20, nullable: true }) lot!: string | null;
  @Column({ type: 'varchar', length: 10, nullable: true }) expiry!: string | null;
  @Column({ type: 'varchar', length: 20, nullable: true }) serial!: string | null;
  @Column({ type: 'varchar', length: 36, nullable: true, name: 'delivery_id' }) deliveryId!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true, name: 'compartment_id' }) compartmentId!: string | null;
  @Column({ type: 'varchar', length: 128, nullable: true }) location!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true, name: 'custodian' }) custodian!: string | null;
  @TimestampColumn({ name: 'created_at' }) createdAt!: Date;
  @TimestampColumn({ name: 'updated_at' }) updatedAt!: Date;
}

@Entity('deliveries')
export class DeliveryEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 64 }) ward!: string;
  @Column({ type: 'varchar', length: 128, name: 'station_node_id' }) stationNodeId!: string;
  @Column({ type: 'varchar', length: 24 }) state!: DeliveryState;
  @Column({ type: 'varchar', length: 64, nullable: true, name: 'robot_id' }) robotId!: string | null;
  @Column({ type: 'varchar', length: 36, nullable: true, name: 'mission_id' }) missionId!: string | null;
  /** compartment id → dose ids sealed in it */
  @JsonColumn() compartments!: Record<string, string[]>;
  /** compartments a nurse was authorised to open, with who and when */
  @JsonColumn() unlocks!: { compartmentId: string; by: string; at: string }[];
  @Column({ type: 'varchar', length: 64, nullable: true, name: 'created_by' }) createdBy!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) courier!: string | null;
  @TimestampColumn({ nullable: true, name: 'dispatched_at' }) dispatchedAt!: Date | null;
  @TimestampColumn({ nullable: true, name: 'arrived_at' }) arrivedAt!: Date | null;
  @TimestampColumn({ name: 'created_at' }) createdAt!: Date;
  @TimestampColumn({ name: 'updated_at' }) updatedAt!: Date;
}

@Entity('administration_slots')
@Index('ix_slots_patient', ['patientId'])
@Index('ix_slots_override', ['overrideStatus', 'recordedAt'])
export class AdministrationSlotEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 36, name: 'order_id' }) orderId!: string;
  @Column({ type: 'varchar', length: 36, name: 'patient_id' }) patientId!: string;
  @TimestampColumn({ name: 'scheduled_at' }) scheduledAt!: Date;
  @Column({ type: 'integer', name: 'window_minutes' }) windowMinutes!: number;
  @Column({ type: 'varchar', length: 24 }) state!: AdministrationState;
  @Column({ type: 'varchar', length: 36, nullable: true, name: 'dose_id' }) doseId!: string | null;
  @Column({ type: 'varchar', length: 500, nullable: true }) reason!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true, name: 'recorded_by' }) recordedBy!: string | null;
  @TimestampColumn({ nullable: true, name: 'recorded_at' }) recordedAt!: Date | null;
  /** overrides are flagged for ward-pharmacist review */
  @JsonColumn({ nullable: true }) override!: { reason: string; rights: string[] } | null;
  /** what the nurse recorded as actually given (and wasted) for a given dose; null before that release and for held/refused */
  @JsonColumn({ nullable: true }) administered!: AdministeredRecord | null;
  /**
   * null without an override; `unreviewed` until a pharmacist reviews it, then `reviewed`.
   * `legacy_unreviewed`: recorded before override review existed (set by its migration) —
   * listed and reviewable as unreviewed, but never alarmed one by one (OverrideReviewService)
   */
  @Column({ type: 'varchar', length: 24, nullable: true, name: 'override_status' }) overrideStatus!: 'unreviewed' | 'legacy_unreviewed' | 'reviewed' | null;
  @Column({ type: 'varchar', length: 64, nullable: true, name: 'reviewed_by' }) reviewedBy!: string | null;
  @TimestampColumn({ nullable: true, name: 'reviewed_at' }) reviewedAt!: Date | null;
  @Column({ type: 'varchar', length: 24, nullable: true, name: 'review_outcome' }) reviewOutcome!: string | null;
  @Column({ type: 'varchar', length: 1000, nullable: true, name: 'review_note' }) reviewNote!: string | null;
}

/** The amount and route given at the bedside, and any part of the unit wasted (with its witness). */
export interface AdministeredRecord {
  given: { amount: number; unit: string; route: string };
  wasted: { amount: number; unit: string; witness: string | null } | null;
}

/**
 * One custody transition. Append-only: the repository has no update or delete for it, and
 * the hash chain makes any change made behind its back detectable.
 */
@Entity('custody_events')
@Index('ix_custody_events_dose', ['doseId'])
@Index('ix_custody_events_location', ['location'])
@Index('ix_custody_events_ward', ['ward', 'seq'])
@Index('ix_custody_events_action', ['action', 'seq'])
export class CustodyEventEntity {
  @PrimaryColumn({ type: 'integer' }) seq!: number;
  @Column({ type: 'varchar', length: 36, unique: true }) id!: string;
  @TimestampColumn() at!: Date;
  @Column({ type: 'varchar', length: 36, nullable: true, name: 'dose_id' }) doseId!: string | null;
  @Column({ type: 'varchar', length: 36, nullable: true, name: 'delivery_id' }) deliveryId!: string | null;
  @Column({ type: 'varchar', length: 36, nullable: true, name: 'order_id' }) orderId!: string | null;
  @Column({ type: 'varchar', length: 48 }) action!: string;
  @Column({ type: 'varchar', length: 24, nullable: true, name: 'from_state' }) fromState!: string | null;
  @Column({ type: 'varchar', length: 24, nullable: true, name: 'to_state' }) toState!: string | null;
  @JsonColumn() actor!: { type: 'user' | 'device' | 'system'; id: string; role?: string };
  @Column({ type: 'varchar', length: 128, nullable: true }) location!: string | null;
  /** the ward the event concerned (the delivery's, the patient's); null for pharmacy-only and older events */
  @Column({ type: 'varchar', length: 64, nullable: true }) ward!: string | null;
  @JsonColumn() evidence!: Record<string, any>;
  @Column({ type: 'varchar', length: 64, name: 'prev_hash' }) prevHash!: string;
  @Column({ type: 'varchar', length: 64 }) hash!: string;
}

/** The chain's head, rewritten on each append, so a truncated log does not pass verification. */
@Entity('custody_chain_head')
export class CustodyChainHeadEntity {
  @PrimaryColumn({ type: 'varchar', length: 16 }) id!: string;
  @Column({ type: 'integer' }) seq!: number;
  @Column({ type: 'varchar', length: 64 }) hash!: string;
}
