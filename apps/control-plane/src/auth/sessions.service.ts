/**
 * Sign-in sessions held in the database (AuthSessionEntity), the truth every access token is
 * checked against: a token is honoured only while its session is live, so logout, a password
 * change, disabling the account and an administrator's "sign out everywhere" end every token of
 * it at once, on every node (#21), with no token list to distribute.
 *
 * The refresh token is `<session id>.<secret>`, rotated at every use (OAuth 2.0 Security BCP,
 * refresh token rotation): the secret presented must be the current one. The one it replaced,
 * presented again within REFRESH_RETRY_GRACE_MS, is a client whose reply was lost and it is
 * answered (rotated again); presented later it is a copy in someone else's hands and the whole
 * session ends (`refresh_reused`). Any other secret is a plain 401 that ends nothing: session
 * ids are not secret (an access token names its own), and a guess must not sign a nurse out.
 *
 * A session is opened under the user's credential generation (UserEntity) and honoured only
 * while it is still the user's: a sign-in that checked the old password just before a reset
 * inserts its session after the reset ended the others, and is born stale rather than live.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import { UnauthorizedError } from '#domain';
import { type AuthSessionEntity, AuthSessionsRepository } from '#persistence';
import type { DomainEventMap } from '#contracts';
import { EventBus } from '../common/events.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { MetricsService } from '../metrics/metrics.service.js';

export const REFRESH_RETRY_GRACE_MS = 30_000;
/** sessions past their end are kept this long (session lists, investigations), then forgotten */
const KEEP_ENDED_MS = 30 * 24 * 3600_000;
const PURGE_EVERY_MS = 3600_000;

export type SessionEndReason = DomainEventMap['auth.sessions_revoked']['reason'];

export interface SessionView {
  id: string;
  createdAt: string;
  refreshedAt: string;
  expiresAt: string;
  address: string | null;
  userAgent: string | null;
  current: boolean;
}

export interface IssuedSession {
  session: AuthSessionEntity;
  refreshToken: string;
}

const hashSecret = (secret: string) => `sha256:${createHash('sha256').update(secret).digest('hex')}`;
const sameHash = (a: string | null, b: string) => a !== null && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
const REFRESH_TOKEN = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;

