/**
 * Brute-force protection for every secret a person or device presents (HTTP sign-in, a
 * witness's password, a badge PIN, MQTT CONNECT), built so that it cannot be turned against
 * the people it protects: nothing locks a name from everywhere.
 *
 * - People's passwords (at sign-in or as a witness: one password, one key space): failures
 *   are counted per (username, source address) pair and per source address over any username
 *   (an IPv6 source is its host address; its /64 is counted too, at four times the limit);
 *   reaching a limit locks that pair or that source, each further lock of it twice as long. A
 *   username's failures from every source only slow its checks (a delay before the check,
 *   doubling, capped at a few seconds): guesses from one place never keep its owner out from
 *   another.
 * - Badge PINs (a PIN belongs to the badge, whoever presents it): per (badge, source) pair,
 *   per source (with the passwords: both come over HTTP) and per badge from everywhere at a
 *   much higher limit — a PIN is a few digits, so a guess spread over many sources must end too.
 * - Devices (MQTT CONNECT): never locked by id — the ids are listed to every role, and a
 *   256-bit secret is not guessed. Its check is a sha256, so it is always made and a right
 *   secret is always let in, whatever its source did before (a robot behind the same NAT as a
 *   misconfigured one must still connect). Bad CONNECTs are counted per source address in a key
 *   space of their own (they never lock that address's people out): past the limit the source
 *   is listed, logged and alarmed as locked until its window ends, and a failed CONNECT's answer
 *   is held back the more its source fails (a tarpit); a right secret is never delayed.
 * An attempt without a source address is checked under the per-name limits only (a password:
 * its username's delay; a badge PIN: the badge's limit everywhere; a device: counted), and
 * counted: one shared key for all such clients would let any one of them lock all the others.
 *
 * While a pair, source or badge is locked, an attempt is refused before the secret is looked
 * at, so the answer never says whether it was right. Locks are logged, counted and alarmed; an
 * administrator lists and lifts them.
 *
 * The counters are rate-limiter-flexible limiters, in this process's memory (a restart lifts
 * every lock). A cluster of control planes shares them by building them on RateLimiterPostgres
 * (on the app's own database) or RateLimiterRedis instead: `limiter()` is the one place to
 * change, everything below uses the store-agnostic limiter API. The index of current locks
 * behind `list()` is this process's, re-read from the limiter when listed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { alarmKey } from '#domain';
import { UsersRepository } from '#persistence';
import { AlarmsService } from '../alarms/alarms.service.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { dummyHash } from './passwords.js';
import { type DelayPolicy, type LockPolicy, limiterSeconds, lockDurationMs, prefixKey, progressiveDelayMs, sourceKey } from './throttle-policy.js';

/** Where the secret was presented: the label of the metrics and logs. */
export type AuthChannel = 'http' | 'mqtt' | 'badge' | 'witness';
/** Whose secret it is: people's passwords (sign-in and witness alike), badge PINs, device secrets. */
type Space = 'http' | 'badge' | 'mqtt';
const SPACE: Readonly<Record<AuthChannel, Space>> = { http: 'http', witness: 'http', mqtt: 'mqtt', badge: 'badge' };

export interface LockoutView {
  /** `pair`: a username or badge from one source address; `address`: a source, whatever it names; `badge`: a badge from everywhere */
  scope: 'pair' | 'address' | 'badge';
  /** the key space: `http` people's passwords (for an address: badge PINs too, they come over HTTP), `badge` PINs, `mqtt` device CONNECTs */
  channel: Space;
  /** the username or badge GSRN; for an address lock, the address */
  subject: string;
  /** the source of a pair or address lock (an IPv6 host, or for an address lock possibly its /64); null for a badge locked everywhere */
  address: string | null;
  lockedUntil: string;
  /** how many times in a row this was locked (each lock lasts twice the one before) */
  locks: number;
  /**
   * refused: attempts are refused unread until lockedUntil; slowed: a source of bad MQTT
   * CONNECTs, whose failures are answered slowly until then (a right secret still connects)
   */
  effect: 'refused' | 'slowed';
}

