import { Body, Controller, Get, Headers, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { LoginResultSchema, EndedSchema, SessionViewSchema, UnlockedSchema } from '../common/api-results.js';
import { z } from 'zod';
import { type AuthUser, CurrentUser, OwnSession, Public, READ_ROLES, Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { ApiErrors, ApiResult, jsonSchema } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { AuthService, type LoginResult } from './auth.service.js';
import { LoginAttempts, type LockoutView } from './login-attempts.service.js';
import { AuthSessions, type SessionView } from './sessions.service.js';

export const LoginSchema = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});

export const RefreshSchema = z.strictObject({
  refreshToken: z.string().min(1).max(200),
});

export const LogoutSchema = z.strictObject({
  /** end every session of the caller (every browser, every station), not only this one */
  everywhere: z.boolean().optional(),
});

export const ChangePasswordSchema = z
  .strictObject({
    currentPassword: z.string().min(1).max(256),
    newPassword: z.string().min(12, 'newPassword: at least 12 characters').max(256),
  })
  .refine((b) => b.currentPassword !== b.newPassword, { message: 'newPassword: must differ from the current password', path: ['newPassword'] });

export const UnlockSchema = z
  .strictObject({
    username: z.string().min(1).max(64).optional(),
    /** a badge's GSRN locked after wrong PINs */
    badge: z
      .string()
      .regex(/^\d{18}$/, 'badge: the 18-digit GSRN on the staff badge')
      .optional(),
    address: z.string().min(1).max(64).optional(),
  })
  .refine((b) => b.username !== undefined || b.badge !== undefined || b.address !== undefined, {
    message: 'name a username, a badge or an address to unlock',
    path: ['username'],
  });

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly attempts: LoginAttempts,
    private readonly sessions: AuthSessions,
  ) {}

  @Public()
  @ApiOperation({ summary: 'Sign in with username and password' })
  @ApiErrors({ unauthorized: ['invalid_credentials', 'credentials_changed'], throttled: ['too_many_attempts'] })
  @ApiResult(LoginResultSchema, 'A short-lived bearer access token, a rotating refresh token and the signed-in user')
  @Post('login')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(LoginSchema) })
  @ApiUnauthorizedResponse({ description: 'invalid username or password' })
  @ApiTooManyRequestsResponse({ description: 'locked after repeated failures (whatever the password)' })
  @ApiOkResponse({ description: 'A short-lived bearer access token, a rotating refresh token and the signed-in user' })
  login(
    @Body(new ZodPipe(LoginSchema)) body: z.infer<typeof LoginSchema>,
    @Ip() ip: string,
    @Headers('user-agent') userAgent: string | undefined,
  ): Promise<LoginResult> {
    return this.auth.login(body.username, body.password, { address: ip, userAgent });
  }

  /** The next access token and refresh token of a live session; each refresh token is good once. */
  @Public()
  @ApiOperation({ summary: 'Exchange a refresh token for the next access and refresh tokens' })
  @ApiErrors({ unauthorized: ['invalid_refresh_token', 'session_ended', 'session_expired', 'refresh_reused', 'refresh_raced'] })
  @ApiResult(LoginResultSchema)
  @Post('refresh')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(RefreshSchema) })
  @ApiUnauthorizedResponse({ description: 'the session has ended, expired, or the refresh token was used before (the session is then ended)' })
  refresh(@Body(new ZodPipe(RefreshSchema)) body: z.infer<typeof RefreshSchema>): Promise<LoginResult> {
    return this.auth.refresh(body.refreshToken);
  }

  /** Ends this session (or, with `everywhere`, every session of the caller): its tokens answer 401 at once, its live sockets close. */
  @ApiBearerAuth()
  @Roles(...READ_ROLES)
  @OwnSession()
  @ApiOperation({ summary: 'Sign out this session (or every session of the caller)' })
  @ApiResult(EndedSchema)
  @Post('logout')
  @WardScope.none('the caller’s own sessions')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(LogoutSchema) })
  logout(@Body(new ZodPipe(LogoutSchema)) body: z.infer<typeof LogoutSchema>, @CurrentUser() user: AuthUser): Promise<{ ended: number }> {
    return this.auth.logout(user, body.everywhere === true);
  }

  /** The caller's live sessions (where and when signed in). */
  @ApiBearerAuth()
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'List the caller’s live sessions' })
  @ApiResult(z.array(SessionViewSchema))
  @Get('sessions')
  @WardScope.none('the caller’s own sessions')
  mySessions(@CurrentUser() user: AuthUser): Promise<SessionView[]> {
    return this.sessions.list(user.id, user.sessionId);
  }

  /** Changes the caller's password: every session of theirs ends, and the answer is a new one. */
  @ApiBearerAuth()
  @Roles(...READ_ROLES)
  @OwnSession()
  @ApiOperation({ summary: 'Change the caller’s password (every session ends; a new one is answered)' })
  @ApiErrors({ rule: ['wrong_current_password'], throttled: ['too_many_attempts'], unauthorized: ['credentials_changed'] })
  @ApiResult(LoginResultSchema)
  @Post('password')
  @WardScope.none('the caller’s own account')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(ChangePasswordSchema) })
  changePassword(
    @Body(new ZodPipe(ChangePasswordSchema)) body: z.infer<typeof ChangePasswordSchema>,
    @CurrentUser() user: AuthUser,
    @Ip() ip: string,
    @Headers('user-agent') userAgent: string | undefined,
  ): Promise<LoginResult> {
    return this.auth.changePassword(user, body.currentPassword, body.newPassword, { address: ip, userAgent });
  }

  /**
   * What is locked now after repeated failures: (username or badge, source address) pairs,
   * source addresses (of sign-ins, or of MQTT CONNECTs) and badges locked everywhere. No
   * username and no device is ever locked from everywhere.
   */
  @ApiBearerAuth()
  @Roles('admin')
  @ApiOperation({ summary: 'List the sign-in lockouts in force' })
  @Get('lockouts')
  @WardScope.none('sign-in lockouts: accounts and addresses, not ward data')
  lockouts(): Promise<LockoutView[]> {
    return this.attempts.list();
  }

  /** Lifts the locks of a username (every source it is locked from, and its delay), a badge and/or a source address, and clears their alarms. */
  @ApiBearerAuth()
  @Roles('admin')
  @ApiOperation({ summary: 'Lift the lockouts of a username, a badge and/or a source address' })
  @ApiResult(UnlockedSchema)
  @Post('lockouts/unlock')
  @WardScope.none('sign-in lockouts: accounts and addresses, not ward data')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(UnlockSchema) })
  unlock(@Body(new ZodPipe(UnlockSchema)) body: z.infer<typeof UnlockSchema>, @CurrentUser() user: AuthUser): Promise<{ unlocked: number }> {
    return this.attempts.unlock(body, user.username);
  }
}
