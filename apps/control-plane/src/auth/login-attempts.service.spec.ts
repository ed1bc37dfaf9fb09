/**
 * The throttle's policy on its real limiters (rate-limiter-flexible in memory), with the
 * alarms and users faked: who gets locked by what, and who never does.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, jest } from '@jest/globals';
import { pino } from 'pino';
import type { UsersRepository } from '#persistence';
import type { AlarmsService } from '../alarms/alarms.service.js';
import type { AppConfig } from '../config/config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { type AuthChannel, LoginAttempts } from './login-attempts.service.js';

const THROTTLE: AppConfig['authThrottle'] = {
  maxFailures: 3,
  maxFailuresPerAddress: 10,
  windowMs: 60_000,
  lockoutMs: 60_000,
  maxLockoutMs: 240_000,
  usernameDelayMs: 0,
  usernameMaxDelayMs: 0,
  badgeMaxFailures: 6,
  mqttMaxFailuresPerAddress: 5,
  mqttWindowMs: 60_000,
  mqttTarpitMs: 0,
};

function setup(over: Partial<AppConfig['authThrottle']> = {}) {
  const metrics = new MetricsService();
  const raised: { type: string; subject: string; params: Record<string, unknown> }[] = [];
  const alarms = {
    raise: jest.fn(async (a: { type: string; subject: string; params: Record<string, unknown> }) => {
      raised.push(a);
      return {};
    }),
    clear: jest.fn(async (_key: string, _reason: string) => null),
  };
  const users = {
    findByBadge: async () => ({ username: 'nina', wards: ['W-CARD'] }),
    // every name a user's but those an attacker makes up
    findByUsername: async (name: string) => (name.startsWith('nobody-') ? null : { username: name }),
  };
  const attempts = new LoginAttempts(
    { authThrottle: { ...THROTTLE, ...over } } as AppConfig,
    pino({ level: 'silent' }),
    metrics,
    alarms as unknown as AlarmsService,
    users as unknown as UsersRepository,
  );
  let checks = 0;
  /** one attempt with a right or wrong secret: 'ok', 'bad' or 'locked' (the secret not looked at) */
  const tryIt = async (channel: AuthChannel, name: string, address: string | undefined, right = false) => {
    const r = await attempts.attempt(
      channel,
      name,
      address,
      async () => {
        checks++;
        return right;
      },
      (x) => x,
    );
    return 'locked' in r ? 'locked' : r.result ? 'ok' : 'bad';
  };
  const times = async (n: number, f: (i: number) => Promise<string>) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(await f(i));
    return out;
  };
  const metric = async (name: string) => (await metrics.registry.getSingleMetricAsString(name)).split('\n').filter((l) => !l.startsWith('#'));
  return { attempts, tryIt, times, raised, alarms, metric, checks: () => checks };
}