/** One counter an attempt passes. */
interface Gate {
  limiter: RateLimiterAbstract;
  key: string;
  /** what reaching the limit locks */
  lock: Omit<LockoutView, 'lockedUntil' | 'locks' | 'effect'>;
  /** a source counts refused attempts too (hammering at a lock is hostile); a name, checked failures only */
  countsRefusals: boolean;
  /** a success forgives a pair's failures; elsewhere it takes back only its own attempt */
  forgives: boolean;
  /** refused to the end of its window (MQTT's rate limit) rather than for a doubling lock */
  windowOnly: boolean;
}

interface LockRecord {
  limiter: RateLimiterAbstract;
  key: string;
  view: LockoutView;
  until: number;
}

type Taken = { ok: true; res: RateLimiterRes } | { ok: false; retryMs: number };

/** a counter that never refuses (the username delay's and the lock history's) */
const COUNT_ONLY = Number.MAX_SAFE_INTEGER;
/** the index of current locks keeps at most this many (the locks themselves stay in the limiter) */
const MAX_LISTED = 10_000;
/** a source's first three bad CONNECTs are answered at once, then 100 ms, doubling to the configured tarpit */
const TARPIT: Omit<DelayPolicy, 'maxMs'> = { after: 3, firstMs: 100 };

/** an IPv6 /64 (many hosts: a subscriber's block, a ward's VDI pool) locks at this many times one host's limit */
const PREFIX_FACTOR = 4;

/** The one place a shared store goes: RateLimiterPostgres / RateLimiterRedis take these options plus a `storeClient`. */
const limiter = (keyPrefix: string, points: number, durationMs: number): RateLimiterAbstract =>
  new RateLimiterMemory({ keyPrefix, points, duration: limiterSeconds(durationMs) });

async function take(l: RateLimiterAbstract, key: string): Promise<Taken> {
  try {
    return { ok: true, res: await l.consume(key) };
  } catch (err) {
    // a refusal is a RateLimiterRes; anything else is the store failing, which is not an answer
    if (err instanceof RateLimiterRes) return { ok: false, retryMs: Math.max(1000, err.msBeforeNext) };
    throw err;
  }
}

