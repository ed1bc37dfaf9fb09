/**
 * Revocable sessions, before and after. Before: a token issued before a password reset kept
 * working for its 8 h, there was no logout, and disabling an account was the only way to end a
 * token. Now every access token names a server-side session and is honoured only while it
 * lives: logout, a password change (the user's own or an administrator's), disabling the
 * account and "sign out everywhere" end it at once over HTTP and at the live socket's
 * handshake; a refresh token is good once (a reused one ends its session); a token without a
 * session (from before the upgrade, or forged with a leaked key but no session) is refused.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { type AuthSessionEntity, AuthSessionsRepository, UserEntity, UsersRepository } from '#persistence';
import { AuthSessions } from '../../src/auth/sessions.service.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { liveHandshake, scrape } from './support.js';

const JWT_SECRET = randomBytes(32).toString('hex');
const b64 = (x: unknown) => Buffer.from(JSON.stringify(x)).toString('base64url');

interface Tokens {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  expiresIn: number;
  sessionExpiresAt: string;
}

describe('revocable sessions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ JWT_SECRET });
  });
  afterAll(async () => {
    await t?.close();
  });

  const signIn = async (username: string, password: string): Promise<Tokens> => {
    const r = await t.api('POST', '/api/auth/login', { body: { username, password } });
    expect(r.status).toBe(200);
    return r.body as Tokens;
  };
  const me = async (token: string) => (await t.api('GET', '/api/users/me', { token })).status;
  const refresh = (refreshToken: string) => t.api('POST', '/api/auth/refresh', { body: { refreshToken } });
  /** the live handshake's answer to a token: 'connected' or the refusal's code */
  const handshake = (token: string) => liveHandshake(t.baseUrl, token);
  const newUser = async (role: 'nurse' | 'pharmacist' = 'nurse') => {
    const u = await t.userToken(role, role === 'nurse' ? ['W-CARD'] : []);
    // the harness signed in once to hand out its token: end that session, so each test counts its own
    expect((await t.api('POST', '/api/auth/logout', { token: u.token, body: {} })).body).toEqual({ ended: 1 });
    return { ...u, tokens: await signIn(u.username, u.password) };
  };

  it('signs in with a short-lived access token and a refresh token that rotates and is good once', async () => {
    const u = await newUser();
    const a = u.tokens;
    expect(a.expiresIn).toBe(15 * 60);
    expect(a.refreshToken.startsWith(`${a.sessionId}.`)).toBe(true);
    expect(Date.parse(a.sessionExpiresAt) - Date.now()).toBeGreaterThan(11 * 3600_000);
    const b = await refresh(a.refreshToken);
    expect(b.status).toBe(200);
    expect(b.body.sessionId).toBe(a.sessionId);
    expect(b.body.refreshToken).not.toBe(a.refreshToken);
    expect(await me(b.body.accessToken)).toBe(200);
    const c = await refresh(b.body.refreshToken);
    expect(c.status).toBe(200);
    // the first refresh token, two rotations old: someone else holds a copy, the session ends
    const reused = await refresh(a.refreshToken);
    expect(reused.status).toBe(401);
    expect(reused.body.error).toBe('refresh_reused');
    expect((await refresh(c.body.refreshToken)).body.error).toBe('session_ended');
    expect(await me(c.body.accessToken)).toBe(401);
    expect(await me(a.accessToken)).toBe(401);
    expect(await scrape(t.baseUrl, /^medloop_auth_sessions_total\{event="ended_refresh_reused"\}/)).toBeGreaterThanOrEqual(1);
  });

  it('answers a refresh retried after a lost reply (the token it replaced, within the grace), once', async () => {
    const u = await newUser();
    const lost = await refresh(u.tokens.refreshToken);
    expect(lost.status).toBe(200);
    const retried = await refresh(u.tokens.refreshToken);
    expect(retried.status).toBe(200);
    expect(await me(retried.body.accessToken)).toBe(200);
    expect(await me(u.tokens.accessToken)).toBe(200);
    // a third time it is no retry: the session ends
    expect((await refresh(u.tokens.refreshToken)).body.error).toBe('refresh_reused');
    expect(await me(retried.body.accessToken)).toBe(401);
    expect((await refresh('not-a-token')).body).toMatchObject({ statusCode: 401, error: 'invalid_refresh_token' });
    expect((await t.api('POST', '/api/auth/refresh', { body: {} })).status).toBe(400);
  });

  it('logout ends this session only; `everywhere` ends all of them, over HTTP and at the live handshake', async () => {
    const u = await newUser();
    const second = await signIn(u.username, u.password);
    expect(await handshake(u.tokens.accessToken)).toBe('connected');
    const out = await t.api('POST', '/api/auth/logout', { token: u.tokens.accessToken, body: {} });
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ ended: 1 });
    expect(await me(u.tokens.accessToken)).toBe(401);
    expect(await handshake(u.tokens.accessToken)).toBe('invalid_token');
    expect((await refresh(u.tokens.refreshToken)).status).toBe(401);
    // the other browser is still signed in
    expect(await me(second.accessToken)).toBe(200);
    const third = await signIn(u.username, u.password);
    const sessions = await t.api('GET', '/api/auth/sessions', { token: third.accessToken });
    expect((sessions.body as { id: string; current: boolean }[]).map((s) => s.id).sort()).toEqual([second.sessionId, third.sessionId].sort());
    expect((sessions.body as { id: string; current: boolean }[]).find((s) => s.current)?.id).toBe(third.sessionId);
    expect((await t.api('POST', '/api/auth/logout', { token: third.accessToken, body: { everywhere: true } })).body).toEqual({ ended: 2 });
    expect(await me(second.accessToken)).toBe(401);
    expect(await me(third.accessToken)).toBe(401);
    expect((await t.api('POST', '/api/auth/logout', { token: third.accessToken, body: {} })).status).toBe(401);
  });

  it('a password reset by an administrator ends every token issued before it', async () => {
    const u = await newUser();
    expect(await me(u.tokens.accessToken)).toBe(200);
    const patch = await t.api('PATCH', `/api/users/${u.id}`, { token: t.adminToken, body: { password: 'a-new-password-after-reset' } });
    expect(patch.status).toBe(200);
    expect(await me(u.tokens.accessToken)).toBe(401);
    expect(await handshake(u.tokens.accessToken)).toBe('invalid_token');
    expect((await refresh(u.tokens.refreshToken)).status).toBe(401);
    expect(await me((await signIn(u.username, 'a-new-password-after-reset')).accessToken)).toBe(200);
  });

  /**
   * The race the reviewer measured (5 of 15 sign-ins survived): a sign-in checks the old
   * password, an administrator resets it (or disables the account) and ends every session it
   * can list, and only then does the sign-in insert its session. Held here at that insert,
   * deterministically: the session is born under the old credential generation and is refused
   * at once, and never honoured by any read.
   */
  it.each([
    ['a password reset', { password: 'reset-while-signing-in' }],
    ['disabling the account', { disabled: true }],
  ])('a sign-in that proved the old credentials just before %s gets no live session', async (_what, change) => {
    const u = await newUser();
    const repo = t.cp.app.get(AuthSessionsRepository);
    const insert = repo.insert.bind(repo);
    let atInsert!: () => void;
    const reached = new Promise<void>((resolve) => (atInsert = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const inserted: AuthSessionEntity[] = [];
    repo.insert = async (s: AuthSessionEntity) => {
      inserted.push(s);
      atInsert();
      await gate;
      return insert(s);
    };
    try {
      const signing = t.api('POST', '/api/auth/login', { body: { username: u.username, password: u.password } });
      await reached;
      const patch = await t.api('PATCH', `/api/users/${u.id}`, { token: t.adminToken, body: change });
      expect(patch.status).toBe(200);
      release();
      const r = await signing;
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('credentials_changed');
    } finally {
      repo.insert = insert;
      release();
    }
    expect(inserted).toHaveLength(1);
    const raced = inserted[0]!;
    // not honoured by any read either (the check at use does not depend on the one at sign-in)
    const sessions = t.cp.app.get(AuthSessions);
    await expect(sessions.requireLive(raced.id, u.id)).rejects.toMatchObject({ code: 'invalid_token' });
    expect((await sessions.list(u.id)).map((s) => s.id)).not.toContain(raced.id);
    expect(await scrape(t.baseUrl, /^medloop_auth_sessions_total\{event="ended_credentials_changed"\}/)).toBeGreaterThanOrEqual(1);
  });

  it('a password change of one’s own that an administrator’s reset overtakes is refused, and the reset stands', async () => {
    const u = await newUser();
    const repo = t.cp.app.get(UsersRepository);
    const update = repo.update.bind(repo);
    let atUpdate!: () => void;
    const reached = new Promise<void>((resolve) => (atUpdate = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    // the user's own change is held after its password check (as during the argon2 hash of the new one)
    repo.update = async (...args: Parameters<UsersRepository['update']>) => {
      if (!held && args[2]?.ifGeneration !== undefined) {
        held = true;
        atUpdate();
        await gate;
      }
      return update(...args);
    };
    try {
      const changing = t.api('POST', '/api/auth/password', {
        token: u.tokens.accessToken,
        body: { currentPassword: u.password, newPassword: 'the-attackers-new-password' },
      });
      await reached;
      expect((await t.api('PATCH', `/api/users/${u.id}`, { token: t.adminToken, body: { password: 'the-administrators-reset' } })).status).toBe(200);
      release();
      const r = await changing;
      expect([r.status, r.body.error]).toEqual([401, 'credentials_changed']);
    } finally {
      repo.update = update;
      release();
    }
    expect((await t.api('POST', '/api/auth/login', { body: { username: u.username, password: 'the-attackers-new-password' } })).status).toBe(401);
    expect((await t.api('POST', '/api/auth/login', { body: { username: u.username, password: 'the-administrators-reset' } })).status).toBe(200);
    expect(await me(u.tokens.accessToken)).toBe(401);
  });

  it('honours no session of older credentials, whatever ended or did not end it: refresh, requests and the handshake', async () => {
    const u = await newUser();
    // the generation moves on behind the sessions' back (as another node's reset would, before its event arrives)
    const ds = t.cp.app.get(DataSource);
    await ds.query(
      `UPDATE ${ds.getMetadata(UserEntity).tablePath} SET credential_generation = credential_generation + 1 WHERE id = ${ds.options.type === 'postgres' ? '$1' : '?'}`,
      [u.id],
    );
    expect(await me(u.tokens.accessToken)).toBe(401);
    expect(await handshake(u.tokens.accessToken)).toBe('invalid_token');
    expect((await refresh(u.tokens.refreshToken)).body.error).toBe('session_ended');
    expect((await t.api('GET', `/api/users/${u.id}/sessions`, { token: t.adminToken })).body).toEqual([]);
  });

  it('remembers the last 16 refresh secrets it replaced: an older one is only refused', async () => {
    const u = await newUser();
    let tokens = u.tokens;
    const issued = [tokens.refreshToken];
    for (let i = 0; i < 18; i++) {
      tokens = (await refresh(tokens.refreshToken)).body as Tokens;
      issued.push(tokens.refreshToken);
    }
    // the first is 18 rotations old: forgotten, a plain refusal that ends nothing
    expect((await refresh(issued[0]!)).body.error).toBe('invalid_refresh_token');
    expect(await me(tokens.accessToken)).toBe(200);
    // the one replaced 3 rotations ago is remembered: a reuse, the session ends
    expect((await refresh(issued[15]!)).body.error).toBe('refresh_reused');
    expect(await me(tokens.accessToken)).toBe(401);
  });

  it('a refresh secret never issued for a session is refused without ending it (session ids are not secret)', async () => {
    const u = await newUser();
    const guess = await refresh(`${u.tokens.sessionId}.${randomBytes(32).toString('base64url')}`);
    expect(guess.status).toBe(401);
    expect(guess.body.error).toBe('invalid_refresh_token');
    expect(await me(u.tokens.accessToken)).toBe(200);
    expect((await refresh(u.tokens.refreshToken)).status).toBe(200);
  });

  it('changing one’s own password proves the current one, ends every session and answers a new one', async () => {
    const u = await newUser();
    const other = await signIn(u.username, u.password);
    const wrong = await t.api('POST', '/api/auth/password', {
      token: u.tokens.accessToken,
      body: { currentPassword: 'not-it', newPassword: 'my-own-new-password' },
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body).toMatchObject({ error: 'wrong_current_password', field: 'currentPassword' });
    const short = await t.api('POST', '/api/auth/password', { token: u.tokens.accessToken, body: { currentPassword: u.password, newPassword: 'short' } });
    expect(short.status).toBe(400);
    expect(short.body.field).toBe('newPassword');
    const ok = await t.api('POST', '/api/auth/password', {
      token: u.tokens.accessToken,
      body: { currentPassword: u.password, newPassword: 'my-own-new-password' },
    });
    expect(ok.status).toBe(200);
    expect(await me(u.tokens.accessToken)).toBe(401);
    expect(await me(other.accessToken)).toBe(401);
    expect(await me(ok.body.accessToken)).toBe(200);
    expect((await t.api('POST', '/api/auth/login', { body: { username: u.username, password: u.password } })).status).toBe(401);
  });

  it('disabling an account and an administrator’s “sign out everywhere” end its sessions', async () => {
    const u = await newUser('pharmacist');
    const other = await signIn(u.username, u.password);
    const listed = await t.api('GET', `/api/users/${u.id}/sessions`, { token: t.adminToken });
    expect(listed.body).toHaveLength(2);
    const out = await t.api('POST', `/api/users/${u.id}/sign-out`, { token: t.adminToken });
    expect(out.body).toEqual({ ended: 2 });
    expect(await me(u.tokens.accessToken)).toBe(401);
    expect(await me(other.accessToken)).toBe(401);
    expect((await t.api('POST', `/api/users/${u.id}/sign-out`, { token: u.tokens.accessToken })).status).toBe(401);

    const v = await newUser();
    expect((await t.api('PATCH', `/api/users/${v.id}`, { token: t.adminToken, body: { disabled: true } })).status).toBe(200);
    expect(await me(v.tokens.accessToken)).toBe(401);
    expect((await refresh(v.tokens.refreshToken)).status).toBe(401);
    // enabled again, the old session stays ended: sign in anew
    expect((await t.api('PATCH', `/api/users/${v.id}`, { token: t.adminToken, body: { disabled: false } })).status).toBe(200);
    expect(await me(v.tokens.accessToken)).toBe(401);
    expect(await me((await signIn(v.username, v.password)).accessToken)).toBe(200);
  });

  it('refuses a correctly signed token that names no live session (issued before sessions, or minted with a leaked key)', async () => {
    const u = await newUser();
    const now = Math.floor(Date.now() / 1000);
    const mint = (payload: object) => {
      const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
      return `${head}.${createHmac('sha256', JWT_SECRET).update(head).digest('base64url')}`;
    };
    const noSession = mint({ sub: u.id, role: 'nurse', iat: now, exp: now + 600 });
    const madeUp = mint({ sub: u.id, sid: '00000000-0000-4000-8000-000000000000', role: 'nurse', iat: now, exp: now + 600 });
    const othersSession = mint({ sub: u.id, sid: (await newUser()).tokens.sessionId, role: 'nurse', iat: now, exp: now + 600 });
    for (const token of [noSession, madeUp, othersSession]) {
      const r = await t.api('GET', '/api/users/me', { token });
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_token');
      expect(await handshake(token)).toBe('invalid_token');
    }
    // the same key with the real session id is honoured: the refusals above are the session check
    expect(await me(mint({ sub: u.id, sid: u.tokens.sessionId, role: 'nurse', iat: now, exp: now + 600 }))).toBe(200);
  });
});
