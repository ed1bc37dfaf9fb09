/**
 * Brute-force protection for every secret a person or device presents (HTTP sign-in, MQTT
 * CONNECT, a badge PIN, a witness's password): failures are counted per subject and per source
 * address; reaching the limit locks that key with an exponentially growing lockout, raises an
 * alarm, logs and counts it. While locked, an attempt is refused before the secret is looked
 * at, so the answer never says whether it was right. An administrator can list and lift locks.
 * State is in memory: a restart lifts every lock.
 *
 * The subject is what the secret belongs to: a person's username (one counter whether the
 * password is typed at sign-in or as a witness: it is one password), a device's username, a
 * badge's GSRN (a PIN belongs to the badge, whoever presents it).
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { UsersRepository } from '#persistence';
import { AlarmsService } from '../alarms/alarms.service.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { FailureThrottle, type LockInfo } from './failure-throttle.js';

/** Where the secret was presented: the label of the metrics and logs. */
export type AuthChannel = 'http' | 'mqtt' | 'badge' | 'witness';
/** Whose secret it is: the key space of the per-subject counter. */
type SubjectSpace = 'http' | 'mqtt' | 'badge';
const SPACE: Readonly<Record<AuthChannel, SubjectSpace>> = { http: 'http', witness: 'http', mqtt: 'mqtt', badge: 'badge' };

export interface LockoutView {
  /** `username` for a person's (channel http) or a device's (mqtt) name, `badge` for a badge GSRN */
  scope: 'username' | 'badge' | 'address';
  channel: SubjectSpace | 'any';
  subject: string;
  lockedUntil: string;
  locks: number;
}