@Injectable()
export class LoginAttempts {
  private readonly pairs: RateLimiterAbstract;
  private readonly sources: RateLimiterAbstract;
  /** an IPv6 source's /64, at PREFIX_FACTOR times a host's limit */
  private readonly prefixes: RateLimiterAbstract;
  private readonly badges: RateLimiterAbstract;
  private readonly mqttSources: RateLimiterAbstract;
  /** failures per username from every source: the delay, never a lock */
  private readonly usernames: RateLimiterAbstract;
  /** locks so far per locked key, for the doubling */
  private readonly lockHistory: RateLimiterAbstract;
  private readonly lockPolicy: LockPolicy;
  private readonly usernameDelay: DelayPolicy;
  private readonly tarpit: DelayPolicy;
  private readonly locked = new Map<string, LockRecord>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: MetricsService,
    private readonly alarms: AlarmsService,
    private readonly users: UsersRepository,
  ) {
    const a = config.authThrottle;
    this.pairs = limiter('auth_pair', a.maxFailures, a.windowMs);
    this.sources = limiter('auth_source', a.maxFailuresPerAddress, a.windowMs);
    this.prefixes = limiter('auth_prefix', a.maxFailuresPerAddress * PREFIX_FACTOR, a.windowMs);
    this.badges = limiter('auth_badge', a.badgeMaxFailures, a.windowMs);
    this.mqttSources = limiter('auth_mqtt_source', a.mqttMaxFailuresPerAddress, a.mqttWindowMs);
    this.usernames = limiter('auth_username', COUNT_ONLY, a.windowMs);
    this.lockHistory = limiter('auth_locks', COUNT_ONLY, a.maxLockoutMs);
    this.lockPolicy = { lockoutMs: a.lockoutMs, maxLockoutMs: a.maxLockoutMs };
    this.usernameDelay = { after: a.maxFailures, firstMs: a.usernameDelayMs, maxMs: a.usernameMaxDelayMs };
    this.tarpit = { ...TARPIT, maxMs: a.mqttTarpitMs };
    // an unknown name's secret is verified against it: made now, so no first request pays for it
    void dummyHash();
  }

  /**
   * Runs one secret check under the throttle. Resolves `{ locked: retryAfterMs }` without
   * calling `check` while the pair, the source or (for a badge) the badge is locked.
   */
  async attempt<T>(
    channel: AuthChannel,
    username: string,
    address: string | undefined,
    check: () => Promise<T>,
    succeeded: (r: T) => boolean,
  ): Promise<{ locked: number } | { result: T }> {
    const space = SPACE[channel];
    const source = sourceKey(address);
    if (source === null) this.metrics.authUnattributed.inc({ channel });
    if (space === 'mqtt') return { result: await this.deviceAttempt(username, source, check, succeeded) };
    const passed: { gate: Gate; res: RateLimiterRes }[] = [];
    for (const gate of this.gates(space, username, source, prefixKey(address))) {
      const taken = await take(gate.limiter, gate.key);
      if (!taken.ok) {
        for (const p of passed) {
          if (!p.gate.countsRefusals) await p.gate.limiter.reward(p.gate.key);
          else if (p.res.consumedPoints >= p.gate.limiter.points) await this.lock(p.gate, p.res, channel);
        }
        this.metrics.authFailures.inc({ channel, reason: 'locked' });
        this.logger.warn({ channel, username, address, retryAfterMs: taken.retryMs }, 'sign-in refused: locked after repeated failures');
        return { locked: taken.retryMs };
      }
      passed.push({ gate, res: taken.res });
    }
    if (space === 'http') {
      // before the check, right or wrong alike: how long it took says nothing of the password
      const failures = (await this.usernames.get(usernameKey(username)))?.consumedPoints ?? 0;
      const wait = progressiveDelayMs(failures, this.usernameDelay);
      if (wait > 0) await sleep(wait);
    }
    let ok = false;
    try {
      const result = await check();
      ok = succeeded(result);
      return { result };
    } finally {
      if (ok) await Promise.all(passed.map((p) => (p.gate.forgives ? p.gate.limiter.delete(p.gate.key) : p.gate.limiter.reward(p.gate.key))));
      else await this.failed(channel, space, username, source, passed);
    }
  }

  /**
   * A device's CONNECT: checked first (a digest, nothing for a throttle to save), counted only
   * when wrong — so no number of failures, and no burst of right secrets reserving points
   * before their check, can refuse a right one.
   */
  private async deviceAttempt<T>(deviceId: string, source: string | null, check: () => Promise<T>, succeeded: (r: T) => boolean): Promise<T> {
    const result = await check();
    if (succeeded(result)) return result;
    this.metrics.authFailures.inc({ channel: 'mqtt', reason: 'bad_credentials' });
    if (source === null) {
      this.logger.warn({ channel: 'mqtt', username: deviceId }, 'failed CONNECT without a source address: not attributed to any source');
      return result;
    }
    const gate = this.gates('mqtt', deviceId, source, null)[0]!;
    const taken = await take(gate.limiter, gate.key);
    // over the limit: listed and alarmed once, as it reaches it; the tarpit grows with the count
    const failures = taken.ok ? taken.res.consumedPoints : gate.limiter.points + 1;
    if (taken.ok && taken.res.consumedPoints === gate.limiter.points) await this.lock(gate, taken.res, 'mqtt');
    const wait = progressiveDelayMs(failures, this.tarpit);
    if (wait > 0) await sleep(wait);
    return result;
  }

  /** What is locked now. */
  async list(): Promise<LockoutView[]> {
    const now = Date.now();
    const out: LockoutView[] = [];
    for (const [k, r] of this.locked) {
      // gone: expired, or lifted (by an administrator, or elsewhere on a shared store)
      const res = r.until > now ? await r.limiter.get(r.key) : null;
      if (!res || res.consumedPoints < r.limiter.points) this.locked.delete(k);
      else out.push(r.view);
    }
    return out;
  }

  /**
   * Lifts locks: a username's (every pair of it) and its delay, a badge's (its pairs and the
   * lock everywhere) and/or an address's (as a source of sign-ins and of MQTT CONNECTs).
   */
  async unlock(target: { username?: string | undefined; badge?: string | undefined; address?: string | undefined }, by: string): Promise<{ unlocked: number }> {
    let n = 0;
    const lift = async (match: (v: LockoutView) => boolean) => {
      const now = Date.now();
      for (const [k, r] of [...this.locked]) {
        if (!match(r.view)) continue;
        await Promise.all([r.limiter.delete(r.key), this.lockHistory.delete(k)]);
        this.locked.delete(k);
        if (r.until > now) n++;
      }
    };
    const alarms: string[] = [];
    if (target.username !== undefined) {
      const u = target.username;
      await lift((v) => v.scope === 'pair' && v.channel === 'http' && v.subject === u);
      await this.usernames.delete(usernameKey(u));
      alarms.push(alarmKey('security.sign_in_locked', signInSubject('pair', 'http', u)));
    }
    if (target.badge !== undefined) {
      const gsrn = target.badge;
      await lift((v) => v.channel === 'badge' && v.subject === gsrn);
      await this.badges.delete(badgeKey(gsrn));
      alarms.push(alarmKey('security.badge_locked', gsrn));
    }
    if (target.address !== undefined) {
      const src = sourceKey(target.address) ?? target.address;
      await lift((v) => v.scope === 'address' && v.subject === src);
      // failures short of a lock too: the address starts afresh
      await Promise.all([
        this.sources.delete(sourceKeyIn('http', src)),
        this.prefixes.delete(sourceKeyIn('http', src)),
        this.mqttSources.delete(sourceKeyIn('mqtt', src)),
      ]);
      for (const channel of ['http', 'mqtt'] as const) alarms.push(alarmKey('security.sign_in_locked', signInSubject('address', channel, src)));
    }
    await Promise.all(alarms.map((k) => this.alarms.clear(k, `unlocked by ${by}`).catch(() => null)));
    this.logger.info({ ...target, by, unlocked: n }, 'sign-in lock lifted');
    return { unlocked: n };
  }

  /** The counters an attempt passes, in order: its source first, so refusals further on count there. */
  private gates(space: Space, subject: string, source: string | null, prefix: string | null): Gate[] {
    const gate = (limiter: RateLimiterAbstract, key: string, lock: Gate['lock'], more: Partial<Gate> = {}): Gate => ({
      limiter,
      key,
      lock,
      countsRefusals: false,
      forgives: false,
      windowOnly: false,
      ...more,
    });
    if (space === 'mqtt')
      return source === null
        ? []
        : [gate(this.mqttSources, sourceKeyIn('mqtt', source), { scope: 'address', channel: 'mqtt', subject: source, address: source }, { windowOnly: true })];
    const out: Gate[] = [];
    if (source !== null) {
      out.push(
        gate(this.sources, sourceKeyIn('http', source), { scope: 'address', channel: 'http', subject: source, address: source }, { countsRefusals: true }),
      );
      if (prefix !== null)
        out.push(
          gate(this.prefixes, sourceKeyIn('http', prefix), { scope: 'address', channel: 'http', subject: prefix, address: prefix }, { countsRefusals: true }),
        );
      out.push(gate(this.pairs, `${space}|${source}|${subject}`, { scope: 'pair', channel: space, subject, address: source }, { forgives: true }));
    }
    if (space === 'badge') out.push(gate(this.badges, badgeKey(subject), { scope: 'badge', channel: 'badge', subject, address: null }));
    return out;
  }

  private async failed(
    channel: AuthChannel,
    space: Space,
    username: string,
    source: string | null,
    passed: { gate: Gate; res: RateLimiterRes }[],
  ): Promise<void> {
    this.metrics.authFailures.inc({ channel, reason: 'bad_credentials' });
    if (source === null) this.logger.warn({ channel, username }, 'failed sign-in without a source address: limited per name only');
    if (space === 'http') await this.usernames.penalty(usernameKey(username));
    for (const p of passed) if (p.res.consumedPoints >= p.gate.limiter.points) await this.lock(p.gate, p.res, channel);
  }

  /** The failure (or refusal) that reached a gate's limit locks what it counts. */
  private async lock(gate: Gate, res: RateLimiterRes, via: AuthChannel): Promise<void> {
    const id = `${gate.limiter.keyPrefix}|${gate.key}`;
    let ms: number;
    let locks = 1;
    if (gate.windowOnly) ms = res.msBeforeNext;
    else {
      const previous = (await this.lockHistory.get(id))?.consumedPoints ?? 0;
      ms = limiterSeconds(lockDurationMs(previous, this.lockPolicy)) * 1000;
      locks = previous + 1;
      await gate.limiter.block(gate.key, ms / 1000);
      // remembered for a longest lock after this one ends: a key that keeps failing keeps doubling
      await this.lockHistory.set(id, locks, limiterSeconds(ms + this.lockPolicy.maxLockoutMs));
    }
    const until = Date.now() + ms;
    const view: LockoutView = { ...gate.lock, lockedUntil: new Date(until).toISOString(), locks, effect: gate.windowOnly ? 'slowed' : 'refused' };
    this.remember(id, { limiter: gate.limiter, key: gate.key, view, until });
    this.metrics.authLockouts.inc({ channel: via, scope: view.scope });
    this.logger.warn({ ...view, via, failures: res.consumedPoints }, 'sign-in locked after repeated failures');
    const raised = view.channel === 'badge' ? this.raiseBadgeLocked(view, res.consumedPoints) : this.raiseSignInLocked(view, res.consumedPoints);
    void raised.catch((err: unknown) => this.logger.error({ err }, 'could not raise the lock alarm'));
  }

  private remember(id: string, record: LockRecord): void {
    this.locked.delete(id);
    if (this.locked.size >= MAX_LISTED) {
      const now = Date.now();
      for (const [k, r] of this.locked) if (r.until <= now) this.locked.delete(k);
      // still full: forget the oldest (their locks stand; they are only not listed)
      for (const k of this.locked.keys()) {
        if (this.locked.size < MAX_LISTED) break;
        this.locked.delete(k);
      }
    }
    this.locked.set(id, record);
  }

  /** One alarm per username (whichever sources its pairs are locked from) or per address. */
  private async raiseSignInLocked(view: LockoutView, failures: number): Promise<void> {
    const scope = view.scope === 'address' ? 'address' : 'pair';
    // a name no one has is an attacker's choice, as many as they like: such a lock is logged
    // and counted (and its source's lock alarmed) but raises no alarm of its own
    if (scope === 'pair' && !(await this.users.findByUsername(view.subject))) return;
    await this.alarms.raise({
      type: 'security.sign_in_locked',
      subject: signInSubject(scope, view.channel, view.subject),
      params: { scope, channel: view.channel, subject: view.subject, address: view.address, failures, lockedUntil: this.latestUntil(view), locks: view.locks },
      sourceKind: scope === 'address' ? 'address' : 'user',
      sourceId: view.subject,
    });
  }

  /** A locked badge is named with its holder, for whoever checks with them (or finds it stolen). */
  private async raiseBadgeLocked(view: LockoutView, failures: number): Promise<void> {
    const owner = await this.users.findByBadge(view.subject);
    await this.alarms.raise({
      type: 'security.badge_locked',
      subject: view.subject,
      params: {
        gsrn: view.subject,
        owner: owner?.username ?? null,
        wards: owner?.wards.join(', ') ?? '',
        scope: view.scope === 'badge' ? 'badge' : 'pair',
        address: view.address,
        failures,
        lockedUntil: this.latestUntil(view),
        locks: view.locks,
      },
      sourceKind: owner ? 'user' : 'badge',
      sourceId: owner?.username ?? view.subject,
    });
  }

  /** The alarm of a name lasts as long as the longest of its locks (from any source). */
  private latestUntil(view: LockoutView): string {
    let latest = view.lockedUntil;
    for (const r of this.locked.values())
      if (r.view.channel === view.channel && r.view.subject === view.subject && r.view.scope !== 'address' && r.view.lockedUntil > latest)
        latest = r.view.lockedUntil;
    return latest;
  }
}

const usernameKey = (username: string) => `http|${username}`;
const badgeKey = (gsrn: string) => `badge|${gsrn}`;
const sourceKeyIn = (space: 'http' | 'mqtt', source: string) => `${space}|${source}`;
const signInSubject = (scope: 'pair' | 'address', channel: Space, subject: string) => `${scope}:${channel}:${subject}`;
