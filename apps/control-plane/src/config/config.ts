/**
 * The control plane's configuration: read once from the environment (and `.env`), validated
 * into a typed object, and handed to every module. A bad value stops the process with a
 * message naming the variable, before anything listens or touches the database.
 */
import proxyaddr from 'proxy-addr';
import { z } from 'zod';
import { custodyLogOrigin, REFRIGERATED_PROFILE } from '#domain';

const port = (name: string, def: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) {
        ctx.addIssue({ code: 'custom', message: `${name} must be an integer port 0-65535 (0 = any free port), got '${v}'` });
        return z.NEVER;
      }
      return n;
    });

/** A listener that can also be switched off with `off`. */
const optionalPort = (name: string, def: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return def;
      if (v === 'off') return null;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) {
        ctx.addIssue({ code: 'custom', message: `${name} must be an integer port 0-65535 or 'off', got '${v}'` });
        return z.NEVER;
      }
      return n;
    });

/** A yes/no setting: `true`/`false` (also 1/0, yes/no, on/off). */
const flag = (name: string, def: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return def;
      const t = v.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(t)) return true;
      if (['false', '0', 'no', 'off'].includes(t)) return false;
      ctx.addIssue({ code: 'custom', message: `${name} must be true or false, got '${v}'` });
      return z.NEVER;
    });

const positiveInt = (name: string, def: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a positive integer, got '${v}'` });
        return z.NEVER;
      }
      return n;
    });

/** A whole number of seconds that may be 0 (e.g. "quarantine at once"). */
const nonNegativeInt = (name: string, def: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a non-negative integer, got '${v}'` });
        return z.NEVER;
      }
      return n;
    });

