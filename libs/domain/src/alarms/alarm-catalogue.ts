/**
 * The alarm catalogue: every alarm type the control plane raises, in one table. For each type
 * it says how severe it is, how its key derives (`{type}:{subject}`, so type and key always
 * agree), how it ends — `condition` (the system clears it when the named condition ends) or
 * `resolution` (a person of the listed roles closes it, with a reason) — and how a nurse reads
 * it: a title and a message built from typed parameters, times in the site's local time and
 * values rounded. The AlarmsService derives key, severity and wording from here; a unit spec
 * walks the table and holds the server's raise calls to it. Pure: no Nest, no I/O.
 */
import type { AlarmSeverity } from './alarm.machine.js';

/** The site's time zone when none is configured (the hospitals run in Guangzhou). */
export const DEFAULT_SITE_TIME_ZONE = 'Asia/Shanghai';

/** Roles that may close a `resolution` alarm (the user roles, without importing persistence). */
export type AlarmResolverRole = 'admin' | 'pharmacist' | 'ward_pharmacist' | 'nurse';

export interface AlarmWordingContext {
  /** IANA time zone of the site, e.g. `Asia/Shanghai` */
  timeZone: string;
}

export type AlarmClearance =
  /** the system clears the alarm when `condition` no longer holds */
  | { readonly by: 'condition'; readonly condition: string }
  /**
   * A person closes it (POST /api/alarms/:id/resolve, with a reason): only one of `roles`
   * (a nurse only on her wards). `audit` says where the resolution is recorded besides the
   * alarm itself: `custody` = also on the custody ledger of the delivery the alarm is about.
   */
  | { readonly by: 'resolution'; readonly roles: readonly AlarmResolverRole[]; readonly audit: 'alarm' | 'custody'; readonly hint: string };

/** What a threshold or staleness alarm of the rule engine carries. */
export interface RuleAlarmParams {
  deviceId: string;
  channel?: string | undefined;
  ruleId: string;
  /** the rule engine's text of the condition (its own message, or `metric > threshold (now …)`) */
  condition: string;
  value?: number | boolean | undefined;
  severity: AlarmSeverity;
  at: string;
}

/** What a late or missed dose alarm names: whose dose, which drug, when it was due (the client formats the ISO time). */
export interface DoseSlotAlarmParams {
  /** the administration slot (the alarm's subject: one alarm per slot) */
  slotId: string;
  doseId: string | null;
  orderId: string;
  patientId: string;
  patient: string | null;
  bed: string | null;
  medication: string;
  /** ISO 8601 instant the dose was scheduled for */
  scheduledAt: string;
  /** minutes past scheduledAt when the alarm was raised */
  minutesLate: number;
  /** the slot's window either side of scheduledAt: missed once it has closed */
  windowMinutes: number;
}

