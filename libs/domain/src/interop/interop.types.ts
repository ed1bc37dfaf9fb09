/**
 * Inputs of the standards exports (FHIR R4, GS1 EPCIS 2.0). Plain shapes mirroring the stored
 * custody rows, so the domain stays free of the persistence layer: an entity satisfies them
 * as-is. Timestamps are a Date or an ISO 8601 string.
 */
import type { AdministrationState } from '../custody/administration.machine.js';
import type { DeliveryState } from '../custody/delivery.machine.js';
import type { DoseState } from '../custody/dose.machine.js';
import type { OrderState } from '../custody/order.machine.js';
import type { MissionStatus } from '../missions/mission.machine.js';

export type InteropTimestamp = Date | string;
export type InteropPriority = 'stat' | 'urgent' | 'routine';

export interface InteropPatient {
  id: string;
  mrn: string;
  /** GSRN (AI 8018) printed on the wristband */
  wristbandGsrn: string;
  ward: string;
  bed?: string | null;
}

export interface InteropMedication {
  id: string;
  gtin: string;
  name: string;
  strength: string;
  route: string;
  highAlert?: boolean;
  controlled?: boolean;
  refrigerated?: boolean;
}

export interface InteropOrder {
  id: string;
  patientId: string;
  medicationId: string;
  dose: { amount: number; unit: string };
  route: string;
  schedule?: { times: string[]; windowMinutes: number } | null;
  priority: InteropPriority;
  status: OrderState;
  prescriber?: string | null;
  verifiedBy?: string | null;
  verifiedAt?: InteropTimestamp | null;
  statusReason?: string | null;
  createdAt: InteropTimestamp;
}

export interface InteropDose {
  id: string;
  orderId: string;
  patientId: string;
  medicationId: string;
  slotId?: string | null;
  state: DoseState;
  gtin?: string | null;
  lot?: string | null;
  /** ISO date (YYYY-MM-DD) as decoded from AI (17) */
  expiry?: string | null;
  serial?: string | null;
  deliveryId?: string | null;
  compartmentId?: string | null;
  location?: string | null;
  custodian?: string | null;
}

export interface InteropDelivery {
  id: string;
  ward: string;
  stationNodeId: string;
  state: DeliveryState;
  robotId?: string | null;
  missionId?: string | null;
  /** compartment id → dose ids sealed in it */
  compartments: Record<string, string[]>;
  createdBy?: string | null;
  courier?: string | null;
  dispatchedAt?: InteropTimestamp | null;
  arrivedAt?: InteropTimestamp | null;
  createdAt: InteropTimestamp;
  updatedAt: InteropTimestamp;
}

export interface InteropAdministrationSlot {
  id: string;
  orderId: string;
  patientId: string;
  scheduledAt: InteropTimestamp;
  windowMinutes: number;
  state: AdministrationState;
  doseId?: string | null;
  reason?: string | null;
  recordedBy?: string | null;
  recordedAt?: InteropTimestamp | null;
  override?: { reason: string; rights: string[]; reviewedBy?: string; reviewedAt?: string } | null;
  /** the amount and route recorded as given at the bedside (and any waste) */
  administered?: { given: { amount: number; unit: string; route: string }; wasted: { amount: number; unit: string; witness: string | null } | null } | null;
}

export interface InteropMission {
  id: string;
  priority: InteropPriority;
  status: MissionStatus;
  robotId?: string | null;
  failureReason?: string | null;
}

export interface InteropActor {
  type: 'user' | 'device' | 'system';
  id: string;
  role?: string;
}

export interface InteropCustodyEvent {
  seq: number;
  id: string;
  at: InteropTimestamp;
  doseId?: string | null;
  deliveryId?: string | null;
  orderId?: string | null;
  action: string;
  /** dose states for dose events; delivery-level events may carry delivery states */
  fromState?: string | null;
  toState?: string | null;
  actor: InteropActor;
  location?: string | null;
  /** gtin/lot/expiry/serial, compartmentId, robotId, missionId, scans, reason, witness… */
  evidence?: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
}

export interface InteropOptions {
  /** Identifier.system of the hospital's MRNs; defaults to MEDLOOP_SYSTEMS.mrn */
  mrnSystem?: string;
  /** GLNs of wards, nodes or compartments, by MedLoop location id */
  glnByLocation?: Readonly<Record<string, string>>;
  /** local UTC offset of the site (`+01:00`) for EPCIS eventTimeZoneOffset; default `+00:00` */
  timeZoneOffset?: string;
  /**
   * The latest signed checkpoint of the custody log: each Provenance of an event it covers
   * (seq ≤ treeSize) names it, so the exported record is tied to a signed tree head.
   */
  checkpoint?: InteropCheckpoint | null;
}

/** A signed checkpoint of the custody log (c2sp.org/tlog-checkpoint in a signed note). */
export interface InteropCheckpoint {
  origin: string;
  treeSize: number;
  /** base64, as in the note */
  rootHash: string;
  /** when the log signed it (ISO-8601 UTC) */
  time: string | null;
  /** the signed note, byte for byte as GET /api/audit/checkpoint serves it */
  note: string;
}

/** Everything known about one dose. `now` stamps the document; nothing reads the clock. */
export interface DoseExportInput {
  dose: InteropDose;
  order: InteropOrder;
  patient: InteropPatient;
  medication: InteropMedication;
  slot?: InteropAdministrationSlot | null;
  delivery?: InteropDelivery | null;
  mission?: InteropMission | null;
  /** the dose's custody events (and its delivery's, if wanted), any order */
  events: readonly InteropCustodyEvent[];
  now: InteropTimestamp;
  options?: InteropOptions;
}

/** One delivery with every dose it carries and what those doses refer to. */
export interface DeliveryExportInput {
  delivery: InteropDelivery;
  mission?: InteropMission | null;
  doses: readonly InteropDose[];
  orders: readonly InteropOrder[];
  patients: readonly InteropPatient[];
  medications: readonly InteropMedication[];
  slots?: readonly InteropAdministrationSlot[];
  events: readonly InteropCustodyEvent[];
  now: InteropTimestamp;
  options?: InteropOptions;
}