describe('LoginAttempts', () => {
  it('locks a username from one address only: from another it is checked as usual, right password signs in', async () => {
    const s = setup();
    expect(await s.times(3, () => s.tryIt('http', 'alice', '10.0.0.1'))).toEqual(['bad', 'bad', 'bad']);
    const before = s.checks();
    expect(await s.tryIt('http', 'alice', '10.0.0.1', true)).toBe('locked');
    expect(s.checks()).toBe(before);
    expect(await s.tryIt('http', 'alice', '10.0.0.2', true)).toBe('ok');
    // a witness's password is the same password: the same pair
    expect(await s.tryIt('witness', 'alice', '10.0.0.1', true)).toBe('locked');
    expect(await s.attempts.list()).toEqual([expect.objectContaining({ scope: 'pair', channel: 'http', subject: 'alice', address: '10.0.0.1', locks: 1 })]);
    expect(s.raised).toEqual([
      expect.objectContaining({
        type: 'security.sign_in_locked',
        subject: 'pair:http:alice',
        params: expect.objectContaining({ scope: 'pair', address: '10.0.0.1' }),
      }),
    ]);
  });

  it('never locks a username from everywhere: guesses from many addresses leave it open to a new one', async () => {
    const s = setup({ maxFailuresPerAddress: 1000 });
    for (let a = 1; a <= 30; a++) await s.times(3, () => s.tryIt('http', 'alice', `10.0.1.${a}`));
    expect(await s.tryIt('http', 'alice', '10.0.2.1', true)).toBe('ok');
    expect((await s.attempts.list()).every((l) => l.scope === 'pair' && l.address !== '10.0.2.1')).toBe(true);
  });

  it("slows a username's checks by its failures from every source, capped, before the check", async () => {
    const s = setup({ maxFailuresPerAddress: 1000, usernameDelayMs: 100, usernameMaxDelayMs: 200 });
    const timed = async (address: string) => {
      const at = performance.now();
      await s.tryIt('http', 'bob', address, true);
      return performance.now() - at;
    };
    expect(await timed('10.0.3.1')).toBeLessThan(90);
    for (let a = 1; a <= 4; a++) await s.tryIt('http', 'bob', `10.0.4.${a}`);
    // four failures, after three: 100 ms doubling to 200 ms, not more
    const slowed = await timed('10.0.3.2');
    expect(slowed).toBeGreaterThanOrEqual(195);
    expect(slowed).toBeLessThan(1000);
    // another username is not slowed
    const at = performance.now();
    await s.tryIt('http', 'carol', '10.0.3.3', true);
    expect(performance.now() - at).toBeLessThan(90);
  });

  it('locks a source spraying usernames; its refused attempts count too; a success there forgives nothing', async () => {
    const s = setup();
    await s.times(3, () => s.tryIt('http', 'alice', '10.0.5.1'));
    // refused at the pair: counted at the source
    await s.times(3, () => s.tryIt('http', 'alice', '10.0.5.1'));
    expect(await s.tryIt('http', 'dave', '10.0.5.1', true)).toBe('ok');
    await s.times(4, (i) => s.tryIt('http', `nobody-${i}`, '10.0.5.1'));
    expect(await s.tryIt('http', 'erin', '10.0.5.1', true)).toBe('locked');
    // and a badge PIN from there too: the same people's source
    expect(await s.tryIt('badge', '123456789012345678', '10.0.5.1', true)).toBe('locked');
    expect(await s.tryIt('http', 'erin', '10.0.5.2', true)).toBe('ok');
    expect(await s.attempts.list()).toEqual(expect.arrayContaining([expect.objectContaining({ scope: 'address', channel: 'http', subject: '10.0.5.1' })]));
  });

  it('bounds a concurrent burst on one pair: no more checks than the limit', async () => {
    const s = setup({ maxFailuresPerAddress: 1000 });
    const all = await Promise.all(Array.from({ length: 40 }, () => s.tryIt('http', 'frank', '10.0.6.1')));
    expect(all.filter((x) => x === 'bad')).toHaveLength(3);
    expect(s.checks()).toBe(3);
  });

  it('locks a badge per source, then everywhere at its own higher limit, with the alarm naming its holder', async () => {
    const s = setup({ maxFailuresPerAddress: 1000 });
    const gsrn = '106141411234567891';
    await s.times(3, () => s.tryIt('badge', gsrn, '10.0.7.1'));
    expect(await s.tryIt('badge', gsrn, '10.0.7.1', true)).toBe('locked');
    expect(await s.tryIt('badge', gsrn, '10.0.7.2', true)).toBe('ok');
    expect(s.raised.at(-1)).toMatchObject({ type: 'security.badge_locked', subject: gsrn, params: { scope: 'pair', address: '10.0.7.1', owner: 'nina' } });
    // three more wrong PINs from elsewhere: six in all, the badge's own limit
    await s.times(3, (i) => s.tryIt('badge', gsrn, `10.0.8.${i}`));
    expect(await s.tryIt('badge', gsrn, '10.0.9.1', true)).toBe('locked');
    expect(s.raised.at(-1)).toMatchObject({ type: 'security.badge_locked', params: { scope: 'badge', address: null } });
    expect(await s.attempts.unlock({ badge: gsrn }, 'admin')).toEqual({ unlocked: 2 });
    expect(await s.tryIt('badge', gsrn, '10.0.7.1', true)).toBe('ok');
    expect(s.alarms.clear).toHaveBeenCalledWith(`security.badge_locked:${gsrn}`, 'unlocked by admin');
  });

  it('never locks a device by its id: bad CONNECTs are rate-limited per source, in a space apart from sign-ins', async () => {
    const s = setup();
    expect(await s.times(5, () => s.tryIt('mqtt', 'dev-1', '10.0.10.1'))).toEqual(['bad', 'bad', 'bad', 'bad', 'bad']);
    expect(await s.tryIt('mqtt', 'dev-1', '10.0.10.2', true)).toBe('ok');
    // the source is over its limit: listed and alarmed, its failures go on being refused
    expect(await s.attempts.list()).toEqual([expect.objectContaining({ scope: 'address', channel: 'mqtt', subject: '10.0.10.1', effect: 'slowed' })]);
    expect(s.raised.at(-1)).toMatchObject({ type: 'security.sign_in_locked', params: { scope: 'address', channel: 'mqtt', subject: '10.0.10.1' } });
    expect(await s.times(3, () => s.tryIt('mqtt', 'dev-2', '10.0.10.1'))).toEqual(['bad', 'bad', 'bad']);
    // but a right secret from it is let in: a robot behind the same NAT as a misconfigured one
    const before = s.checks();
    expect(await s.tryIt('mqtt', 'dev-2', '10.0.10.1', true)).toBe('ok');
    expect(s.checks()).toBe(before + 1);
    // people signing in from that address are not affected
    expect(await s.tryIt('http', 'alice', '10.0.10.1', true)).toBe('ok');
    expect(s.raised.filter((a) => a.type === 'security.sign_in_locked')).toHaveLength(1);
  });

  it('raises no alarm for a made-up username locked from a source: only for real users and for the source', async () => {
    const s = setup({ maxFailuresPerAddress: 1000 });
    for (let i = 0; i < 20; i++) await s.times(3, () => s.tryIt('http', `nobody-${i}`, '10.0.14.1'));
    await s.times(3, () => s.tryIt('http', 'alice', '10.0.14.1'));
    await new Promise((r) => setImmediate(r));
    expect(s.raised.map((a) => a.subject)).toEqual(['pair:http:alice']);
    expect((await s.attempts.list()).filter((l) => l.scope === 'pair')).toHaveLength(21);
  });

  it('locks an IPv6 host, not its /64, until the /64 itself reaches four times the limit', async () => {
    const s = setup();
    // ten wrong passwords (over any names) from one host: that host is locked
    await s.times(10, (i) => s.tryIt('http', `guess-${i}`, '2001:db8:0:7::1'));
    expect(await s.tryIt('http', 'alice', '2001:db8:0:7::1', true)).toBe('locked');
    // a neighbour on the same /64 (a VDI pool, a NAT64 block) signs in
    expect(await s.tryIt('http', 'bob', '2001:db8:0:7::2', true)).toBe('ok');
    // rotating hosts through the /64: 40 in all lock the whole block
    for (let h = 3; h < 6; h++) await s.times(10, (i) => s.tryIt('http', `guess-${i}`, `2001:db8:0:7::${h}`));
    expect(await s.tryIt('http', 'bob', '2001:db8:0:7::99', true)).toBe('locked');
    expect(await s.tryIt('http', 'bob', '2001:db8:0:8::1', true)).toBe('ok');
    expect((await s.attempts.list()).map((l) => l.subject)).toContain('2001:db8:0:7::/64');
    expect(await s.attempts.unlock({ address: '2001:db8:0:7::/64' }, 'admin')).toEqual({ unlocked: 1 });
    expect(await s.tryIt('http', 'bob', '2001:db8:0:7::99', true)).toBe('ok');
  });

  it('lets in a burst of right secrets from one source, however many, and at once', async () => {
    const s = setup();
    const burst = await Promise.all(Array.from({ length: 50 }, (_, i) => s.tryIt('mqtt', `dev-${i}`, '10.0.12.1', true)));
    expect(burst.every((r) => r === 'ok')).toBe(true);
    expect(await s.attempts.list()).toEqual([]);
  });

  it('holds back a failed CONNECT the more its source fails, a right secret never', async () => {
    const s = setup({ mqttMaxFailuresPerAddress: 100, mqttTarpitMs: 150 });
    const timed = async (right: boolean) => {
      const at = performance.now();
      await s.tryIt('mqtt', 'dev-3', '10.0.11.1', right);
      return performance.now() - at;
    };
    await s.times(3, () => s.tryIt('mqtt', 'dev-3', '10.0.11.1'));
    expect(await timed(false)).toBeGreaterThanOrEqual(145);
    expect(await timed(true)).toBeLessThan(90);
  });

  it('without a source address, limits per name only and counts it: no shared key for one client to lock the others', async () => {
    const s = setup();
    await s.times(20, () => s.tryIt('mqtt', 'dev-4', undefined));
    expect(await s.tryIt('mqtt', 'dev-5', undefined, true)).toBe('ok');
    await s.times(20, (i) => s.tryIt('http', `nobody-${i}`, undefined));
    expect(await s.tryIt('http', 'alice', undefined, true)).toBe('ok');
    expect(await s.attempts.list()).toEqual([]);
    expect(await s.metric('medloop_auth_unattributed_total')).toEqual(
      expect.arrayContaining(['medloop_auth_unattributed_total{channel="mqtt"} 21', 'medloop_auth_unattributed_total{channel="http"} 21']),
    );
  });

  it('doubles each further lock of a pair: a success forgives its failures, not its history', async () => {
    const s = setup({ maxFailuresPerAddress: 1000, lockoutMs: 1000, maxLockoutMs: 8000 });
    await s.times(3, () => s.tryIt('http', 'hank', '10.0.13.1'));
    expect((await s.attempts.list()).map((l) => l.locks)).toEqual([1]);
    await sleep(1100);
    expect(await s.tryIt('http', 'hank', '10.0.13.1', true)).toBe('ok');
    await s.times(3, () => s.tryIt('http', 'hank', '10.0.13.1'));
    const [second] = await s.attempts.list();
    expect(second?.locks).toBe(2);
    expect(Date.parse(second!.lockedUntil) - Date.now()).toBeGreaterThan(1500);
  });

  it('an admin lifts every pair of a username (and its delay), or an address (not the pairs from it)', async () => {
    const s = setup({ maxFailuresPerAddress: 1000 });
    await s.times(3, () => s.tryIt('http', 'gina', '10.0.12.1'));
    await s.times(3, () => s.tryIt('http', 'gina', '10.0.12.2'));
    expect((await s.attempts.list()).map((l) => [l.subject, l.address])).toEqual([
      ['gina', '10.0.12.1'],
      ['gina', '10.0.12.2'],
    ]);
    expect(await s.attempts.unlock({ username: 'gina' }, 'admin')).toEqual({ unlocked: 2 });
    expect(s.alarms.clear).toHaveBeenCalledWith('security.sign_in_locked:pair:http:gina', 'unlocked by admin');
    expect(await s.attempts.list()).toEqual([]);
    expect(await s.tryIt('http', 'gina', '10.0.12.1', true)).toBe('ok');

    const t = setup({ maxFailuresPerAddress: 4 });
    await t.times(3, () => t.tryIt('http', 'ivan', '10.0.14.1'));
    await t.tryIt('http', 'ivan', '10.0.14.1');
    expect((await t.attempts.list()).map((l) => l.scope).sort()).toEqual(['address', 'pair']);
    expect(await t.attempts.unlock({ address: '::ffff:10.0.14.1' }, 'admin')).toEqual({ unlocked: 1 });
    expect(await t.tryIt('http', 'judy', '10.0.14.1', true)).toBe('ok');
    expect(await t.tryIt('http', 'ivan', '10.0.14.1', true)).toBe('locked');
  });
});