/** The typed parameters of each alarm type (persisted as the alarm's details). */
export interface AlarmParamsByType {
  // ---- robots and missions -----------------------------------------------------------
  'robot.fatal_error': { robot: string; errorType: string; errorDescription: string | null; missionId: string; error?: unknown };
  'robot.estop': { robot: string; eStop: string; missionId: string };
  'robot.offline_mid_mission': { robot: string; connection: string; missionId: string; cargo?: unknown };
  'robot.stale': { robot: string; silentForS: number; lastMessageAt: string };
  /** a robot's state.errors[] refuses a message MedLoop sent (see fleet/message-refusals) */
  'robot.message_refused': {
    robot: string;
    errorType: string;
    topic: string | null;
    headerId: string | null;
    orderId: string | null;
    actionId: string | null;
    errorDescription: string | null;
  };
  'robot.map_mismatch': { robot: string; nodeId: string; field: string; nodeMapId: string; reportedMapId: string };
  /** low on battery, and its factsheet does not declare startCharging (or it published none) */
  'robot.cannot_charge': { robot: string; batteryPct: number; lowBatteryPct: number; noFactsheet: boolean };
  'mission.order_unacknowledged': {
    robot: string;
    robotId: string;
    missionId: string;
    orderId: string;
    /** the order update that went unanswered (absent on alarms of older releases) */
    orderUpdateId?: number;
    attempts: number | null;
    /** the robot's refusal (VDA 5050 error), null when it never answered */
    refusal: string | null;
    rejection?: unknown;
  };
  // ---- custody -----------------------------------------------------------------------
  'custody.robot_lost': { deliveryId: string; robotId: string | null; missionId: string; failure: string | null };
  'custody.dispatch_refused': { deliveryId: string; robotId: string | null; missionId: string; failure: string | null; doses: string[] };
  'custody.compartment_forced': { deliveryId: string; robotId: string; compartmentId: string; doses: string[] };
  'custody.unlock_failed': { deliveryId: string; robotId: string; compartmentId: string; failures: number; reason: string; robotText: string | null };
  'custody.doses_lost': { deliveryId: string; doses: string[] };
  'custody.receipt_discrepancy': { deliveryId: string; extraGtin?: string | null | undefined; missing?: string[] | undefined };
  'custody.receipt_overdue': { deliveryId: string; minutes: number; state: string };
  'custody.override_unreviewed': {
    /** the administration slot (POST /api/administrations/:id/review) */
    slotId: string;
    doseId: string | null;
    patientId: string;
    bed: string | null;
    drug: string;
    /** the five rights that failed and were overridden */
    rights: string[];
    overriddenBy: string | null;
    recordedAt: string;
    /** how long it has waited for a review */
    minutes: number;
  };
  /** a scheduled dose not recorded (given, held, refused) DOSE_LATE_GRACE_MS after its time; ends with the slot's window */
  'custody.dose_late': DoseSlotAlarmParams;
  /** the slot's window closed with nothing recorded: the dose was missed */
  'custody.dose_missed': DoseSlotAlarmParams;
  // ---- cabinets ----------------------------------------------------------------------
  'cabinet.unexpected_open': { cabinet: string; pocketId: string; at: string; userId?: string | undefined };
  'cabinet.pocket_left_open': { cabinet: string; pocketId: string; openS: number };
  'cabinet.door_forced': { cabinet: string; drawerId?: string | undefined; at: string };
  'cabinet.power_lost': { cabinet: string };
  'cabinet.discrepancy': { medication: string; cabinetId: string; pocketId: string; counted: number; expected: number; discrepancyId: string };
  // ---- ward sensors ------------------------------------------------------------------
  'sensor.probe_fault': { sensor: string; channel: string; fault: string; detail?: string | undefined; at: string };
  'sensor.tamper': { sensor: string; detail?: string | undefined };
  'sensor.battery_low': { sensor: string; batteryPct: number };
  // ---- alarm rules (the rule engine: per device kind) --------------------------------
  'sensor.threshold': RuleAlarmParams;
  'sensor.stale': RuleAlarmParams;
  'cabinet.threshold': RuleAlarmParams;
  'cabinet.stale': RuleAlarmParams;
  'device.threshold': RuleAlarmParams;
  'device.stale': RuleAlarmParams;
  // ---- cold chain --------------------------------------------------------------------
  'coldchain.excursion': {
    storageId: string;
    excursionId: string;
    minAllowedC: number;
    maxAllowedC: number;
    window: { start: string; end: string | null };
    nowC: number;
    minC: number;
    maxC: number;
  };
  'coldchain.quarantine': { storageId: string; excursionId: string; since: string; dosesQuarantined: number | null };
  'coldchain.exposed_dose_given': { storageId: string; excursionId: string; doses: string[] };
  // ---- devices and security ----------------------------------------------------------
  'device.input_flood': {
    deviceId: string;
    clientId: string;
    remoteAddress: string | null;
    droppedWhileThrottled: number;
    maxPerSec: number;
    maxBytesPerSec: number;
    throttleMs: number;
  };
  'device.command_timed_out': { deviceKind: string; deviceId: string; commandId: string; type: string; timeoutS: number; requestedBy: string | null };
  'device.clock_skew': {
    deviceKind: string;
    deviceId: string;
    /** future: the device's ts is ahead of the server; past: behind it, and no silence explains it */
    direction: 'future' | 'past';
    /** device ts − server receipt time of the message that made the skew persistent */
    offsetS: number;
    maxSkewS: number;
    /** consecutive skewed messages that raise it (and messages within the skew that clear it) */
    messages: number;
  };
  'security.sign_in_locked': {
    /**
     * pair: a username from one source address (never a username from everywhere); address: a
     * source over any username (channel http) or its MQTT CONNECTs (channel mqtt); username:
     * raised by releases before per-source locks (a username or device locked from anywhere)
     */
    scope: 'pair' | 'address' | 'username';
    channel: string;
    /** the username, or the address of an address lock */
    subject: string;
    /** the source address of the pair, or of an address lock (the subject again; null or absent in alarms from before per-source locks) */
    address?: string | null;
    /** failed (for a source, also refused) attempts that reached the limit */
    failures: number;
    lockedUntil: string;
    locks: number;
  };
  'security.badge_locked': {
    gsrn: string;
    /** the badge's owner (null: a badge no one holds was guessed at) */
    owner: string | null;
    /** the owner's wards, comma-separated ('' for none) */
    wards: string;
    /** pair: wrong PINs from one source address; badge: from everywhere (absent before per-source locks: the badge) */
    scope?: 'pair' | 'badge';
    /** the source address of a pair lock */
    address?: string | null;
    failures: number;
    lockedUntil: string;
    locks: number;
  };
  // ---- the custody log's anchor (signed checkpoints) ----------------------------------
  'audit.anchor_mismatch': {
    /** the log's origin, `medloop.<site>/custody` */
    origin: string;
    /** checkpoint_unverifiable, log_shorter_than_checkpoint or root_mismatch (audit-anchor/anchor-check.ts) */
    reason: string;
    detail: string;
    /** custody events in the database */
    treeSize: number;
    /** events the last checkpoint signed (null when it could not be opened) */
    signedSize: number | null;
    checkpointFile: string;
  };
  'audit.anchored_afresh': {
    origin: string;
    /** custody events the database held when the server found no checkpoint to agree with */
    events: number;
    checkpointFile: string;
  };
  'audit.checkpoint_write_failed': {
    origin: string;
    checkpointFile: string;
    /** the file system's error code (ENOSPC, EACCES, EIO, …) */
    error: string;
    /** consecutive failed writes */
    failures: number;
    /** custody events not covered by a stored checkpoint */
    unsignedEvents: number;
  };
  'audit.witness_unreachable': {
    origin: string;
    /** the witness's base URL (WITNESS_URLS) */
    witness: string;
    /** consecutive pushes that failed */
    failures: number;
    /** why the last one failed: a network error, a timeout or the witness's answer */
    error: string;
    /** the size the witness last acknowledged (null: none this run) */
    witnessSize: number | null;
    /** the size of the checkpoint it does not have */
    treeSize: number;
  };
  'audit.witness_conflict': {
    origin: string;
    witness: string;
    /** witness_ahead: it holds a bigger tree than the log; inconsistent: it refuses the log's tree as no extension of its own */
    reason: 'witness_ahead' | 'inconsistent';
    witnessSize: number | null;
    treeSize: number;
    detail: string;
  };
}

