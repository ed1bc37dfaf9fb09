import { Body, Controller, Get, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { z } from 'zod';
import { type AuthUser, CurrentUser, Public, Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { jsonSchema } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { AuthService, type LoginResult } from './auth.service.js';
import { LoginAttempts, type LockoutView } from './login-attempts.service.js';

export const LoginSchema = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});

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
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(LoginSchema) })
  @ApiOkResponse({ description: 'A bearer JWT and the signed-in user' })
  @ApiUnauthorizedResponse({ description: 'invalid username or password' })
  @ApiTooManyRequestsResponse({ description: 'locked after repeated failures (whatever the password)' })
  login(@Body(new ZodPipe(LoginSchema)) body: z.infer<typeof LoginSchema>, @Ip() ip: string): Promise<LoginResult> {
    return this.auth.login(body.username, body.password, ip);
  }

  /** Usernames (HTTP and MQTT), badges and source addresses locked now after repeated failed sign-ins or PINs. */
  @ApiBearerAuth()
  @Roles('admin')
  @Get('lockouts')
  @WardScope.none('sign-in lockouts: accounts and addresses, not ward data')
  lockouts(): LockoutView[] {
    return this.attempts.list();
  }

  /** Lifts the lock of a username (both channels), a badge and/or a source address, and clears its alarm. */
  @ApiBearerAuth()
  @Roles('admin')
  @Post('lockouts/unlock')
  @WardScope.none('sign-in lockouts: accounts and addresses, not ward data')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(UnlockSchema) })
  unlock(@Body(new ZodPipe(UnlockSchema)) body: z.infer<typeof UnlockSchema>, @CurrentUser() user: AuthUser): Promise<{ unlocked: number }> {
    return this.attempts.unlock(body, user.username);
  }
}
