import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { z } from 'zod';
import { Public } from '../common/auth.decorators.js';
import { jsonSchema } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { AuthService, type LoginResult } from './auth.service.js';

export const LoginSchema = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(LoginSchema) })
  @ApiOkResponse({ description: 'A bearer JWT and the signed-in user' })
  @ApiUnauthorizedResponse({ description: 'invalid username or password' })
  login(@Body(new ZodPipe(LoginSchema)) body: z.infer<typeof LoginSchema>): Promise<LoginResult> {
    return this.auth.login(body.username, body.password);
  }
}
