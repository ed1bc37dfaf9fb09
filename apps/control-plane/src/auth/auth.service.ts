/**
 * Sign-in and bearer tokens: an access + refresh pair per sign-in session (sessions.service.ts).
 * Access tokens are short-lived HS256 JWTs naming the user (`sub`) and the session (`sid`);
 * every request re-reads both, so a disabled account, a changed ward assignment or an ended
 * session takes effect at once, whatever the token's own expiry says.
 */
import { randomBytes } from 'node:crypto';
import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { RuleViolationError, UnauthorizedError } from '#domain';
import { type AuthSessionEntity, type UserEntity, UsersRepository } from '#persistence';
import type { AuthUser } from '../common/auth.decorators.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { LoginAttempts } from './login-attempts.service.js';
import { hashPassword, verifyOrDummy } from './passwords.js';
import { AuthSessions } from './sessions.service.js';

export interface LoginResult {
  accessToken: string;
  tokenType: 'Bearer';
  /** seconds the access token lives: refresh before then */
  expiresIn: number;
  /** rotates at every use (POST /api/auth/refresh); each is good once */
  refreshToken: string;
  /** when the session ends whatever its refreshes (ISO) */
  sessionExpiresAt: string;
  sessionId: string;
  user: AuthUser;
}

export interface ClientInfo {
  address?: string | undefined;
  userAgent?: string | undefined;
}

@Injectable()
export class AuthService {
  private readonly jwt: JwtService;

  constructor(
    private readonly users: UsersRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly attempts: LoginAttempts,
    private readonly sessions: AuthSessions,
  ) {
    // Without a configured secret each process signs with its own random key: tokens then
    // end with the process, which is acceptable for the embedded single-node default.
    this.jwt = new JwtService({
      secret: config.jwt.secret ?? randomBytes(48).toString('base64url'),
      signOptions: { algorithm: 'HS256', expiresIn: config.jwt.ttlSeconds },
    });
  }

  async login(username: string, password: string, client: ClientInfo = {}): Promise<LoginResult> {
    const user = await this.checkPassword(username, password, client.address);
    if (!user) throw new UnauthorizedError('invalid username or password', 'invalid_credentials');
    return this.issue(user, await this.sessions.open(user, client));
  }

  /** A new access token and the next refresh token for a live session. */
  async refresh(refreshToken: string): Promise<LoginResult> {
    const issued = await this.sessions.refresh(refreshToken);
    const user = await this.users.findById(issued.session.userId);
    if (!user || user.disabled) {
      await this.sessions.end(issued.session.userId, [issued.session.id], 'disabled');
      throw new UnauthorizedError('the session has ended: sign in again', 'session_ended');
    }
    return this.issue(user, issued);
  }

  /** Ends the caller's session, or every session of the caller. */
  async logout(user: AuthUser, everywhere: boolean): Promise<{ ended: number }> {
    if (!everywhere && !user.sessionId) return { ended: 0 };
    return { ended: await this.sessions.end(user.id, everywhere ? null : [user.sessionId!], everywhere ? 'signed_out_everywhere' : 'logout') };
  }

  /**
   * The caller changes their own password, proving the current one (under the sign-in
   * throttle: it is a password guess like any other). Every session of theirs ends, this one
   * too; the answer is a fresh session signed in with the new password.
   */
  async changePassword(caller: AuthUser, current: string, next: string, client: ClientInfo = {}): Promise<LoginResult> {
    const user = await this.checkPassword(caller.username, current, client.address);
    // not 401: the caller is signed in; it is the current password that is wrong
    if (!user || user.id !== caller.id)
      throw new RuleViolationError('currentPassword: not the current password', 'wrong_current_password', { field: 'currentPassword' });
    // only over the credentials just proved: an administrator's reset or a disable that
    // committed while the new password was being hashed is not overwritten (nor is its
    // generation taken over by this session)
    const generation = await this.users.update(user.id, { passwordHash: await hashPassword(next) }, { ifGeneration: user.credentialGeneration });
    if (generation === null) throw new UnauthorizedError('the password was changed or the account disabled meanwhile: sign in again', 'credentials_changed');
    await this.sessions.end(user.id, null, 'password_changed', generation);
    // under the generation the new password made: a sign-in that raced it with the old one is not
    return this.issue(user, await this.sessions.open({ id: user.id, credentialGeneration: generation }, client));
  }

  /** Verifies a bearer token and returns the current user with its session, or throws UnauthorizedError. */
  async verify(token: string): Promise<AuthUser> {
    let payload: { sub?: unknown; sid?: unknown };
    try {
      payload = await this.jwt.verifyAsync(token, { algorithms: ['HS256'] });
    } catch {
      throw new UnauthorizedError('invalid or expired token', 'invalid_token');
    }
    // a token without a session (issued before sessions existed) is not honoured
    if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') throw new UnauthorizedError('invalid or expired token', 'invalid_token');
    const [user, session] = await Promise.all([this.users.findById(payload.sub), this.sessions.requireLive(payload.sid, payload.sub)]);
    if (!user || user.disabled) throw new UnauthorizedError('invalid or expired token', 'invalid_token');
    return { ...authUser(user), sessionId: session.id, sessionExpiresAt: session.expiresAt.toISOString() };
  }

  private async checkPassword(username: string, password: string, address: string | undefined): Promise<UserEntity | null> {
    const outcome = await this.attempts.attempt(
      'http',
      username,
      address,
      async () => {
        const found = await this.users.findByUsername(username);
        // an unknown username costs the argon2 verify a known one does (against the dummy hash)
        const ok = await verifyOrDummy(found?.passwordHash, password);
        return found && ok && !found.disabled ? found : null;
      },
      (u) => u !== null,
    );
    // a locked account answers the same whether or not the password was right
    if ('locked' in outcome) {
      const retryAfterS = Math.ceil(outcome.locked / 1000);
      throw new HttpException(
        { message: `too many failed sign-ins: try again in ${retryAfterS} s or ask an administrator`, retryAfterS },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    return outcome.result;
  }

  private async issue(user: UserEntity, issued: { session: AuthSessionEntity; refreshToken: string }): Promise<LoginResult> {
    const accessToken = await this.jwt.signAsync({ sub: user.id, sid: issued.session.id, role: user.role });
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresIn: this.config.jwt.ttlSeconds,
      refreshToken: issued.refreshToken,
      sessionExpiresAt: issued.session.expiresAt.toISOString(),
      sessionId: issued.session.id,
      user: authUser(user),
    };
  }
}

const authUser = (u: UserEntity): AuthUser => ({ id: u.id, username: u.username, role: u.role, wards: u.wards });