/** A positive (possibly fractional) number, e.g. a rate in Hz. */
const positiveNumber = (name: string, def: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return def;
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0 || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a number greater than 0 and at most ${max}, got '${v}'` });
        return z.NEVER;
      }
      return n;
    });

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const envSchema = z
  .object({
    HTTP_HOST: z.string().default('0.0.0.0'),
    HTTP_PORT: port('HTTP_PORT', 3000),
    MQTT_HOST: z.string().default('0.0.0.0'),
    MQTT_PORT: port('MQTT_PORT', 1883),
    MQTT_WS_PORT: optionalPort('MQTT_WS_PORT', 8083),
    MQTT_TLS_PORT: port('MQTT_TLS_PORT', 8883),
    MQTT_TLS_CERT: z.string().optional(),
    MQTT_TLS_KEY: z.string().optional(),
    MQTT_MAX_PACKET_BYTES: positiveInt('MQTT_MAX_PACKET_BYTES', 256 * 1024),
    DEVICE_REJECT_MAX_PER_SEC: positiveInt('DEVICE_REJECT_MAX_PER_SEC', 10),
    DEVICE_REJECT_MAX_BYTES_PER_SEC: positiveInt('DEVICE_REJECT_MAX_BYTES_PER_SEC', 256 * 1024),
    DEVICE_REJECT_BURST_MS: positiveInt('DEVICE_REJECT_BURST_MS', 5_000),
    DEVICE_REJECT_THROTTLE_MS: positiveInt('DEVICE_REJECT_THROTTLE_MS', 10_000),
    DATA_DIR: z.string().default('./data'),
    SQLITE_SYNCHRONOUS: z
      .string()
      .optional()
      .transform((v, ctx) => {
        const s = (v || 'FULL').toUpperCase();
        if (s === 'FULL' || s === 'NORMAL') return s;
        ctx.addIssue({
          code: 'custom',
          message: `SQLITE_SYNCHRONOUS must be FULL (a commit survives a power loss) or NORMAL (a process crash only), got '${v}'`,
        });
        return z.NEVER;
      }),
    SQLITE_BUSY_TIMEOUT_MS: positiveInt('SQLITE_BUSY_TIMEOUT_MS', 5_000),
    DATABASE_URL: z
      .string()
      .optional()
      .refine((v) => v === undefined || v === '' || /^postgres(ql)?:\/\//.test(v), {
        message: 'DATABASE_URL must be a postgres:// URL (leave it unset for the embedded SQLite database)',
      }),
    DATABASE_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'DATABASE_SCHEMA must be a lower-case SQL identifier')
      .optional(),
    ADMIN_PASSWORD: z.string().min(12, 'ADMIN_PASSWORD must be at least 12 characters').optional(),
    JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters').optional(),
    JWT_TTL_SECONDS: positiveInt('JWT_TTL_SECONDS', 15 * 60),
    SESSION_MAX_SECONDS: positiveInt('SESSION_MAX_SECONDS', 12 * 3600),
    SESSION_IDLE_SECONDS: positiveInt('SESSION_IDLE_SECONDS', 2 * 3600),
    TRUSTED_PROXIES: z
      .string()
      .optional()
      .transform((v, ctx) => {
        const list = (v ?? '')
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x !== '');
        // proxy-addr, which applies the list, judges each entry (an address, a CIDR range or
        // mask, or one of its names): what it would throw on at the first request fails here
        const bad = list.find((x) => {
          try {
            proxyaddr.compile(x);
            return false;
          } catch {
            return true;
          }
        });
        if (bad !== undefined) {
          ctx.addIssue({ code: 'custom', message: `TRUSTED_PROXIES: '${bad}' is not an IP address, a CIDR range or loopback/linklocal/uniquelocal` });
          return z.NEVER;
        }
        return list;
      }),
    AUTH_MAX_FAILURES: positiveInt('AUTH_MAX_FAILURES', 5),
    AUTH_MAX_FAILURES_PER_ADDRESS: positiveInt('AUTH_MAX_FAILURES_PER_ADDRESS', 50),
    AUTH_FAILURE_WINDOW_MS: positiveInt('AUTH_FAILURE_WINDOW_MS', 15 * 60_000),
    AUTH_LOCKOUT_MS: positiveInt('AUTH_LOCKOUT_MS', 15 * 60_000),
    AUTH_MAX_LOCKOUT_MS: positiveInt('AUTH_MAX_LOCKOUT_MS', 24 * 3600_000),
    AUTH_USERNAME_DELAY_MS: nonNegativeInt('AUTH_USERNAME_DELAY_MS', 250),
    AUTH_USERNAME_MAX_DELAY_MS: nonNegativeInt('AUTH_USERNAME_MAX_DELAY_MS', 3_000),
    AUTH_BADGE_MAX_FAILURES: positiveInt('AUTH_BADGE_MAX_FAILURES', 20),
    AUTH_MQTT_MAX_FAILURES_PER_ADDRESS: positiveInt('AUTH_MQTT_MAX_FAILURES_PER_ADDRESS', 100),
    AUTH_MQTT_WINDOW_MS: positiveInt('AUTH_MQTT_WINDOW_MS', 60_000),
    AUTH_MQTT_TARPIT_MS: nonNegativeInt('AUTH_MQTT_TARPIT_MS', 2_000),
    LOG_LEVEL: z.enum(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
    DEVICE_PRESENCE_FLUSH_MS: positiveInt('DEVICE_PRESENCE_FLUSH_MS', 10_000),
    SITE_FILE: z.string().optional(),
    ROBOT_STALE_AFTER_MS: positiveInt('ROBOT_STALE_AFTER_MS', 45_000),
    ORDER_ACK_TIMEOUT_MS: positiveInt('ORDER_ACK_TIMEOUT_MS', 3_000),
    ORDER_MAX_ATTEMPTS: positiveInt('ORDER_MAX_ATTEMPTS', 5),
    DISPATCH_INTERVAL_MS: positiveInt('DISPATCH_INTERVAL_MS', 1_000),
    HEALTH_STALL_AFTER_MS: positiveInt('HEALTH_STALL_AFTER_MS', 30_000),
    BATTERY_RESERVE_PCT: positiveInt('BATTERY_RESERVE_PCT', 15),
    LOW_BATTERY_PCT: positiveInt('LOW_BATTERY_PCT', 25),
    ROBOT_OFFLINE_GRACE_MS: positiveInt('ROBOT_OFFLINE_GRACE_MS', 60_000),
    DELIVERY_RECEIPT_ALARM_MS: positiveInt('DELIVERY_RECEIPT_ALARM_MS', 15 * 60_000),
    DELIVERY_LOST_MS: positiveInt('DELIVERY_LOST_MS', 60 * 60_000),
    CUSTODY_TICK_MS: positiveInt('CUSTODY_TICK_MS', 10_000),
    // the bedside dose right: how far the amount given may differ from the ordered one (percent)
    DOSE_TOLERANCE_PCT: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v === '') return 5;
        const n = Number(v);
        if (!Number.isFinite(n) || n < 0 || n > 25) {
          ctx.addIssue({ code: 'custom', message: `DOSE_TOLERANCE_PCT must be a number of percent from 0 to 25, got '${v}'` });
          return z.NEVER;
        }
        return n;
      }),
    // a bedside override not reviewed by a pharmacist this long after it was recorded raises an alarm; 0 = never
    OVERRIDE_REVIEW_AFTER_MS: nonNegativeInt('OVERRIDE_REVIEW_AFTER_MS', 24 * 3600_000),
    // a due dose with nothing recorded this long after its scheduled time raises custody.dose_late (0 = at the scheduled time)
    DOSE_LATE_GRACE_MS: nonNegativeInt('DOSE_LATE_GRACE_MS', 15 * 60_000),
    UNLOCK_CONFIRM_TIMEOUT_MS: positiveInt('UNLOCK_CONFIRM_TIMEOUT_MS', 10_000),
    // site policy: a controlled drug rides a robot only where the site allows it (then per drug)
    POLICY_CONTROLLED_ROBOT_TRANSPORT: flag('POLICY_CONTROLLED_ROBOT_TRANSPORT', false),
    // site policy: the pharmacist who entered an order may not verify it (separation of duties)
    POLICY_ORDER_SEPARATION_OF_DUTIES: flag('POLICY_ORDER_SEPARATION_OF_DUTIES', true),
    IDEMPOTENCY_RETENTION_HOURS: positiveInt('IDEMPOTENCY_RETENTION_HOURS', 24),
    STORE_PROBE_MS: positiveInt('STORE_PROBE_MS', 1_000),
    COMMAND_ACK_TIMEOUT_MS: positiveInt('COMMAND_ACK_TIMEOUT_MS', 10_000),
    DEVICE_CLOCK_MAX_SKEW_S: positiveInt('DEVICE_CLOCK_MAX_SKEW_S', 30),
    COLD_CHAIN_MIN_EXCURSION_S: nonNegativeInt('COLD_CHAIN_MIN_EXCURSION_S', REFRIGERATED_PROFILE.minExcursionS),
    COLD_CHAIN_QUARANTINE_AFTER_S: nonNegativeInt('COLD_CHAIN_QUARANTINE_AFTER_S', REFRIGERATED_PROFILE.quarantineAfterS),
    COLD_CHAIN_RECOVER_S: nonNegativeInt('COLD_CHAIN_RECOVER_S', REFRIGERATED_PROFILE.recoverS),
    TELEMETRY_FLUSH_MS: positiveInt('TELEMETRY_FLUSH_MS', 1_000),
    TELEMETRY_FLUSH_ROWS: positiveInt('TELEMETRY_FLUSH_ROWS', 500),
    TELEMETRY_RETENTION_HOURS: positiveInt('TELEMETRY_RETENTION_HOURS', 48),
    TELEMETRY_ROLLUP_RETENTION_DAYS: positiveInt('TELEMETRY_ROLLUP_RETENTION_DAYS', 90),
    TELEMETRY_PURGE_INTERVAL_MS: positiveInt('TELEMETRY_PURGE_INTERVAL_MS', 3_600_000),
    ALARM_RULE_TICK_MS: positiveInt('ALARM_RULE_TICK_MS', 5_000),
    ALARM_ESCALATION_CHECK_MS: positiveInt('ALARM_ESCALATION_CHECK_MS', 5_000),
    ALARM_ESCALATION_SPEEDUP: positiveInt('ALARM_ESCALATION_SPEEDUP', 1),
    SITE_TIME_ZONE: z
      .string()
      .default('Asia/Shanghai')
      .refine((tz) => isTimeZone(tz), { message: 'must be an IANA time zone such as Asia/Shanghai' }),
    LIVE_POSITION_HZ: positiveNumber('LIVE_POSITION_HZ', 2, 50),
    LIVE_REPLAY_BUFFER: positiveInt('LIVE_REPLAY_BUFFER', 1000),
    LIVE_CLIENT_MAX_BUFFER: positiveInt('LIVE_CLIENT_MAX_BUFFER', 64),
    LIVE_BATCH_MS: positiveInt('LIVE_BATCH_MS', 10),
    LIVE_SENSOR_INTERVAL_MS: positiveInt('LIVE_SENSOR_INTERVAL_MS', 60_000),
    WEB_DIR: z.string().default('dist/apps/web'),
    // the custody log's signed checkpoints (audit-anchor/): the site names the log and its key
    SITE_ID: z
      .string()
      .default('demo')
      .refine((v) => siteIdOk(v), {
        message: "SITE_ID must be lower-case letters, digits, '-' and '.' (e.g. st-marys), as the log's origin medloop.<SITE_ID>/custody",
      }),
    AUDIT_KEY_FILE: z.string().optional(),
    AUDIT_PUBLIC_KEYS_FILE: z.string().optional(),
    CHECKPOINT_FILE: z.string().optional(),
    CHECKPOINT_EVERY_EVENTS: positiveInt('CHECKPOINT_EVERY_EVENTS', 100),
    CHECKPOINT_EVERY_SECONDS: positiveInt('CHECKPOINT_EVERY_SECONDS', 60),
    // outside witnesses the checkpoints are pushed to (c2sp.org/tlog-witness): base URLs, comma-separated
    WITNESS_URLS: z
      .string()
      .optional()
      .transform((v, ctx) => {
        const list = (v ?? '')
          .split(',')
          .map((x) => x.trim().replace(/\/+$/, ''))
          .filter((x) => x !== '');
        const bad = list.find((x) => {
          try {
            const u = new URL(x);
            return !['http:', 'https:'].includes(u.protocol) || u.search !== '' || u.hash !== '' || u.username !== '' || u.password !== '';
          } catch {
            return true;
          }
        });
        if (bad !== undefined) {
          ctx.addIssue({ code: 'custom', message: `WITNESS_URLS: '${bad}' is not an http(s) base URL (no query, fragment or credentials)` });
          return z.NEVER;
        }
        if (new Set(list).size !== list.length) {
          ctx.addIssue({ code: 'custom', message: 'WITNESS_URLS names a witness twice' });
          return z.NEVER;
        }
        return list;
      }),
    WITNESS_ALARM_AFTER_FAILURES: positiveInt('WITNESS_ALARM_AFTER_FAILURES', 3),
    WITNESS_TIMEOUT_MS: positiveInt('WITNESS_TIMEOUT_MS', 5_000),
  })
  .superRefine((env, ctx) => {
    // the in-memory sign-in limiter expires its keys with timers, which cannot wait longer than 2^31-1 ms
    for (const name of ['AUTH_FAILURE_WINDOW_MS', 'AUTH_LOCKOUT_MS', 'AUTH_MAX_LOCKOUT_MS', 'AUTH_MQTT_WINDOW_MS'] as const)
      if (env[name] > 2_147_483_000) ctx.addIssue({ code: 'custom', path: [name], message: `${name} must be at most 2147483000 (24 days), got ${env[name]}` });
    if (env.AUTH_MAX_LOCKOUT_MS < env.AUTH_LOCKOUT_MS)
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_MAX_LOCKOUT_MS'],
        message: `AUTH_MAX_LOCKOUT_MS (${env.AUTH_MAX_LOCKOUT_MS}) must be at least AUTH_LOCKOUT_MS (${env.AUTH_LOCKOUT_MS})`,
      });
    if (!!env.MQTT_TLS_CERT !== !!env.MQTT_TLS_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: [env.MQTT_TLS_CERT ? 'MQTT_TLS_KEY' : 'MQTT_TLS_CERT'],
        message: 'MQTT_TLS_CERT and MQTT_TLS_KEY must be set together',
      });
    }
    if (env.COLD_CHAIN_QUARANTINE_AFTER_S !== 0 && env.COLD_CHAIN_QUARANTINE_AFTER_S < env.COLD_CHAIN_MIN_EXCURSION_S) {
      // an excursion is confirmed only after minExcursionS: a quarantine cannot come first
      ctx.addIssue({
        code: 'custom',
        path: ['COLD_CHAIN_QUARANTINE_AFTER_S'],
        message: `COLD_CHAIN_QUARANTINE_AFTER_S (${env.COLD_CHAIN_QUARANTINE_AFTER_S}) must be 0 or at least COLD_CHAIN_MIN_EXCURSION_S (${env.COLD_CHAIN_MIN_EXCURSION_S})`,
      });
    }
  });

export interface AppConfig {
  http: { host: string; port: number };
  mqtt: {
    host: string;
    port: number;
    wsPort: number | null;
    tls: { port: number; certPath: string; keyPath: string } | null;
    maxPacketBytes: number;
    /**
     * rejected input one device may send: a device over it has its messages dropped unread
     * for throttleMs, and is disconnected if it keeps sending (a `device.input_flood` alarm)
     */
    rejectionBudget: {
      maxPerSec: number;
      maxBytesPerSec: number;
      /** each budget holds this many milliseconds of its rate: the burst a device may send */
      burstMs: number;
      throttleMs: number;
    };
  };
  database:
    | {
        type: 'sqlite';
        path: string;
        /** FULL: every commit is synced to disk (survives a power loss); NORMAL: only at checkpoints */
        synchronous: 'FULL' | 'NORMAL';
        /** how long a statement waits for another process's lock before failing */
        busyTimeoutMs: number;
      }
    | { type: 'postgres'; url: string; schema?: string };
  dataDir: string;
  adminPassword?: string;
  /** ttlSeconds: an access token's lifetime (short: a revoked session ends at once anyway, see AuthService) */
  jwt: { secret?: string; ttlSeconds: number };
  /** a signed-in session (its rotating refresh token): at most maxSeconds from sign-in, idleSeconds without a refresh */
  sessions: { maxSeconds: number; idleSeconds: number };
  /**
   * proxies whose forwarded client address is believed (X-Forwarded-For on HTTP and on MQTT over
   * WebSocket): addresses, CIDR ranges or proxy-addr's names; empty = the socket's own address
   */
  trustedProxies: string[];
  /**
   * brute-force protection of people's secrets (sign-in, witness password, badge PIN) and of
   * MQTT CONNECT (auth/login-attempts.service.ts): nothing locks a name from everywhere
   */
  authThrottle: {
    /** failures of one username or badge from one source address within the window that lock that pair */
    maxFailures: number;
    /** failures (and refused attempts) from one source address, over any username or badge, that lock the address */
    maxFailuresPerAddress: number;
    windowMs: number;
    /** first lock; each further lock of the same key doubles, up to maxLockoutMs */
    lockoutMs: number;
    maxLockoutMs: number;
    /** a username's failures from every source slow its checks: from the maxFailures-th, this, doubling, capped */
    usernameDelayMs: number;
    usernameMaxDelayMs: number;
    /** wrong PINs of one badge from every source within the window that lock the badge everywhere */
    badgeMaxFailures: number;
    /** bad CONNECTs from one source address within mqttWindowMs before its CONNECTs are refused to the window's end */
    mqttMaxFailuresPerAddress: number;
    mqttWindowMs: number;
    /** the longest a failed CONNECT's answer is held back (the tarpit grows with the address's failures; 0: off) */
    mqttTarpitMs: number;
  };
  logLevel: (typeof LOG_LEVELS)[number];
  devicePresenceFlushMs: number;
  /** a database write or a dispatch round running longer than this makes /health degraded */
  healthStallAfterMs: number;
  /** while writes fail, how often a probe write checks whether the database commits again */
  storeProbeMs: number;
  /** how long an Idempotency-Key and its first outcome are kept */
  idempotencyRetentionHours: number;
  /** a site JSON file; unset = the built-in demo hospital */
  siteFile?: string;
  /** site policy settings (documented in the README's "Site policy" table) */
  policy: {
    /** controlled drugs may be carried by robot at all (then only those whose medication allows it) */
    controlledRobotTransport: boolean;
    /** the user who entered an order may not verify it */
    orderSeparationOfDuties: boolean;
  };
  custody: {
    /** a delivery not received this long after dispatch/arrival raises an alarm */
    receiptAlarmMs: number;
    /** …and this long after, its doses are declared lost */
    lostAfterMs: number;
    tickMs: number;
    /** how long an unlock waits for the robot's state to show the compartment unlocked before it answers that it was not confirmed */
    unlockConfirmTimeoutMs: number;
    /** relative difference from the ordered amount still counted as the right dose (0.05 = ±5 %; DOSE_TOLERANCE_PCT) */
    doseTolerance: number;
    /** an override unreviewed this long raises `custody.override_unreviewed`; null = never (OVERRIDE_REVIEW_AFTER_MS=0) */
    overrideReviewAfterMs: number | null;
    /** a due dose unrecorded this long past its scheduled time raises `custody.dose_late` (DOSE_LATE_GRACE_MS) */
    doseLateGraceMs: number;
  };
  fleet: {
    staleAfterMs: number;
    orderAckTimeoutMs: number;
    orderMaxAttempts: number;
    dispatchIntervalMs: number;
    batteryReservePct: number;
    lowBatteryPct: number;
    /** how long a mission waits for its robot to come back online before it fails */
    offlineGraceMs: number;
  };
  /** cabinets and ward sensors (v1 device protocol) */
  devices: {
    /** a command not acknowledged within this time is marked timed_out (and alarms) */
    commandAckTimeoutMs: number;
    /**
     * how far a device's own `ts` may be off the server's receipt time before it counts as
     * clock skew (and is clamped; see libs/domain/src/ingress/device-clock.ts)
     */
    clockMaxSkewMs: number;
  };
  /**
   * the cold-chain profile of refrigerated storage (2–8 °C): the durations are the server's
   * (judged) time; shorter ones are for tests and the demo
   */
  coldChain: { minExcursionS: number; quarantineAfterS: number; recoverS: number };
  telemetry: {
    flushMs: number;
    flushRows: number;
    retentionHours: number;
    rollupRetentionDays: number;
    purgeIntervalMs: number;
  };
  alarmEngine: {
    ruleTickMs: number;
    escalationCheckMs: number;
    /** divides the escalation policy's delays (tests and drills); 1 in production */
    escalationSpeedup: number;
    /** IANA zone of the hospital: times in alarm messages are shown in it */
    siteTimeZone: string;
  };
  live: {
    /** robot positions per robot per client per second (coalesced, latest wins) */
    positionHz: number;
    /** deltas each room keeps for clients resuming after a reconnect */
    replayBuffer: number;
    /** frames queued for one client past which it stops getting deltas until it drains */
    clientMaxBuffer: number;
    /** under load, deltas and positions go out at most once per this many ms (one frame per client) */
    batchMs: number;
    /** a sensor's reading reaches live rooms at most this often (newest wins) */
    sensorIntervalMs: number;
  };
  /** the built web UI served at `/`; null = not served */
  webDir: string | null;
  /** signed checkpoints of the custody log, anchored outside the database (audit-anchor/) */
  audit: {
    siteId: string;
    /** `medloop.<siteId>/custody`: the checkpoints' origin and the signing key's name */
    origin: string;
    /** the Ed25519 signing key (Go signed-note signer text), 0600; generated when absent */
    keyFile: string;
    /** verifier keys of retired signing keys, one per line; null = none */
    publicKeysFile: string | null;
    /** append-only signed checkpoints: on another volume or host than the database in production */
    checkpointFile: string;
    everyEvents: number;
    everySeconds: number;
    /** outside witnesses each checkpoint is pushed to (base URLs, no trailing slash); empty = none */
    witnessUrls: string[];
    /** consecutive failed pushes to one witness that raise `audit.witness_unreachable` */
    witnessAlarmAfterFailures: number;
    /** how long one push waits for a witness's answer */
    witnessTimeoutMs: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses an environment (process.env by default) into the typed configuration. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? 'environment'), message: i.message })));
  }
  const e = parsed.data;
  const dataDir = e.DATA_DIR;
  return {
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT },
    mqtt: {
      host: e.MQTT_HOST,
      port: e.MQTT_PORT,
      wsPort: e.MQTT_WS_PORT,
      tls: e.MQTT_TLS_CERT && e.MQTT_TLS_KEY ? { port: e.MQTT_TLS_PORT, certPath: e.MQTT_TLS_CERT, keyPath: e.MQTT_TLS_KEY } : null,
      maxPacketBytes: e.MQTT_MAX_PACKET_BYTES,
      rejectionBudget: {
        maxPerSec: e.DEVICE_REJECT_MAX_PER_SEC,
        maxBytesPerSec: e.DEVICE_REJECT_MAX_BYTES_PER_SEC,
        burstMs: e.DEVICE_REJECT_BURST_MS,
        throttleMs: e.DEVICE_REJECT_THROTTLE_MS,
      },
    },
    database: e.DATABASE_URL
      ? { type: 'postgres', url: e.DATABASE_URL, ...(e.DATABASE_SCHEMA ? { schema: e.DATABASE_SCHEMA } : {}) }
      : {
          type: 'sqlite',
          path: `${dataDir.replace(/\/$/, '')}/medloop.sqlite`,
          synchronous: e.SQLITE_SYNCHRONOUS,
          busyTimeoutMs: e.SQLITE_BUSY_TIMEOUT_MS,
        },
    dataDir,
    ...(e.ADMIN_PASSWORD ? { adminPassword: e.ADMIN_PASSWORD } : {}),
    jwt: { ...(e.JWT_SECRET ? { secret: e.JWT_SECRET } : {}), ttlSeconds: e.JWT_TTL_SECONDS },
    sessions: { maxSeconds: e.SESSION_MAX_SECONDS, idleSeconds: e.SESSION_IDLE_SECONDS },
    trustedProxies: e.TRUSTED_PROXIES,
    authThrottle: {
      maxFailures: e.AUTH_MAX_FAILURES,
      maxFailuresPerAddress: e.AUTH_MAX_FAILURES_PER_ADDRESS,
      windowMs: e.AUTH_FAILURE_WINDOW_MS,
      lockoutMs: e.AUTH_LOCKOUT_MS,
      maxLockoutMs: e.AUTH_MAX_LOCKOUT_MS,
      usernameDelayMs: e.AUTH_USERNAME_DELAY_MS,
      usernameMaxDelayMs: e.AUTH_USERNAME_MAX_DELAY_MS,
      badgeMaxFailures: e.AUTH_BADGE_MAX_FAILURES,
      mqttMaxFailuresPerAddress: e.AUTH_MQTT_MAX_FAILURES_PER_ADDRESS,
      mqttWindowMs: e.AUTH_MQTT_WINDOW_MS,
      mqttTarpitMs: e.AUTH_MQTT_TARPIT_MS,
    },
    logLevel: e.LOG_LEVEL,
    devicePresenceFlushMs: e.DEVICE_PRESENCE_FLUSH_MS,
    healthStallAfterMs: e.HEALTH_STALL_AFTER_MS,
    storeProbeMs: e.STORE_PROBE_MS,
    idempotencyRetentionHours: e.IDEMPOTENCY_RETENTION_HOURS,
    ...(e.SITE_FILE ? { siteFile: e.SITE_FILE } : {}),
    policy: {
      controlledRobotTransport: e.POLICY_CONTROLLED_ROBOT_TRANSPORT,
      orderSeparationOfDuties: e.POLICY_ORDER_SEPARATION_OF_DUTIES,
    },
    custody: {
      receiptAlarmMs: e.DELIVERY_RECEIPT_ALARM_MS,
      lostAfterMs: e.DELIVERY_LOST_MS,
      tickMs: e.CUSTODY_TICK_MS,
      unlockConfirmTimeoutMs: e.UNLOCK_CONFIRM_TIMEOUT_MS,
      doseTolerance: e.DOSE_TOLERANCE_PCT / 100,
      overrideReviewAfterMs: e.OVERRIDE_REVIEW_AFTER_MS === 0 ? null : e.OVERRIDE_REVIEW_AFTER_MS,
      doseLateGraceMs: e.DOSE_LATE_GRACE_MS,
    },
    fleet: {
      staleAfterMs: e.ROBOT_STALE_AFTER_MS,
      orderAckTimeoutMs: e.ORDER_ACK_TIMEOUT_MS,
      orderMaxAttempts: e.ORDER_MAX_ATTEMPTS,
      dispatchIntervalMs: e.DISPATCH_INTERVAL_MS,
      batteryReservePct: e.BATTERY_RESERVE_PCT,
      lowBatteryPct: e.LOW_BATTERY_PCT,
      offlineGraceMs: e.ROBOT_OFFLINE_GRACE_MS,
    },
    devices: { commandAckTimeoutMs: e.COMMAND_ACK_TIMEOUT_MS, clockMaxSkewMs: e.DEVICE_CLOCK_MAX_SKEW_S * 1000 },
    coldChain: { minExcursionS: e.COLD_CHAIN_MIN_EXCURSION_S, quarantineAfterS: e.COLD_CHAIN_QUARANTINE_AFTER_S, recoverS: e.COLD_CHAIN_RECOVER_S },
    telemetry: {
      flushMs: e.TELEMETRY_FLUSH_MS,
      flushRows: e.TELEMETRY_FLUSH_ROWS,
      retentionHours: e.TELEMETRY_RETENTION_HOURS,
      rollupRetentionDays: e.TELEMETRY_ROLLUP_RETENTION_DAYS,
      purgeIntervalMs: e.TELEMETRY_PURGE_INTERVAL_MS,
    },
    alarmEngine: {
      ruleTickMs: e.ALARM_RULE_TICK_MS,
      escalationCheckMs: e.ALARM_ESCALATION_CHECK_MS,
      escalationSpeedup: e.ALARM_ESCALATION_SPEEDUP,
      siteTimeZone: e.SITE_TIME_ZONE,
    },
    live: {
      positionHz: e.LIVE_POSITION_HZ,
      replayBuffer: e.LIVE_REPLAY_BUFFER,
      clientMaxBuffer: e.LIVE_CLIENT_MAX_BUFFER,
      batchMs: e.LIVE_BATCH_MS,
      sensorIntervalMs: e.LIVE_SENSOR_INTERVAL_MS,
    },
    webDir: e.WEB_DIR === 'off' ? null : e.WEB_DIR,
    audit: {
      siteId: e.SITE_ID,
      origin: custodyLogOrigin(e.SITE_ID),
      keyFile: e.AUDIT_KEY_FILE || `${dataDir.replace(/\/$/, '')}/keys/custody.key`,
      publicKeysFile: e.AUDIT_PUBLIC_KEYS_FILE || null,
      checkpointFile: e.CHECKPOINT_FILE || `${dataDir.replace(/\/$/, '')}/checkpoints/custody.log`,
      everyEvents: e.CHECKPOINT_EVERY_EVENTS,
      everySeconds: e.CHECKPOINT_EVERY_SECONDS,
      witnessUrls: e.WITNESS_URLS,
      witnessAlarmAfterFailures: e.WITNESS_ALARM_AFTER_FAILURES,
      witnessTimeoutMs: e.WITNESS_TIMEOUT_MS,
    },
  };
}

function siteIdOk(site: string): boolean {
  try {
    custodyLogOrigin(site);
    return true;
  } catch {
    return false;
  }
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Injection token for the AppConfig object. */
export const APP_CONFIG = Symbol('APP_CONFIG');
