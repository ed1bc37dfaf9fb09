/**
 * Prometheus metrics. One registry per app instance (not prom-client's global one), so
 * several apps in one test process never share counters. Label values come from bounded
 * sets (route templates, topic families, reason codes), never from ids.
 */
import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'medloop_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'medloop_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly mqttConnections = new Gauge({ name: 'medloop_mqtt_connections', help: 'Authenticated MQTT connections open now', registers: [this.registry] });
  readonly mqttConnects = new Counter({ name: 'medloop_mqtt_connects_total', help: 'Successful MQTT connects', registers: [this.registry] });
  readonly mqttAuthFailures = new Counter({
    name: 'medloop_mqtt_auth_failures_total',
    help: 'Refused MQTT CONNECTs by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly mqttIn = new Counter({
    name: 'medloop_mqtt_messages_in_total',
    help: 'Messages published by clients, by topic family',
    labelNames: ['family'],
    registers: [this.registry],
  });
  readonly mqttInBytes = new Counter({ name: 'medloop_mqtt_bytes_in_total', help: 'Payload bytes published by clients', registers: [this.registry] });
  readonly mqttOut = new Counter({
    name: 'medloop_mqtt_messages_out_total',
    help: 'Messages delivered to subscribers, by topic family',
    labelNames: ['family'],
    registers: [this.registry],
  });
  readonly mqttDenied = new Counter({
    name: 'medloop_mqtt_acl_denied_total',
    help: 'Publishes, subscriptions and wills refused by the topic ACL',
    labelNames: ['action'],
    registers: [this.registry],
  });
  readonly mqttDropped = new Counter({
    name: 'medloop_mqtt_dropped_total',
    help: 'QoS 0 deliveries dropped for a subscriber that stopped reading',
    labelNames: ['family'],
    registers: [this.registry],
  });
  readonly mqttBackpressure = new Counter({
    name: 'medloop_mqtt_backpressure_pauses_total',
    help: 'Times a publisher was paused because the broker message queue was over its high-water mark',
    registers: [this.registry],
  });
  readonly mqttThrottled = new Counter({
    name: 'medloop_mqtt_throttled_total',
    help: 'Times a device went over its rejection budget and had its messages dropped unread',
    registers: [this.registry],
  });
  readonly mqttThrottleDropped = new Counter({
    name: 'medloop_mqtt_throttle_dropped_total',
    help: 'Messages of throttled devices acknowledged and dropped before parsing, by topic family',
    labelNames: ['family'],
    registers: [this.registry],
  });
  readonly mqttThrottleDroppedBytes = new Counter({
    name: 'medloop_mqtt_throttle_dropped_bytes_total',
    help: 'Payload bytes of throttled devices dropped before parsing',
    registers: [this.registry],
  });
  readonly mqttThrottleDisconnects = new Counter({
    name: 'medloop_mqtt_throttle_disconnects_total',
    help: 'Sessions closed because a throttled device kept sending',
    registers: [this.registry],
  });
  readonly mqttClientErrors = new Counter({
    name: 'medloop_mqtt_client_errors_total',
    help: 'Connections closed by a protocol or transport error',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'medloop_rejected_inputs_total',
    help: 'Inputs rejected at the edge, by channel (mqtt|http|ws), topic family or route, and reason',
    labelNames: ['channel', 'family', 'reason'],
    registers: [this.registry],
  });

  readonly storageFailures = new Counter({
    name: 'medloop_storage_failures_total',
    help: 'Database operations that failed because the store could not take them (disk full, I/O, connection lost), by operation (write|read) and driver code',
    labelNames: ['operation', 'code'],
    registers: [this.registry],
  });
  readonly custodyRefusals = new Counter({
    name: 'medloop_custody_refusals_total',
    help: 'Refused custody acts written on the custody chain (or not, when the write failed), by act and reason code',
    labelNames: ['act', 'code', 'recorded'],
    registers: [this.registry],
  });
  readonly bedsideOverrides = new Counter({
    name: 'medloop_bedside_overrides_total',
    help: 'Doses given under an override at the bedside, by the first right that failed (dose, route, time, drug)',
    labelNames: ['right'],
    registers: [this.registry],
  });
  readonly manualEntries = new Counter({
    name: 'medloop_manual_entries_total',
    help: 'Items identified by a manual selection instead of a scan and accepted, by step (pick, receipt, bedside_patient, bedside_dose) and reason',
    labelNames: ['step', 'reason'],
    registers: [this.registry],
  });
  readonly overrideReviews = new Counter({
    name: 'medloop_override_reviews_total',
    help: 'Pharmacist reviews of bedside overrides, by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly overridesOverdue = new Gauge({
    name: 'medloop_overrides_review_overdue',
    help: 'Bedside overrides unreviewed for longer than OVERRIDE_REVIEW_AFTER_MS, at the last check',
    registers: [this.registry],
  });
  readonly storageOutcomeUnknown = new Counter({
    name: 'medloop_storage_outcome_unknown_total',
    help: 'Commits whose reply was lost, resolved by reading the write back',
    labelNames: ['resolved'],
    registers: [this.registry],
  });
  readonly storageWritable = new Gauge({
    name: 'medloop_storage_writable',
    help: '1 while the last database write committed, 0 while writes fail (503 storage_unavailable)',
    registers: [this.registry],
  });
  readonly auditCheckpoints = new Counter({
    name: 'medloop_audit_checkpoints_total',
    help: 'Signed checkpoints of the custody log by outcome: written (signed and synced to CHECKPOINT_FILE), write_failed (retried next round), refused (not signed: the database disagrees with the last checkpoint)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly auditTreeSize = new Gauge({
    name: 'medloop_audit_tree_size',
    help: 'Custody events in the Merkle tree the checkpoints sign',
    registers: [this.registry],
  });
  readonly auditWitness = new Counter({
    name: 'medloop_audit_witness_total',
    help: 'Checkpoint pushes to an outside witness (WITNESS_URLS) by outcome: ok (cosigned), unreachable (network, timeout, 5xx), refused (the witness does not take this log: 400/403/404), conflict (it holds another history: 422, or a bigger tree)',
    labelNames: ['witness', 'outcome'],
    registers: [this.registry],
  });
  readonly auditUnsignedEvents = new Gauge({
    name: 'medloop_audit_unsigned_events',
    help: 'Custody events not covered by a checkpoint written to CHECKPOINT_FILE',
    registers: [this.registry],
  });

  readonly authSessions = new Counter({
    name: 'medloop_auth_sessions_total',
    help: 'Sign-in sessions opened, refreshed (refreshed | refresh_retried), refused at refresh (refresh_<code>) and ended (ended_<reason>)',
    labelNames: ['event'],
    registers: [this.registry],
  });
  readonly authFailures = new Counter({
    name: 'medloop_auth_failures_total',
    help: 'Failed secret checks by channel (http sign-in | mqtt CONNECT | badge PIN | witness password) and reason (bad_credentials | locked)',
    labelNames: ['channel', 'reason'],
    registers: [this.registry],
  });
  readonly authLockouts = new Counter({
    name: 'medloop_auth_lockouts_total',
    help: '(username, address) pairs, badges or source addresses locked after repeated failures, by channel and scope (pair | badge | address); a username or device id alone is never locked',
    labelNames: ['channel', 'scope'],
    registers: [this.registry],
  });
  readonly authUnattributed = new Counter({
    name: 'medloop_auth_unattributed_total',
    help: 'Secret checks without a source address (limited per name only, never per source), by channel',
    labelNames: ['channel'],
    registers: [this.registry],
  });
  readonly securityDenials = new Counter({
    name: 'medloop_security_denials_total',
    help: 'Requests refused for lack of authentication or permission, by channel and reason',
    labelNames: ['channel', 'reason'],
    registers: [this.registry],
  });

  readonly telemetrySamples = new Counter({
    name: 'medloop_telemetry_samples_total',
    help: 'Telemetry samples (one per device message) written to the time series, or dropped after the database refused them past the in-memory backlog',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly telemetryFlushFailures = new Counter({
    name: 'medloop_telemetry_flush_failures_total',
    help: 'Telemetry batch writes the database refused (the batch is kept and retried)',
    registers: [this.registry],
  });
  readonly telemetryPurged = new Counter({
    name: 'medloop_telemetry_purged_total',
    help: 'Telemetry rows removed by retention, raw samples or per-minute rollups',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly telemetryPending = new Gauge({
    name: 'medloop_telemetry_pending',
    help: 'Telemetry waiting in memory to be written after the last flush: samples, or rollup buckets',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly robotActionErrors = new Counter({
    name: 'medloop_robot_action_errors_total',
    help: 'Robot errors (validationError, actionFailed, …) about instant actions MedLoop sent, by VDA 5050 errorType',
    labelNames: ['errorType'],
    registers: [this.registry],
  });
  readonly vdaLeniency = new Counter({
    name: 'medloop_vda_leniency_total',
    help: 'Robot VDA 5050 messages accepted only by a named leniency (libs/contracts/src/vda5050/vda5050.leniency.ts), by robot (manufacturer/serialNumber, a registered robot) and kind',
    labelNames: ['robot', 'kind'],
    registers: [this.registry],
  });
  readonly instantActionsUnsubscribed = new Counter({
    name: 'medloop_vda_instant_actions_unsubscribed_total',
    help: 'Instant actions sent to a connected robot that still had no subscription to its instantActions topic after the wait (likely lost)',
    registers: [this.registry],
  });
  readonly vdaDialectMessages = new Counter({
    name: 'medloop_vda_dialect_messages_total',
    help: 'VDA 5050 messages MedLoop sent, by topic and the dialect chosen from the robot version (vda5050.dialect.ts)',
    labelNames: ['topic', 'dialect'],
    registers: [this.registry],
  });
  readonly robotMapMismatch = new Counter({
    name: 'medloop_robot_map_mismatch_total',
    help: 'Robot states naming a node of one map with another map id (e.g. the old floor after a lift ride), by robot device id',
    labelNames: ['robot'],
    registers: [this.registry],
  });
  readonly deviceClockSkew = new Counter({
    name: 'medloop_device_clock_skew_total',
    help: 'Device messages whose own ts was off the receipt time by more than DEVICE_CLOCK_MAX_SKEW_S (future, or past and not inside a silent gap), by device kind and direction',
    labelNames: ['kind', 'direction'],
    registers: [this.registry],
  });
  readonly deviceReadingsBackfilled = new Counter({
    name: 'medloop_device_readings_backfilled_total',
    help: 'Device messages stamped inside a silence the server clock confirms (kept at their device time), by device kind',
    labelNames: ['kind'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'medloop_' });
  }

  rejectedInput(channel: 'mqtt' | 'http' | 'ws', family: string, reason: string): void {
    this.rejected.inc({ channel, family, reason });
  }
}
