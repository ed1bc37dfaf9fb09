/**
 * Sign-in and bearer tokens. Tokens are short-lived HS256 JWTs carrying the user id; the
 * guard re-reads the user on each request so a disabled account or changed ward assignment
 * takes effect at once.
 */
import { randomBytes } from 'node:crypto';
import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { UnauthorizedError } from '#domain';
import { UsersRepository } from '#persistence';
import type { AuthUser } from '../common/auth.decorators.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { LoginAttempts } from './login-attempts.service.js';
import { hashPassword, verifyPassword } from './passwords.js';

export interface LoginResult {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  user: AuthUser;
}

@Injectable()
export class AuthService {
  private readonly jwt: JwtService;
  /** verified against when the user does not exist, so both paths cost one argon2 verify */
  private readonly dummyHash = hashPassword(randomBytes(16).toString('hex'));

  constructor(
    private readonly users: UsersRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly attempts: LoginAttempts,
  ) {
    // Without a configured secret each process signs with its own random key: tokens then
    // end with the process, which is acceptable for the embedded single-node default.
    this.jwt = new JwtService({
      secret: config.jwt.secret ?? randomBytes(48).toString('base64url'),
      signOptions: { algorithm: 'HS256', expiresIn: config.jwt.ttlSeconds },
    });
  }

  async login(username: string, password: string, address?: string): Promise<LoginResult> {
    const outcome = await this.attempts.attempt(
      'http',
      username,
      address,
      async () => {
        const found = await this.users.findByUsername(username);
        const ok = await verifyPassword(found?.passwordHash ?? (await this.dummyHash), password);
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
    const user = outcome.result;
    if (!user) throw new UnauthorizedError('invalid username or password', 'invalid_credentials');
    const accessToken = await this.jwt.signAsync({ sub: user.id, role: user.role });
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresIn: this.config.jwt.ttlSeconds,
      user: { id: user.id, username: user.username, role: user.role, wards: user.wards },
    };
  }

  /** Verifies a bearer token and returns the current user, or throws UnauthorizedError. */
  async verify(token: string): Promise<AuthUser> {
    let payload: { sub?: unknown };
    try {
      payload = await this.jwt.verifyAsync(token, { algorithms: ['HS256'] });
    } catch {
      throw new UnauthorizedError('invalid or expired token', 'invalid_token');
    }
    const user = typeof payload.sub === 'string' ? await this.users.findById(payload.sub) : null;
    if (!user || user.disabled) throw new UnauthorizedError('invalid or expired token', 'invalid_token');
    return { id: user.id, username: user.username, role: user.role, wards: user.wards };
  }
}