@Injectable()
export class LoginAttempts {
  private readonly byUser: FailureThrottle;
  private readonly byAddress: FailureThrottle;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: MetricsService,
    private readonly alarms: AlarmsService,
    private readonly users: UsersRepository,
  ) {
    const a = config.authThrottle;
    const base = { windowMs: a.windowMs, lockoutMs: a.lockoutMs, maxLockoutMs: a.maxLockoutMs };
    this.byUser = new FailureThrottle({ ...base, maxFailures: a.maxFailures });
    this.byAddress = new FailureThrottle({ ...base, maxFailures: a.maxFailuresPerAddress });
  }

  /**
   * Runs one secret check under the throttle. Resolves `{ locked: retryAfterMs }` without
   * calling `check` while the subject (a username, a badge GSRN) or the address is locked.
   */
  async attempt<T>(
    channel: AuthChannel,
    username: string,
    address: string | undefined,
    check: () => Promise<T>,
    succeeded: (r: T) => boolean,
  ): Promise<{ locked: number } | { result: T }> {
    const now = Date.now();
    const space = SPACE[channel];
    const userKey = `${space}\u0000${username}`;
    const addrKey = address ?? 'unknown';
    const wait = Math.max(this.byUser.retryAfter(userKey, now), this.byAddress.retryAfter(addrKey, now));
    if (wait > 0) {
      this.metrics.authFailures.inc({ channel, reason: 'locked' });
      this.logger.warn({ channel, username, address, retryAfterMs: wait }, 'sign-in refused: locked after repeated failures');
      return { locked: wait };
    }
    this.byUser.begin(userKey, now);
    this.byAddress.begin(addrKey, now);
    let ok = false;
    try {
      const result = await check();
      ok = succeeded(result);
      return { result };
    } finally {
      const at = Date.now();
      const userLock = this.byUser.end(userKey, ok, at);
      const addrLock = this.byAddress.end(addrKey, ok, at, false);
      if (!ok) this.metrics.authFailures.inc({ channel, reason: 'bad_credentials' });
      if (userLock) this.onLocked(space === 'badge' ? 'badge' : 'username', space, username, userLock, channel);
      if (addrLock) this.onLocked('address', 'any', addrKey, addrLock);
    }
  }

  list(): LockoutView[] {
    const now = Date.now();
    return [
      ...this.byUser.locked(now).map((l) => {
        const [channel, subject] = l.key.split('\u0000') as [SubjectSpace, string];
        const scope = channel === 'badge' ? ('badge' as const) : ('username' as const);
        return { scope, channel, subject, lockedUntil: new Date(l.lockedUntil).toISOString(), locks: l.locks };
      }),
      ...this.byAddress.locked(now).map((l) => ({
        scope: 'address' as const,
        channel: 'any' as const,
        subject: l.key,
        lockedUntil: new Date(l.lockedUntil).toISOString(),
        locks: l.locks,
      })),
    ];
  }

  /** Lifts the locks (and failure history) of a username on both channels, a badge and/or an address. */
  async unlock(target: { username?: string | undefined; badge?: string | undefined; address?: string | undefined }, by: string): Promise<{ unlocked: number }> {
    let n = 0;
    const keys: string[] = [];
    if (target.username !== undefined) {
      for (const channel of ['http', 'mqtt'] as const) {
        if (this.byUser.unlock(`${channel}\u0000${target.username}`)) n++;
        keys.push(alarmKey('username', channel, target.username));
      }
    }
    if (target.badge !== undefined) {
      if (this.byUser.unlock(`badge\u0000${target.badge}`)) n++;
      keys.push(badgeAlarmKey(target.badge));
    }
    if (target.address !== undefined) {
      if (this.byAddress.unlock(target.address)) n++;
      keys.push(alarmKey('address', 'any', target.address));
    }
    await Promise.all(keys.map((k) => this.alarms.clear(k, `unlocked by ${by}`).catch(() => null)));
    this.logger.info({ ...target, by, unlocked: n }, 'sign-in lock lifted');
    return { unlocked: n };
  }

  private onLocked(scope: LockoutView['scope'], channel: SubjectSpace | 'any', subject: string, lock: LockInfo, via: AuthChannel | 'any' = channel): void {
    const until = new Date(lock.lockedUntil).toISOString();
    this.metrics.authLockouts.inc({ channel: via, scope });
    this.logger.warn(
      { scope, channel: via, subject, failures: lock.failures, lockedUntil: until, locks: lock.locks },
      'sign-in locked after repeated failures',
    );
    if (scope === 'badge') {
      void this.raiseBadgeLocked(subject, lock, until).catch((err: unknown) => this.logger.error({ err }, 'could not raise the badge lock alarm'));
      return;
    }
    void this.alarms
      .raise({
        type: 'security.sign_in_locked',
        subject: `${scope}:${channel}:${subject}`,
        params: { scope: scope === 'address' ? 'address' : 'username', channel, subject, failures: lock.failures, lockedUntil: until, locks: lock.locks },
        sourceKind: scope === 'address' ? 'address' : channel === 'mqtt' ? 'device' : 'user',
        sourceId: subject,
      })
      .catch((err: unknown) => this.logger.error({ err }, 'could not raise the sign-in lock alarm'));
  }

  /** A locked badge is named with its holder, for whoever checks with them (or finds it stolen). */
  private async raiseBadgeLocked(gsrn: string, lock: LockInfo, until: string): Promise<void> {
    const owner = await this.users.findByBadge(gsrn);
    await this.alarms.raise({
      type: 'security.badge_locked',
      subject: gsrn,
      params: {
        gsrn,
        owner: owner?.username ?? null,
        wards: owner?.wards.join(', ') ?? '',
        failures: lock.failures,
        lockedUntil: until,
        locks: lock.locks,
      },
      sourceKind: owner ? 'user' : 'badge',
      sourceId: owner?.username ?? gsrn,
    });
  }
}

const alarmKey = (scope: string, channel: string, subject: string) => `security.sign_in_locked:${scope}:${channel}:${subject}`;
const badgeAlarmKey = (gsrn: string) => `security.badge_locked:${gsrn}`;
