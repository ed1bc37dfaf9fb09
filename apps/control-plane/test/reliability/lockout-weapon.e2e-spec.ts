/**
 * Lockout as a weapon, before and after. Before: five wrong passwords locked any named user
 * (admin included) from anywhere for 15 min doubling to 24 h; five bad CONNECTs locked a
 * device although its 256-bit secret cannot be guessed; bad MQTT CONNECTs locked the source
 * address out of HTTP sign-in; an unknown badge answered in ~5 ms and a real one in ~144 ms
 * (the report's figures; with the verify of unknown badges skipped, 6 ms against 114 ms here).
 * Now people are locked per (username, source) pair and per source, a username from
 * everywhere only slowed; devices are rate-limited per source in their own key space; badges
 * are locked per (badge, source) and, much later, everywhere; unknown and known secrets cost
 * one argon2 verify each. Clients bind distinct loopback addresses (127.0.0.x) to be distinct
 * sources, over HTTP, MQTT and MQTT over WebSocket (whose real address the broker now takes).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newGsrn } from '#testing';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { type Answer, bounded, connectFrom, httpFrom } from './sources.js';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const tally = (answers: Answer[]) => answers.reduce<Record<number, number>>((m, a) => ({ ...m, [a.status]: (m[a.status] ?? 0) + 1 }), {});

describe('lockout as a weapon', () => {
  let t: TestApp;
  beforeAll(async () => {
    // the documented defaults, MQTT's tarpit shortened so the 250 bad CONNECTs below run fast
    t = await startTestApp({ AUTH_MQTT_TARPIT_MS: '50' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("1,000 wrong passwords for a named nurse from one address do not stop her signing in from her own terminal; the attacker's address is locked", async () => {
    const nurse = await t.userToken('nurse', ['W-CARD']);
    const started = Date.now();
    const attack = await bounded(1000, 16, (i) => httpFrom(t, '127.0.0.1', 'POST', '/api/auth/login', { username: nurse.username, password: `guess-${i}` }));
    const attackMs = Date.now() - started;
    const statuses = tally(attack);
    // refused (429) without the password being looked at, after a few checked failures (401)
    expect(Object.keys(statuses).sort()).toEqual(['401', '429']);
    expect(statuses[401]).toBeLessThanOrEqual(5);

    const mine = Date.now();
    const fromHerTerminal = await httpFrom(t, '127.0.0.2', 'POST', '/api/auth/login', { username: nurse.username, password: nurse.password });
    const signInMs = Date.now() - mine;
    expect(fromHerTerminal.status).toBe(200);
    expect(fromHerTerminal.body.user.username).toBe(nurse.username);
    // from the attacker's address she is refused with the right password too, and so is anyone
    const fromAttacker = await httpFrom(t, '127.0.0.1', 'POST', '/api/auth/login', { username: nurse.username, password: nurse.password });
    expect(fromAttacker.status).toBe(429);
    expect(fromAttacker.body.error).toBe('too_many_attempts');
    expect((await httpFrom(t, '127.0.0.1', 'POST', '/api/auth/login', { username: 'admin', password: t.env['ADMIN_PASSWORD'] })).status).toBe(429);

    const locks = (await httpFrom(t, '127.0.0.2', 'GET', '/api/auth/lockouts', undefined, t.adminToken)).body as {
      scope: string;
      subject: string;
      address?: string;
    }[];
    expect(locks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ scope: 'pair', channel: 'http', subject: nurse.username, address: '127.0.0.1' }),
        expect.objectContaining({ scope: 'address', channel: 'http', subject: '127.0.0.1' }),
      ]),
    );
    // no lock names her from everywhere
    expect(locks.filter((l) => l.subject === nurse.username && l.address !== '127.0.0.1')).toEqual([]);
    console.log(
      `1,000 wrong passwords in ${attackMs} ms: ${JSON.stringify(statuses)}; the nurse signed in from 127.0.0.2 in ${signInMs} ms; 127.0.0.1 answered 429`,
    );
  }, 120_000);

  it('100 bad MQTT CONNECTs with random usernames from one address leave HTTP sign-in from that address open', async () => {
    const codes = await bounded(100, 10, () => connectFrom(t, '127.0.0.3', { username: `nobody-${randomBytes(6).toString('hex')}`, password: 'x' }));
    expect(new Set(codes)).toEqual(new Set([4]));
    const signIn = await httpFrom(t, '127.0.0.3', 'POST', '/api/auth/login', { username: 'admin', password: t.env['ADMIN_PASSWORD'] });
    expect(signIn.status).toBe(200);
    // the address is at its MQTT limit (100 a minute by default): listed and alarmed as such
    // (its failures answered slowly), while a right secret would still connect from it
    expect(await connectFrom(t, '127.0.0.3', { username: `nobody-${randomBytes(6).toString('hex')}`, password: 'x' })).toBe(4);
    const locks = (await httpFrom(t, '127.0.0.2', 'GET', '/api/auth/lockouts', undefined, t.adminToken)).body as {
      scope: string;
      channel: string;
      subject: string;
    }[];
    expect(locks.filter((l) => l.subject === '127.0.0.3')).toEqual([expect.objectContaining({ scope: 'address', channel: 'mqtt' })]);
  }, 120_000);

  it("50 bad CONNECTs naming a real device id do not keep its correct secret out, from elsewhere or from the attacker's address", async () => {
    const reg = await t.registerDevice({ kind: 'sensor', name: 'weapon target', ward: 'W-CARD' });
    const { username, password } = reg.credentials;
    const codes = await bounded(50, 10, (i) => connectFrom(t, '127.0.0.4', { username, password: `guess-${i}` }));
    expect(new Set(codes)).toEqual(new Set([4]));
    expect(await connectFrom(t, '127.0.0.5', { username, password })).toBe(0);
    expect(await connectFrom(t, '127.0.0.4', { username, password })).toBe(0);
    const locks = (await httpFrom(t, '127.0.0.2', 'GET', '/api/auth/lockouts', undefined, t.adminToken)).body as { subject: string }[];
    expect(locks.map((l) => l.subject)).not.toContain(username);
  }, 120_000);

  it('MQTT over WebSocket is counted per real address: one attacker does not shut out the other WebSocket devices', async () => {
    const reg = await t.registerDevice({ kind: 'sensor', name: 'websocket device', ward: 'W-CARD' });
    // 100 wrong secrets for this device over WebSocket, from one address: its MQTT rate for the minute
    const codes = await bounded(100, 10, (i) => connectFrom(t, '127.0.0.6', { username: reg.credentials.username, password: `guess-${i}` }, 'ws'));
    expect(new Set(codes)).toEqual(new Set([4]));
    // counted against the attacker's own address (not one key shared by every WebSocket client)
    const locks = (await httpFrom(t, '127.0.0.2', 'GET', '/api/auth/lockouts', undefined, t.adminToken)).body as { channel: string; subject: string }[];
    expect(locks.filter((l) => l.channel === 'mqtt').map((l) => l.subject)).toContain('127.0.0.6');
    expect(locks.map((l) => l.subject)).not.toContain('127.0.0.8');
    // and the device's right secret connects over WebSocket from anywhere, the attacker's address included
    expect(await connectFrom(t, '127.0.0.8', { username: reg.credentials.username, password: reg.credentials.password }, 'ws')).toBe(0);
    expect(await connectFrom(t, '127.0.0.6', { username: reg.credentials.username, password: reg.credentials.password }, 'ws')).toBe(0);
  }, 120_000);
});

describe('badge timing', () => {
  let t: TestApp;
  beforeAll(async () => {
    // no lock may bite during the measurement: every attempt must reach the PIN check
    t = await startTestApp({ AUTH_MAX_FAILURES: '1000', AUTH_MAX_FAILURES_PER_ADDRESS: '1000', AUTH_BADGE_MAX_FAILURES: '1000' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('an unknown badge costs what a known badge with a wrong PIN costs (both verify one argon2 hash)', async () => {
    const badge = { gsrn: newGsrn(), pin: '4821' };
    const nurse = await t.api('POST', '/api/users', {
      token: t.adminToken,
      body: { username: 'badge-timing-nurse', password: 'badge-timing-password', role: 'nurse', wards: ['W-CARD'], badgeGsrn: badge.gsrn, pin: badge.pin },
    });
    expect(nurse.status).toBe(201);
    const pharmacist = await t.userToken('pharmacist');
    const delivery = await t.api('POST', '/api/deliveries', { token: pharmacist.token, body: { ward: 'W-CARD' } });
    expect(delivery.status).toBe(201);
    const unlock = (gsrn: string) =>
      t.api('POST', `/api/deliveries/${delivery.body.id}/unlock`, { token: t.adminToken, body: { compartmentId: 'C1', badge: { gsrn, pin: '0000' } } });
    const timed = async (gsrn: string) => {
      const at = performance.now();
      const r = await unlock(gsrn);
      const ms = performance.now() - at;
      expect([r.status, r.body.error]).toEqual([401, 'badge_invalid']);
      return ms;
    };
    // warm both paths, then interleave them so load on the machine falls on both alike
    await timed(newGsrn());
    await timed(badge.gsrn);
    const unknown: number[] = [];
    const known: number[] = [];
    for (let i = 0; i < 30; i++) {
      unknown.push(await timed(newGsrn()));
      known.push(await timed(badge.gsrn));
    }
    const [u, k] = [median(unknown), median(known)];
    console.log(`badge wrong-PIN answer, median of 30: unknown GSRN ${u.toFixed(1)} ms, known GSRN ${k.toFixed(1)} ms (ratio ${(k / u).toFixed(2)})`);
    // argon2 dominates both (measured ratio 1.00-1.01 on SQLite and PostgreSQL); a missing
    // verify on one path is a factor of 10 or more (6 ms against 114 ms): 1.5 leaves room for
    // a loaded machine and none for an oracle
    expect(k / u).toBeLessThan(1.5);
    expect(u / k).toBeLessThan(1.5);
  }, 120_000);
});
