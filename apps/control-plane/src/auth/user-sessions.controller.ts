/**
 * An administrator's view of a user's sign-in sessions, and "sign out everywhere". Under
 * /api/users with the user routes, but the sessions are this feature's: it answers them itself
 * rather than the users feature reaching into them.
 */
import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { z } from 'zod';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { EndedSchema, SessionViewSchema } from '../common/api-results.js';
import { ApiErrors, ApiResult } from '../common/openapi.js';
import { NotFoundError } from '#domain';
import { UsersRepository } from '#persistence';
import { Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { UserIdSchema } from '../users/users.controller.js';
import { AuthSessions, type SessionView } from './sessions.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('api/users')
export class UserSessionsController {
  constructor(
    private readonly sessions: AuthSessions,
    private readonly users: UsersRepository,
  ) {}

  /** The user's live sign-in sessions. */
  @Roles('admin')
  @ApiOperation({ summary: 'List a user’s live sessions' })
  @ApiErrors({ not_found: ['user_not_found'] })
  @ApiResult(z.array(SessionViewSchema))
  @Get(':id/sessions')
  @WardScope.none('user administration: accounts, not ward data')
  async list(@Param('id', new ZodPipe(UserIdSchema, 'id')) id: string): Promise<SessionView[]> {
    await this.requireUser(id);
    return this.sessions.list(id);
  }

  /** Sign out everywhere: every session of the user ends; their tokens answer 401 and their live sockets close. */
  @Roles('admin')
  @ApiOperation({ summary: 'Sign a user out everywhere' })
  @ApiErrors({ not_found: ['user_not_found'] })
  @ApiResult(EndedSchema)
  @Post(':id/sign-out')
  @WardScope.none('user administration: accounts, not ward data')
  @HttpCode(200)
  async signOut(@Param('id', new ZodPipe(UserIdSchema, 'id')) id: string): Promise<{ ended: number }> {
    await this.requireUser(id);
    return { ended: await this.sessions.end(id, null, 'signed_out_everywhere') };
  }

  private async requireUser(id: string): Promise<void> {
    if (!(await this.users.findById(id))) throw new NotFoundError('User', id);
  }
}
