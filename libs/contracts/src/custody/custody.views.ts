/**
 * The JSON views of custody records, as the HTTP API answers them and as the web UI reads
 * them: one declaration for both sides. The server's view functions
 * (apps/control-plane/src/custody/custody-views.ts) are typed to return these, so a field
 * added there and not here (or the reverse) fails the type-check. Plain types only: the web
 * UI bundles this file as it is.
 */
export interface Patient {
  id: string;
  mrn: string;
  wristbandGsrn: string;
  name: string;
  ward: string;
  bed: string | null;
}
export interface Medication {
  id: string;
  gtin: string;
  name: string;
  strength: string;
  route: string;
  highAlert: boolean;
  controlled: boolean;
  refrigerated: boolean;
  robotTransportAllowed: boolean;
  /** minutes a refrigerated unit may spend out of the cold; null: the default allowance */
  torAllowanceMinutes: number | null;
}
export interface MedicationOrder {
  id: string;
  patientId: string;
  medicationId: string;
  dose: { amount: number; unit: string };
  route: string;
  schedule: { times: string[]; windowMinutes: number };
  priority: string;
  status: string;
  prescriber: string | null;
  verifiedBy: string | null;
  verifiedAt: string | null;
  statusReason: string | null;
  createdAt: string;
}
export interface Dose {
  id: string;
  orderId: string;
  patientId: string;
  medicationId: string;
  slotId: string | null;
  state: string;
  gtin: string | null;
  lot: string | null;
  expiry: string | null;
  serial: string | null;
  deliveryId: string | null;
  compartmentId: string | null;
  location: string | null;
  custodian: string | null;
  updatedAt: string;
}
export interface Delivery {
  id: string;
  ward: string;
  stationNodeId: string;
  state: string;
  robotId: string | null;
  missionId: string | null;
  compartments: Record<string, string[]>;
  unlocks: { compartmentId: string; by: string; at: string }[];
  courier: string | null;
  dispatchedAt: string | null;
  arrivedAt: string | null;
  createdAt: string;
  doses?: Dose[];
}
export interface Slot {
  id: string;
  orderId: string;
  patientId: string;
  scheduledAt: string;
  windowMinutes: number;
  state: string;
  doseId: string | null;
  reason: string | null;
  recordedBy: string | null;
  recordedAt: string | null;
  override: { reason: string; rights: string[] } | null;
  /** what was recorded as given (and wasted) at the bedside; null when not given, or given before that was recorded */
  administered: Administered | null;
  /** a pharmacist's review of the override; null while it waits (and without an override) */
  review: OverrideReview | null;
}
export interface Administered {
  given: { amount: number; unit: string; route: string };
  wasted: { amount: number; unit: string; witness: string | null } | null;
}
export interface OverrideReview {
  by: string;
  at: string;
  outcome: 'appropriate' | 'inappropriate' | 'needs_follow_up';
  note: string | null;
}
/** One bedside override as GET /api/administrations/overrides lists it (`id` is the administration slot's). */
export interface OverrideToReview {
  id: string;
  doseId: string | null;
  orderId: string;
  drug: { medicationId: string; name: string; strength: string } | null;
  patient: { id: string; name: string; mrn: string; bed: string | null } | null;
  ward: string | null;
  /** the rights that failed and were overridden */
  failed: string[];
  reason: string;
  overriddenBy: string | null;
  overriddenAt: string | null;
  ordered: { amount: number; unit: string; route: string } | null;
  administered: Administered | null;
  review: OverrideReview | null;
}
export interface OverridesPage {
  /** how many overrides match the filter in all (the page holds at most `limit` of them) */
  total: number;
  limit: number;
  offset: number;
  items: OverrideToReview[];
}
export interface PatientMedication {
  patient: Patient;
  doses: Dose[];
  slots: Slot[];
}
export interface CustodyEvent {
  seq: number;
  id: string;
  at: string;
  action: string;
  fromState: string | null;
  toState: string | null;
  actor: { type: string; id: string; role?: string };
  location: string | null;
  evidence: Record<string, unknown>;
  prevHash: string;
  hash: string;
}
export interface AuditReport {
  ok: boolean;
  events: number;
  head: { seq: number; hash: string } | null;
  brokenAt?: { seq: number; expectedSeq: number; reason: string; detail: string };
}
export interface RobotSummary {
  id: string;
  name: string;
  serialNumber: string;
  connection: string | null;
  stale: boolean;
  battery: { chargePct: number; charging: boolean } | null;
  /** the node it last reported reaching (VDA 5050 `lastNodeId`): robots are loaded at the pharmacy dock */
  lastNodeId: string | null;
  driving: boolean;
  compartments: { compartmentId: string; door: string; lock: string; refrigerated?: boolean; loadId?: string }[];
  mission: { id: string; status: string } | null;
}