@Injectable()
export class AuthSessions implements OnModuleInit, OnModuleDestroy {
  constructor(
    private readonly sessions: AuthSessionsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly bus: EventBus,
    private readonly metrics: MetricsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  private lastPurge = 0;
  private sub: Subscription | undefined;

  /**
   * A password set by an administrator or a disabled account (users feature, committed): the
   * old credentials' sessions are already unhonoured (their generation), here they are ended
   * (rows, and through auth.sessions_revoked their live sockets). Should this fail, the live
   * sweep still closes those sockets: it lists live sessions the same way.
   */
  onModuleInit(): void {
    this.sub = this.bus.on('user.credentials_changed').subscribe(({ userId, reason, generation }) => {
      // the sessions of older credentials only: one signed in with the new password meanwhile stays
      this.end(userId, null, reason, generation).catch((err: unknown) =>
        this.logger.error({ err, userId, reason }, 'could not end the sessions of changed credentials'),
      );
    });
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  /**
   * A new session for a user who just proved who they are, under the credential generation
   * read with the password (or the one a password change just set).
   */
  async open(
    user: { id: string; credentialGeneration: number },
    from: { address?: string | undefined; userAgent?: string | undefined },
  ): Promise<IssuedSession> {
    const now = new Date();
    const secret = randomBytes(32).toString('base64url');
    const session: AuthSessionEntity = {
      id: randomUUID(),
      userId: user.id,
      credentialGeneration: user.credentialGeneration,
      refreshHash: hashSecret(secret),
      previousRefreshHash: null,
      retiredRefreshHashes: [],
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.sessions.maxSeconds * 1000),
      refreshedAt: now,
      revokedAt: null,
      revokedReason: null,
      address: from.address?.slice(0, 64) ?? null,
      userAgent: from.userAgent?.slice(0, 256) ?? null,
    };
    await this.sessions.insert(session);
    // a password change or a disable that committed since the credentials were read: this
    // session would never be honoured (findLive), so it is not handed out as if it were
    if (!(await this.sessions.findLive(session.id, user.id, now, new Date(now.getTime() - this.idleMs())))) {
      await this.end(user.id, [session.id], 'credentials_changed');
      throw new UnauthorizedError('the password was changed or the account disabled while signing in: sign in again', 'credentials_changed');
    }
    this.metrics.authSessions.inc({ event: 'opened' });
    // sign-ins are what adds rows: they also take the old ones away, at most once an hour
    if (now.getTime() - this.lastPurge > PURGE_EVERY_MS) {
      this.lastPurge = now.getTime();
      await this.sessions.purgeEndedBefore(new Date(now.getTime() - KEEP_ENDED_MS)).catch(() => 0);
    }
    return { session, refreshToken: `${session.id}.${secret}` };
  }

  /** The live session an access token names (the user's, before its absolute and idle ends, of the current credentials), or 401. */
  async requireLive(sessionId: string, userId: string): Promise<AuthSessionEntity> {
    const now = Date.now();
    const s = await this.sessions.findLive(sessionId, userId, new Date(now), new Date(now - this.idleMs()));
    if (!s) throw new UnauthorizedError('invalid or expired token', 'invalid_token');
    return s;
  }

  /**
   * The session if it is not revoked and of the user's current credentials, whatever its
   * times: for the live sockets, which judge the absolute and idle ends themselves (to say
   * which one closed the socket). null otherwise.
   */
  unrevoked(sessionId: string, userId: string): Promise<AuthSessionEntity | null> {
    return this.sessions.findLive(sessionId, userId, new Date(0), new Date(0));
  }

  /** The user's sessions as unrevoked() judges them. */
  async unrevokedOf(userId: string): Promise<{ id: string; expiresAt: string; refreshedAt: string }[]> {
    return (await this.sessions.listLive(userId, new Date(0), new Date(0))).map((s) => ({
      id: s.id,
      expiresAt: s.expiresAt.toISOString(),
      refreshedAt: s.refreshedAt.toISOString(),
    }));
  }

  private idleMs(): number {
    return this.config.sessions.idleSeconds * 1000;
  }

  /** Rotates a refresh token: the session and the new refresh token, or 401 (and a stolen token's session ended). */
  async refresh(refreshToken: string): Promise<IssuedSession> {
    const m = REFRESH_TOKEN.exec(refreshToken);
    const refused = (code: string, message = 'the session has ended: sign in again') => {
      this.metrics.authSessions.inc({ event: `refresh_${code}` });
      return new UnauthorizedError(message, code);
    };
    if (!m) throw refused('invalid_refresh_token', 'refreshToken: not a refresh token');
    const [, id, secret] = m as unknown as [string, string, string];
    const s = await this.sessions.findById(id);
    const now = Date.now();
    if (!s || s.revokedAt) throw refused('session_ended');
    if (sessionEndsAt(s, this.idleMs()) <= now) {
      await this.end(s.userId, [s.id], 'expired');
      throw refused('session_expired', 'the session has expired: sign in again');
    }
    const presented = hashSecret(secret);
    const current = sameHash(s.refreshHash, presented);
    const previous = !current && sameHash(s.previousRefreshHash, presented);
    const retry = previous && now - s.refreshedAt.getTime() <= REFRESH_RETRY_GRACE_MS;
    const retired = !current && !previous && s.retiredRefreshHashes.some((h) => sameHash(h, presented));
    if ((previous && !retry) || retired) {
      // a refresh token is used once: seeing a replaced one again means two parties hold it
      await this.end(s.userId, [s.id], 'refresh_reused');
      throw refused('refresh_reused', 'this refresh token was already used: the session has been ended for safety, sign in again');
    }
    // a secret never issued for this session: a guess or garbage, refused without ending anything
    if (!current && !retry) throw refused('invalid_refresh_token');
    // opened under credentials the user no longer has (a sign-in that raced a password change)
    if (!(await this.sessions.findLive(s.id, s.userId, new Date(now), new Date(now - this.idleMs())))) {
      await this.end(s.userId, [s.id], 'credentials_changed');
      throw refused('session_ended');
    }
    const nextSecret = randomBytes(32).toString('base64url');
    const nextHash = hashSecret(nextSecret);
    const at = new Date(now);
    // conditional on the hash read: of two racing refreshes one rotates, the other is refused
    if (!(await this.sessions.rotate(s, nextHash, at))) throw refused('refresh_raced', 'the session was refreshed by another request: use its tokens');
    if (retry) this.metrics.authSessions.inc({ event: 'refresh_retried' });
    this.metrics.authSessions.inc({ event: 'refreshed' });
    return { session: { ...s, refreshHash: nextHash, previousRefreshHash: s.refreshHash, refreshedAt: at }, refreshToken: `${s.id}.${nextSecret}` };
  }

  /**
   * Ends sessions of a user (the listed ones, or all; `belowGeneration`: only those of older
   * credentials) and tells whoever holds them open (live sockets).
   */
  async end(userId: string, ids: readonly string[] | null, reason: SessionEndReason, belowGeneration?: number): Promise<number> {
    const ended = await this.sessions.revoke(userId, ids, reason, new Date(), belowGeneration);
    if (ended.length > 0) {
      this.metrics.authSessions.inc({ event: `ended_${reason}` }, ended.length);
      this.bus.emit('auth.sessions_revoked', { userId, sessionIds: ids === null ? null : ended, reason });
    }
    return ended.length;
  }

  async list(userId: string, currentId?: string): Promise<SessionView[]> {
    const now = Date.now();
    return (await this.sessions.listLive(userId, new Date(now), new Date(now - this.idleMs()))).map((s) => ({
      id: s.id,
      createdAt: s.createdAt.toISOString(),
      refreshedAt: s.refreshedAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
      address: s.address,
      userAgent: s.userAgent,
      current: s.id === currentId,
    }));
  }
}

/**
 * When a session ends unless refreshed again: its absolute end, or its idle end (the last
 * refresh plus the idle limit), whichever is sooner. The one rule, for refresh and live sockets.
 */
export function sessionEndsAt(s: { expiresAt: Date | string; refreshedAt: Date | string }, idleMs: number): number {
  return Math.min(new Date(s.expiresAt).getTime(), new Date(s.refreshedAt).getTime() + idleMs);
}