export type AlarmType = keyof AlarmParamsByType;
export type AlarmParams<T extends AlarmType> = AlarmParamsByType[T];

export interface AlarmTypeSpec<T extends AlarmType> {
  readonly type: T;
  /** what the subject of the key is: key = `{type}:{subject}` */
  readonly subject: string;
  readonly severity: AlarmSeverity | ((p: AlarmParams<T>) => AlarmSeverity);
  readonly clears: AlarmClearance;
  /**
   * Who may acknowledge it (POST /api/alarms/:id/acknowledge): absent = anyone who may act and
   * sees the alarm's ward. Listed where the alarm waits for a pharmacist's decision: an
   * acknowledgement says "I am on it" and stops the escalation, so a nurse acknowledging it
   * would silence the one person who must act while nothing gets decided.
   */
  readonly acknowledge?: readonly AlarmResolverRole[];
  /** a short line a nurse reads first */
  readonly title: (p: AlarmParams<T>) => string;
  /** what happened and what to do, with the numbers rounded and times local */
  readonly message: (p: AlarmParams<T>, w: AlarmWordingContext) => string;
}

export type AlarmCatalogue = { readonly [T in AlarmType]: AlarmTypeSpec<T> };

// ---- wording helpers --------------------------------------------------------------------

/** `3 Dec 20:04` in the site's time zone (the ISO text itself when it is not a time). */
export function localTime(iso: string, timeZone: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(d)
    .reduce<Record<string, string>>((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  return `${parts['day']} ${parts['month']} ${parts['hour']}:${parts['minute']}`;
}

/** A number rounded to `decimals` (no binary noise: 10.700000000000001 → 10.7). */
export function rounded(v: number, decimals = 1): string {
  if (!Number.isFinite(v)) return String(v);
  const f = 10 ** decimals;
  return String(Math.round(v * f) / f);
}

/** Rounds every long decimal inside a free text (e.g. a rule engine's `(now 10.700000000000001)`). */
export function roundNumbersIn(text: string, decimals = 1): string {
  return text.replace(/-?\d+\.\d{3,}/g, (m) => rounded(Number(m), decimals));
}

const celsius = (v: number) => `${rounded(v)} °C`;
const short = (id: string) => id.slice(0, 8);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const duration = (s: number) => (s < 90 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`);

const PHARMACISTS: readonly AlarmResolverRole[] = ['pharmacist', 'ward_pharmacist'];

function ruleAlarm<T extends 'sensor.threshold' | 'cabinet.threshold' | 'device.threshold'>(type: T, what: string): AlarmTypeSpec<T> {
  return {
    type,
    subject: 'the rule engine key `{ruleId}/{deviceId}/{channel|-}`',
    severity: (p) => p.severity,
    clears: { by: 'condition', condition: 'the reading is back within the rule (with its hysteresis), or the rule is disabled or removed' },
    title: (p) => `${what} ${p.deviceId}${p.channel ? ` ${p.channel}` : ''}: reading out of range`,
    message: (p, w) => `${p.deviceId}${p.channel ? `/${p.channel}` : ''}: ${roundNumbersIn(p.condition)} (since ${localTime(p.at, w.timeZone)})`,
  };
}

function staleAlarm<T extends 'sensor.stale' | 'cabinet.stale' | 'device.stale'>(type: T, what: string): AlarmTypeSpec<T> {
  return {
    type,
    subject: 'the rule engine key `{ruleId}/{deviceId}/stale`',
    severity: (p) => p.severity,
    clears: { by: 'condition', condition: 'the device reports the metric again, or the rule is disabled or removed' },
    title: (p) => `${what} ${p.deviceId} silent`,
    message: (p, w) => `${roundNumbersIn(p.condition)} (noticed ${localTime(p.at, w.timeZone)})`,
  };
}

export const ALARM_CATALOGUE: AlarmCatalogue = {
  'robot.fatal_error': {
    type: 'robot.fatal_error',
    subject: 'the robot id',
    severity: 'critical',
    clears: { by: 'condition', condition: 'the robot reports a state without a FATAL error (e.g. after it was fixed and reconnected)' },
    title: (p) => `Robot ${p.robot} stopped: fatal error`,
    message: (p) =>
      `Robot ${p.robot} reported a fatal error mid-mission: ${p.errorType}${p.errorDescription ? ` (${p.errorDescription})` : ''}. ` +
      `Its mission was stopped; call technical support.`,
  },
  'robot.estop': {
    type: 'robot.estop',
    subject: 'the robot id',
    severity: 'critical',
    clears: { by: 'condition', condition: 'the emergency stop is released, or the mission ends' },
    title: (p) => `Robot ${p.robot} on emergency stop`,
    message: (p) => `Robot ${p.robot} is on emergency stop (${p.eStop}) mid-mission; its mission is paused until the stop is released.`,
  },
  'robot.offline_mid_mission': {
    type: 'robot.offline_mid_mission',
    subject: 'the robot id',
    severity: 'critical',
    clears: { by: 'condition', condition: 'the robot is back online, or the mission ends' },
    title: (p) => `Robot ${p.robot} offline mid-mission`,
    message: (p) => `Robot ${p.robot} went ${p.connection} mid-mission; its mission is paused and fails if the robot does not come back.`,
  },
  'robot.stale': {
    type: 'robot.stale',
    subject: 'the robot id',
    severity: 'warning',
    clears: { by: 'condition', condition: 'the robot reports again' },
    title: (p) => `Robot ${p.robot} silent`,
    message: (p, w) => `Robot ${p.robot} has sent nothing for more than ${duration(p.silentForS)} (last message ${localTime(p.lastMessageAt, w.timeZone)}).`,
  },
  'robot.message_refused': {
    type: 'robot.message_refused',
    subject: 'the robot id and a digest of the error (type and references, else its text)',
    severity: 'warning',
    clears: { by: 'condition', condition: "the error is gone from the robot's state.errors" },
    title: (p) => `Robot ${p.robot} refused a message`,
    message: (p) => {
      const names = [
        p.topic ? `${p.topic}` : 'a message',
        p.orderId ? `orderId ${p.orderId}` : null,
        p.headerId ? `headerId ${p.headerId}` : null,
        p.actionId ? `actionId ${p.actionId}` : null,
      ].filter((x) => x !== null);
      return `Robot ${p.robot} refused ${names.join(', ')} (${p.errorType})${p.errorDescription ? `: ${p.errorDescription}` : ''}. What it was told may not happen.`;
    },
  },
  'robot.map_mismatch': {
    type: 'robot.map_mismatch',
    subject: 'the robot id',
    severity: 'warning',
    clears: { by: 'condition', condition: 'the robot reports a map consistent with its nodes' },
    title: (p) => `Robot ${p.robot} on the wrong map`,
    message: (p) =>
      `Robot ${p.robot} reports node ${p.nodeId}, which is on map ${p.nodeMapId}, with map ${p.reportedMapId} (${p.field}). ` +
      `Its position is shown as it reports it; check its localisation (e.g. after a lift ride).`,
  },
  'robot.cannot_charge': {
    type: 'robot.cannot_charge',
    subject: 'the robot id',
    severity: 'warning',
    clears: { by: 'condition', condition: 'the robot charges, declares startCharging, or its battery is above the low-battery threshold' },
    title: (p) => `Robot ${p.robot} cannot be sent to charge`,
    message: (p) =>
      `Robot ${p.robot} is at ${Math.round(p.batteryPct)} % (below ${Math.round(p.lowBatteryPct)} %), but ${p.noFactsheet ? 'it published no factsheet' : 'its factsheet does not declare startCharging on nodes'}, ` +
      `so the fleet does not send it to a charger. Charge it by hand or have it declare startCharging.`,
  },
  'mission.order_unacknowledged': {
    type: 'mission.order_unacknowledged',
    subject: 'the mission id',
    severity: 'critical',
    clears: {
      by: 'condition',
      condition:
        "the robot acknowledges that order update after all (its state echoes the order id and update), or takes a later mission's order, or the mission ends otherwise",
    },
    title: (p) => (p.refusal ? `Robot ${p.robot} refused its order` : `Robot ${p.robot} not taking orders`),
    message: (p) =>
      p.refusal
        ? `Robot ${p.robot} refused order ${p.orderId}: ${p.refusal}. The mission failed.`
        : `Robot ${p.robot} never acknowledged order ${p.orderId}${p.attempts ? ` after ${plural(p.attempts, 'attempt')}` : ''}. The mission failed.`,
  },
  'custody.robot_lost': {
    type: 'custody.robot_lost',
    subject: 'the delivery id',
    severity: 'critical',
    clears: { by: 'condition', condition: 'the delivery is handed to a courier or has ended (the robot coming back does not bring the doses to the ward)' },
    title: (p) => `Delivery ${short(p.deliveryId)}: robot lost`,
    message: (p) => `The robot carrying delivery ${short(p.deliveryId)} failed (${p.failure ?? 'unknown'}): send a courier and record the handoff.`,
  },
  'custody.dispatch_refused': {
    type: 'custody.dispatch_refused',
    subject: 'the delivery id',
    severity: 'warning',
    clears: { by: 'resolution', roles: PHARMACISTS, audit: 'custody', hint: 'a pharmacist took the returned doses out of the robot at the dock' },
    acknowledge: PHARMACISTS,
    title: (p) => `Delivery ${short(p.deliveryId)}: robot did not leave`,
    message: (p) =>
      `Robot ${p.robotId ?? 'unknown'} did not start delivery ${short(p.deliveryId)} (${p.failure ?? 'unknown'}): ` +
      `${plural(p.doses.length, 'dose')} returned to the pharmacy. Take them out of the robot at the dock and send them again.`,
  },
  'custody.compartment_forced': {
    type: 'custody.compartment_forced',
    subject: '`{delivery id}:{compartment id}`',
    severity: 'critical',
    clears: { by: 'resolution', roles: PHARMACISTS, audit: 'custody', hint: 'a pharmacist inspected the compartment and decided on the quarantined doses' },
    acknowledge: PHARMACISTS,
    title: (p) => `Compartment ${p.compartmentId} forced open`,
    message: (p) =>
      `Compartment ${p.compartmentId} of robot ${p.robotId} was opened without an authorised unlock: ${plural(p.doses.length, 'dose')} quarantined. A pharmacist must review.`,
  },
  'custody.unlock_failed': {
    type: 'custody.unlock_failed',
    subject: '`{delivery id}:{compartment id}`',
    severity: 'warning',
    clears: {
      by: 'resolution',
      roles: [...PHARMACISTS, 'nurse'],
      audit: 'custody',
      hint: 'the compartment was opened (the robot fixed, or the doses sent by courier) or the delivery was dealt with otherwise',
    },
    title: (p) => `Compartment ${p.compartmentId} will not unlock`,
    message: (p) =>
      `Robot ${p.robotId} did not unlock compartment ${p.compartmentId} of delivery ${short(p.deliveryId)} (${plural(p.failures, 'attempt')}): ` +
      `${p.robotText ?? p.reason}. Check the robot or send a courier.`,
  },
  'custody.doses_lost': {
    type: 'custody.doses_lost',
    subject: 'the delivery id',
    severity: 'critical',
    clears: { by: 'resolution', roles: PHARMACISTS, audit: 'custody', hint: 'a pharmacist investigated the loss (found, reported, replaced)' },
    acknowledge: PHARMACISTS,
    title: (p) => `Delivery ${short(p.deliveryId)}: doses lost`,
    message: (p) =>
      `${plural(p.doses.length, 'dose')} of delivery ${short(p.deliveryId)} declared lost: not received within the limit. A pharmacist must investigate.`,
  },
  'custody.receipt_discrepancy': {
    type: 'custody.receipt_discrepancy',
    subject: 'the delivery id',
    severity: 'warning',
    clears: { by: 'resolution', roles: PHARMACISTS, audit: 'custody', hint: 'a pharmacist reconciled what was received with what was sent' },
    acknowledge: PHARMACISTS,
    title: (p) => `Delivery ${short(p.deliveryId)}: receipt discrepancy`,
    message: (p) =>
      p.missing?.length
        ? `${plural(p.missing.length, 'dose')} of delivery ${short(p.deliveryId)} not found on receipt. A pharmacist must reconcile.`
        : `A unit scanned on receipt of delivery ${short(p.deliveryId)} is not part of it${p.extraGtin ? ` (GTIN ${p.extraGtin})` : ''}. A pharmacist must reconcile.`,
  },
  'custody.receipt_overdue': {
    type: 'custody.receipt_overdue',
    subject: 'the delivery id',
    severity: 'warning',
    clears: { by: 'condition', condition: 'the delivery is received, or it has ended (completed, returned, cancelled)' },
    title: (p) => `Delivery ${short(p.deliveryId)} not received`,
    message: (p) => `Delivery ${short(p.deliveryId)} (${p.state.replace('_', ' ')}) has not been received for ${Math.round(p.minutes)} min.`,
  },
  'custody.override_unreviewed': {
    type: 'custody.override_unreviewed',
    subject: 'the administration slot id',
    severity: 'warning',
    clears: { by: 'condition', condition: 'a pharmacist reviews the override (POST /api/administrations/:id/review)' },
    // the review is a pharmacist's judgement
    acknowledge: PHARMACISTS,
    title: (p) => `Override of ${p.drug} not reviewed`,
    message: (p, w) =>
      `${p.drug}${p.bed ? ` for bed ${p.bed}` : ''} was given on ${localTime(p.recordedAt, w.timeZone)}${p.overriddenBy ? ` by ${p.overriddenBy}` : ''} ` +
      `despite a failed ${p.rights.join(', ')} check, and has waited ${duration(p.minutes * 60)} for a pharmacist's review.`,
  },
  'custody.dose_late': {
    type: 'custody.dose_late',
    subject: 'the administration slot id',
    severity: 'warning',
    clears: {
      by: 'condition',
      condition: 'the dose is recorded (given, held, refused), the order is stopped, or the window closes (then custody.dose_missed follows)',
    },
    title: (p) => `${p.medication}${p.bed ? ` for bed ${p.bed}` : ''} is late`,
    message: (p, w) =>
      `${p.medication} for ${p.patient ?? 'a patient'}${p.bed ? ` (bed ${p.bed})` : ''} was due at ${localTime(p.scheduledAt, w.timeZone)} ` +
      `and is ${duration(p.minutesLate * 60)} late. Give it, or record why it is held or refused.`,
  },
  'custody.dose_missed': {
    type: 'custody.dose_missed',
    subject: 'the administration slot id',
    severity: 'critical',
    // a missed slot is final on the MAR (nothing may be recorded on it any more): the nurse
    // documents what happened and that the prescriber knows, which closes the alarm
    clears: {
      by: 'resolution',
      roles: ['nurse', ...PHARMACISTS, 'admin'],
      audit: 'alarm',
      hint: 'the nurse documented why the dose was missed and told the prescriber',
    },
    title: (p) => `${p.medication}${p.bed ? ` for bed ${p.bed}` : ''} missed`,
    message: (p, w) =>
      `${p.medication} for ${p.patient ?? 'a patient'}${p.bed ? ` (bed ${p.bed})` : ''} was due at ${localTime(p.scheduledAt, w.timeZone)} ` +
      `and nothing was recorded within its ${duration(p.windowMinutes * 60)} window. Tell the prescriber and document why.`,
  },
  'cabinet.unexpected_open': {
    type: 'cabinet.unexpected_open',
    subject: '`{cabinet id}/{pocket id}`',
    severity: 'critical',
    clears: { by: 'resolution', roles: [...PHARMACISTS, 'admin'], audit: 'alarm', hint: 'the pocket was checked and counted' },
    acknowledge: [...PHARMACISTS, 'admin'],
    title: (p) => `${p.cabinet}: pocket ${p.pocketId} opened without unlock`,
    message: (p, w) =>
      `${p.cabinet}: pocket ${p.pocketId} was opened without an unlock at ${localTime(p.at, w.timeZone)}${p.userId ? ` (badge ${p.userId})` : ''}. Check and count the pocket.`,
  },
  'cabinet.pocket_left_open': {
    type: 'cabinet.pocket_left_open',
    subject: '`{cabinet id}/{pocket id}`',
    severity: 'warning',
    clears: { by: 'condition', condition: 'the pocket is closed' },
    title: (p) => `${p.cabinet}: pocket ${p.pocketId} left open`,
    message: (p) => `${p.cabinet}: pocket ${p.pocketId} has been open for ${duration(p.openS)}. Close it.`,
  },
  'cabinet.door_forced': {
    type: 'cabinet.door_forced',
    subject: 'the cabinet id',
    severity: 'critical',
    clears: { by: 'resolution', roles: [...PHARMACISTS, 'admin'], audit: 'alarm', hint: 'the cabinet was inspected and its stock counted' },
    acknowledge: [...PHARMACISTS, 'admin'],
    title: (p) => `${p.cabinet}: door forced`,
    message: (p, w) =>
      `${p.cabinet}: door forced${p.drawerId ? ` (drawer ${p.drawerId})` : ''} at ${localTime(p.at, w.timeZone)}. Inspect the cabinet and count its stock.`,
  },
  'cabinet.power_lost': {
    type: 'cabinet.power_lost',
    subject: 'the cabinet id',
    severity: 'warning',
    clears: { by: 'condition', condition: 'mains power is restored' },
    title: (p) => `${p.cabinet}: mains power lost`,
    message: (p) => `${p.cabinet}: mains power lost; the cabinet runs on its battery.`,
  },
  'cabinet.discrepancy': {
    type: 'cabinet.discrepancy',
    subject: '`{cabinet id}/{pocket id}`',
    severity: 'warning',
    clears: { by: 'condition', condition: "the count discrepancy is resolved in the pocket's ledger (POST /api/discrepancies/:id/resolve)" },
    // the count is resolved by a pharmacist in the pocket ledger
    // the decision route (discrepancy resolve / quarantine decision) is @Roles('pharmacist', 'admin'):
    // a ward pharmacist who acknowledged it would stop the escalation without being able to decide
    acknowledge: ['pharmacist', 'admin'],
    title: (p) => `${p.medication}: count discrepancy`,
    message: (p) => `${p.medication} in ${p.cabinetId}/${p.pocketId}: counted ${p.counted}, expected ${p.expected}. A pharmacist must resolve the count.`,
  },
  'sensor.probe_fault': {
    type: 'sensor.probe_fault',
    subject: '`{sensor id}/{channel}`',
    severity: 'warning',
    clears: { by: 'condition', condition: 'the sensor reports the probe restored' },
    title: (p) => `${p.sensor}: probe ${p.channel} fault`,
    message: (p, w) => `${p.sensor}: probe ${p.channel} ${p.fault.replace(/_/g, ' ')}${p.detail ? ` (${p.detail})` : ''} since ${localTime(p.at, w.timeZone)}.`,
  },
  'sensor.tamper': {
    type: 'sensor.tamper',
    subject: 'the sensor id',
    severity: 'critical',
    clears: { by: 'resolution', roles: ['admin', 'nurse'], audit: 'alarm', hint: 'the sensor was checked in place and is intact' },
    title: (p) => `${p.sensor}: tamper`,
    message: (p) => `${p.sensor}: tamper detected${p.detail ? ` (${p.detail})` : ''}. Check the sensor in place.`,
  },
  'sensor.battery_low': {
    type: 'sensor.battery_low',
    subject: 'the sensor id',
    severity: 'info',
    clears: { by: 'resolution', roles: ['admin', 'nurse'], audit: 'alarm', hint: 'the battery was replaced' },
    title: (p) => `${p.sensor}: battery low`,
    message: (p) => `${p.sensor}: battery at ${Math.round(p.batteryPct)} %. Replace the battery.`,
  },
  'sensor.threshold': ruleAlarm('sensor.threshold', 'Sensor'),
  'sensor.stale': staleAlarm('sensor.stale', 'Sensor'),
  'cabinet.threshold': ruleAlarm('cabinet.threshold', 'Cabinet'),
  'cabinet.stale': staleAlarm('cabinet.stale', 'Cabinet'),
  'device.threshold': ruleAlarm('device.threshold', 'Device'),
  'device.stale': staleAlarm('device.stale', 'Device'),
  'coldchain.excursion': {
    type: 'coldchain.excursion',
    subject: 'the storage id (sensor id, `{cabinet}/{drawer}` or `{robot}/{compartment}`)',
    severity: 'critical',
    clears: { by: 'condition', condition: 'the temperature is back in range (the exposure window closes)' },
    title: (p) => `${p.storageId}: temperature out of range`,
    message: (p, w) =>
      `${p.storageId}: out of ${rounded(p.minAllowedC)}–${celsius(p.maxAllowedC)} since ${localTime(p.window.start, w.timeZone)} (now ${celsius(p.nowC)}).`,
  },
  'coldchain.quarantine': {
    type: 'coldchain.quarantine',
    subject: 'the storage id',
    severity: 'critical',
    clears: { by: 'condition', condition: "a pharmacist's release or destruction of the stock is recorded (POST /api/cold-chain/excursions/:id/decision)" },
    // release or destruction of the stock is a pharmacist's decision
    // the decision route (discrepancy resolve / quarantine decision) is @Roles('pharmacist', 'admin'):
    // a ward pharmacist who acknowledged it would stop the escalation without being able to decide
    acknowledge: ['pharmacist', 'admin'],
    title: (p) => `${p.storageId}: stock quarantined`,
    message: (p, w) =>
      `${p.storageId}: stock quarantined after a cold-chain excursion since ${localTime(p.since, w.timeZone)}` +
      `${p.dosesQuarantined !== null ? ` (${plural(p.dosesQuarantined, 'dose')})` : ''}; a pharmacist must release or destroy it.`,
  },
  'coldchain.exposed_dose_given': {
    type: 'coldchain.exposed_dose_given',
    subject: 'the excursion id',
    severity: 'critical',
    clears: {
      by: 'resolution',
      roles: PHARMACISTS,
      audit: 'alarm',
      hint: 'a pharmacist reviewed the exposure with the prescriber and the patients were followed up',
    },
    acknowledge: PHARMACISTS,
    title: (p) => `${p.storageId}: exposed ${p.doses.length === 1 ? 'dose' : 'doses'} already given`,
    message: (p) =>
      `${plural(p.doses.length, 'dose')} that were inside ${p.storageId} during its cold-chain excursion had already been given. ` +
      `A pharmacist must review the exposure with the prescriber.`,
  },
  'device.input_flood': {
    type: 'device.input_flood',
    subject: 'the device id',
    severity: 'warning',
    clears: { by: 'condition', condition: 'the device has not been disconnected again for twice the throttle time' },
    title: (p) => `Device ${p.deviceId} flooding`,
    message: (p) =>
      `Device '${p.deviceId}' was disconnected: more than ${p.maxPerSec} rejected messages or ${p.maxBytesPerSec} rejected bytes per second, ` +
      `and ${p.droppedWhileThrottled} more messages while its input was dropped.`,
  },
  'device.command_timed_out': {
    type: 'device.command_timed_out',
    subject: 'the command id',
    severity: 'warning',
    clears: { by: 'condition', condition: 'someone acknowledges the alarm (a timed-out command alarms once)' },
    title: (p) => `${p.deviceKind} ${p.deviceId}: command not acknowledged`,
    message: (p) => `${p.deviceKind} ${p.deviceId} did not acknowledge ${p.type} within ${rounded(p.timeoutS)} s.`,
  },
  'device.clock_skew': {
    type: 'device.clock_skew',
    subject: 'the device id',
    severity: 'warning',
    clears: { by: 'condition', condition: 'the same number of consecutive messages arrive stamped within DEVICE_CLOCK_MAX_SKEW_S of the server clock' },
    title: (p) => `${p.deviceKind} ${p.deviceId}: clock ${p.direction === 'future' ? 'ahead' : 'behind'}`,
    message: (p) =>
      `${p.deviceKind} ${p.deviceId} stamped ${p.messages} messages in a row ${duration(Math.abs(p.offsetS))} ${p.direction === 'future' ? 'ahead of' : 'behind'} ` +
      `the server clock (allowed ${duration(p.maxSkewS)}). The server times its readings itself; have the device's clock (NTP) checked.`,
  },
  'security.sign_in_locked': {
    type: 'security.sign_in_locked',
    subject: '`pair:http:{username}` (one alarm whichever sources it is locked from) or `address:{http|mqtt}:{address}`',
    severity: 'warning',
    clears: { by: 'condition', condition: 'an admin lifts the lock, or the lock expires' },
    title: (p) =>
      p.scope === 'address'
        ? p.channel === 'mqtt'
          ? `Repeated bad MQTT sign-ins from ${p.subject}`
          : `Sign-in locked for ${p.subject}`
        : p.scope === 'pair'
          ? `Sign-in locked: ${p.subject} from ${p.address ?? 'one address'}`
          : `Sign-in locked: ${p.subject}`,
    message: (p, w) => {
      const until = localTime(p.lockedUntil, w.timeZone);
      if (p.scope === 'address' && p.channel === 'mqtt')
        return `${p.failures} MQTT CONNECTs with a wrong secret from ${p.subject} (until ${until} its failures are answered slowly); devices with a right secret still connect from there, no device is locked by its id, and people's sign-ins from there are not affected.`;
      if (p.scope === 'address')
        return `Source ${p.subject} locked until ${until} after ${p.failures} failed or refused sign-ins, whatever the username or badge.`;
      if (p.scope === 'pair')
        return `User '${p.subject}' locked from ${p.address ?? 'one address'} until ${until} after ${p.failures} failed sign-ins from there; from anywhere else the user signs in as usual.`;
      return `${p.channel === 'mqtt' ? 'Device' : 'User'} '${p.subject}' locked until ${until} after ${p.failures} failed sign-ins.`;
    },
  },
  'security.badge_locked': {
    type: 'security.badge_locked',
    subject: '`{badge GSRN}`',
    severity: 'warning',
    clears: { by: 'condition', condition: 'an admin lifts the lock, or the lock expires' },
    title: (p) => (p.owner ? `Badge of ${p.owner} locked` : `Unknown badge ${p.gsrn} locked`),
    message: (p, w) =>
      `Badge ${p.gsrn}${p.owner ? ` (${p.owner}${p.wards ? `, ${p.wards}` : ''})` : ' (not issued to anyone)'} locked ` +
      `${p.scope === 'pair' ? `at ${p.address ?? 'one address'}` : 'everywhere'} until ` +
      `${localTime(p.lockedUntil, w.timeZone)} after ${p.failures} wrong PINs${p.scope === 'pair' ? ' there' : ''}. Someone may be guessing it: check with its holder.`,
  },
  'audit.anchor_mismatch': {
    type: 'audit.anchor_mismatch',
    subject: 'the log origin `medloop.<site>/custody`',
    severity: 'critical',
    clears: {
      by: 'condition',
      condition: 'the server starts with a database that agrees with the last checkpoint (after the incident procedure in audit-anchor/CHECKPOINTS.md)',
    },
    title: () => 'Custody log does not match its signed checkpoint',
    message: (p) =>
      `Security incident: ${p.detail}. No new checkpoint is signed until this is resolved. ` +
      `Keep the database and ${p.checkpointFile} as they are and follow the incident procedure (audit-anchor/CHECKPOINTS.md).`,
  },
  'audit.anchored_afresh': {
    type: 'audit.anchored_afresh',
    subject: 'the log origin `medloop.<site>/custody`',
    severity: 'warning',
    clears: {
      by: 'resolution',
      roles: ['admin'],
      audit: 'alarm',
      hint: 'the administrator confirmed why the server started without a checkpoint file (first start after the upgrade, a restore, the incident procedure) — or opened an incident',
    },
    title: () => 'Custody log anchored afresh',
    message: (p) =>
      `The server found ${p.events} custody events and no checkpoint file (${p.checkpointFile}) and anchored the log as it is now. ` +
      `Expected at the first start with signed checkpoints, after a restore or the incident procedure; otherwise the file was removed: compare with the witnesses (GET /api/audit/verify) and treat it as an incident.`,
  },
  'audit.checkpoint_write_failed': {
    type: 'audit.checkpoint_write_failed',
    subject: 'the log origin `medloop.<site>/custody`',
    severity: 'warning',
    clears: { by: 'condition', condition: 'a signed checkpoint is written to the checkpoint file again' },
    title: () => 'Custody checkpoints cannot be written',
    message: (p) =>
      `${p.failures} checkpoint write(s) to ${p.checkpointFile} failed (${p.error}); ${p.unsignedEvents} custody events are not anchored yet. ` +
      'Free space or fix the permissions: the next round retries.',
  },
  'audit.witness_unreachable': {
    type: 'audit.witness_unreachable',
    subject: '`{origin}|{witness URL}`',
    severity: 'warning',
    clears: { by: 'condition', condition: 'the witness accepts a checkpoint again' },
    title: () => 'A custody-log witness does not take checkpoints',
    message: (p) =>
      `${p.failures} pushes of the custody log's checkpoints to the witness ${p.witness} failed (last: ${p.error}); it holds ${p.witnessSize ?? 'an unknown number of'} events of ${p.treeSize}. ` +
      'Care is not affected; check the network and the witness: each new checkpoint retries.',
  },
  'audit.witness_conflict': {
    type: 'audit.witness_conflict',
    subject: '`{origin}|{witness URL}`',
    severity: 'critical',
    clears: { by: 'condition', condition: 'the witness accepts a checkpoint of this log again' },
    title: () => 'A witness holds another history of the custody log',
    message: (p) =>
      `Security incident: the witness ${p.witness} ${p.reason === 'witness_ahead' ? `holds ${p.witnessSize ?? '?'} signed events, more than the ${p.treeSize} in the database` : `refuses the log's ${p.treeSize} events as no extension of what it holds`} (${p.detail}). ` +
      'Signed events may have been removed or rewritten: follow the incident procedure (audit-anchor/CHECKPOINTS.md).',
  },
};

export const ALARM_TYPES = Object.keys(ALARM_CATALOGUE) as AlarmType[];

export function isAlarmType(type: string): type is AlarmType {
  return Object.prototype.hasOwnProperty.call(ALARM_CATALOGUE, type);
}

/** The catalogue entry of a type, or undefined for a type the catalogue does not know (old rows). */
export function alarmSpec(type: string): AlarmTypeSpec<AlarmType> | undefined {
  return isAlarmType(type) ? (ALARM_CATALOGUE[type] as unknown as AlarmTypeSpec<AlarmType>) : undefined;
}

/** The roles that may acknowledge an alarm of `type`; null = anyone who may act on its ward (also for a type the catalogue does not know). */
export function acknowledgeRoles(type: string): readonly AlarmResolverRole[] | null {
  return alarmSpec(type)?.acknowledge ?? null;
}

/** The key of an alarm: type and key always agree. */
export function alarmKey(type: AlarmType, subject: string): string {
  return `${type}:${subject}`;
}

/** The subject part of a key (`robot.fatal_error:rbt-1` → `rbt-1`; also for keys of older releases). */
export function alarmSubject(key: string): string {
  const i = key.indexOf(':');
  return i < 0 ? key : key.slice(i + 1);
}

export type AlarmRaiseSpec = { [T in AlarmType]: { type: T; params: AlarmParams<T> } }[AlarmType];

/** Severity, title and message of one raise, from the catalogue. */
export function describeAlarm(
  input: AlarmRaiseSpec,
  w: AlarmWordingContext = { timeZone: DEFAULT_SITE_TIME_ZONE },
): { severity: AlarmSeverity; title: string; message: string } {
  const spec = ALARM_CATALOGUE[input.type] as unknown as AlarmTypeSpec<AlarmType>;
  const params = input.params as never;
  const severity = typeof spec.severity === 'function' ? spec.severity(params) : spec.severity;
  return { severity, title: spec.title(params), message: spec.message(params, w) };
}

/** The title of a stored alarm (its details are its parameters); a plain one for rows the catalogue cannot word. */
export function alarmTitle(type: string, details: Record<string, unknown>): string {
  const spec = alarmSpec(type);
  if (spec) {
    try {
      const t = spec.title(details as never);
      if (!/undefined|NaN/.test(t)) return t;
    } catch {
      // an older row without the parameters: the plain title below
    }
  }
  const words = type.replace(/[._]/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
