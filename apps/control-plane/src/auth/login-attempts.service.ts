/**
 * Brute-force protection for every password check (HTTP sign-in and MQTT CONNECT): failures
 * are counted per username and per source address; reaching the limit locks that key with an
 * exponentially growing lockout, raises an alarm, logs and counts it. While locked, an attempt
 * is refused before the password is looked at, so the answer never says whether it was right.
 * An administrator can list and lift locks. State is in memory: a restart lifts every lock.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { AlarmsService } from '../alarms/alarms.service.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { FailureThrottle, type LockInfo } from './failure-throttle.js';

export type AuthChannel = 'http' | 'mqtt';

export interface LockoutView {
  scope: 'username' | 'address';
  channel: AuthChannel | 'any';
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
  ) {
    const a = config.authThrottle;
    const base = { windowMs: a.windowMs, lockoutMs: a.lockoutMs, maxLockoutMs: a.maxLockoutMs };
    this.byUser = new FailureThrottle({ ...base, maxFailures: a.maxFailures });
    this.byAddress = new FailureThrottle({ ...base, maxFailures: a.maxFailuresPerAddress });
  }

  /**
   * Runs one password check under the throttle. Resolves `{ locked: retryAfterMs }` without
   * calling `check` while the username or the address is locked.
   */
  async attempt<T>(
    channel: AuthChannel,
    username: string,
    address: string | undefined,
    check: () => Promise<T>,
    succeeded: (r: T) => boolean,
  ): Promise<{ locked: number } | { result: T }> {
    const now = Date.now();
    const userKey = `${channel}\u0000${username}`;
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
      if (userLock) this.onLocked('username', channel, username, userLock);
      if (addrLock) this.onLocked('address', 'any', addrKey, addrLock);
    }
  }

  list(): LockoutView[] {
    const now = Date.now();
    return [
      ...this.byUser.locked(now).map((l) => {
        const [channel, subject] = l.key.split('\u0000') as [AuthChannel, string];
        return { scope: 'username' as const, channel, subject, lockedUntil: new Date(l.lockedUntil).toISOString(), locks: l.locks };
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

  /** Lifts the locks (and failure history) of a username on both channels and/or an address. */
  async unlock(target: { username?: string | undefined; address?: string | undefined }, by: string): Promise<{ unlocked: number }> {
    let n = 0;
    const keys: string[] = [];
    if (target.username !== undefined) {
      for (const channel of ['http', 'mqtt'] as const) {
        if (this.byUser.unlock(`${channel}\u0000${target.username}`)) n++;
        keys.push(alarmKey('username', channel, target.username));
      }
    }
    if (target.address !== undefined) {
      if (this.byAddress.unlock(target.address)) n++;
      keys.push(alarmKey('address', 'any', target.address));
    }
    await Promise.all(keys.map((k) => this.alarms.clear(k, `unlocked by ${by}`).catch(() => null)));
    this.logger.info({ ...target, by, unlocked: n }, 'sign-in lock lifted');
    return { unlocked: n };
  }

  private onLocked(scope: 'username' | 'address', channel: AuthChannel | 'any', subject: string, lock: LockInfo): void {
    const until = new Date(lock.lockedUntil).toISOString();
    this.metrics.authLockouts.inc({ channel, scope });
    this.logger.warn({ scope, channel, subject, failures: lock.failures, lockedUntil: until, locks: lock.locks }, 'sign-in locked after repeated failures');
    void this.alarms
      .raise({
        type: 'security.sign_in_locked',
        subject: `${scope}:${channel}:${subject}`,
        params: { scope, channel, subject, failures: lock.failures, lockedUntil: until, locks: lock.locks },
        sourceKind: scope === 'address' ? 'address' : channel === 'mqtt' ? 'device' : 'user',
        sourceId: subject,
      })
      .catch((err: unknown) => this.logger.error({ err }, 'could not raise the sign-in lock alarm'));
  }
}

const alarmKey = (scope: string, channel: string, subject: string) => `security.sign_in_locked:${scope}:${channel}:${subject}`;
