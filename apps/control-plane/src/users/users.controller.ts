import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { UserViewSchema } from '../common/api-results.js';
import { z } from 'zod';
import { USER_ROLES } from '#persistence';
import { READ_ROLES, type AuthUser, CurrentUser, Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { ApiErrors, ApiResult, jsonSchema } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { UsersService, type UserView } from './users.service.js';

const wardId = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'ward ids use letters, digits and _ . : -');

export const CreateUserSchema = z
  .strictObject({
    username: z.string().regex(/^[a-z0-9_.-]{3,64}$/, 'username: 3-64 lower-case letters, digits, _ . -'),
    displayName: z.string().min(1).max(128).optional(),
    password: z.string().min(12, 'password must be at least 12 characters').max(256),
    role: z.enum(USER_ROLES),
    wards: z.array(wardId).max(64).optional(),
    badgeGsrn: z
      .string()
      .regex(/^\d{18}$/, 'badgeGsrn: the 18-digit GSRN on the staff badge')
      .optional(),
    pin: z
      .string()
      .regex(/^\d{4,8}$/, 'pin: 4 to 8 digits')
      .optional(),
  })
  .refine((u) => u.role !== 'nurse' || (u.wards?.length ?? 0) > 0, { message: 'a nurse must be assigned to at least one ward', path: ['wards'] });

export const UpdateUserSchema = z.strictObject({
  displayName: z.string().min(1).max(128).optional(),
  password: z.string().min(12, 'password must be at least 12 characters').max(256).optional(),
  role: z.enum(USER_ROLES).optional(),
  wards: z.array(wardId).max(64).optional(),
  disabled: z.boolean().optional(),
  badgeGsrn: z
    .string()
    .regex(/^\d{18}$/, 'badgeGsrn: the 18-digit GSRN on the staff badge')
    .optional(),
  pin: z
    .string()
    .regex(/^\d{4,8}$/, 'pin: 4 to 8 digits')
    .optional(),
});

export const UserIdSchema = z.uuid({ message: 'id must be a UUID' });

@ApiTags('users')
@ApiBearerAuth()
@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Roles('admin')
  @ApiOperation({ summary: 'Create a user account' })
  @ApiErrors({ conflict: ['username_taken'] })
  @ApiResult(UserViewSchema)
  @Post()
  @WardScope.none('user administration: accounts, not ward data')
  @ApiBody({ schema: jsonSchema(CreateUserSchema) })
  create(@Body(new ZodPipe(CreateUserSchema)) body: z.infer<typeof CreateUserSchema>): Promise<UserView> {
    return this.users.create(body);
  }

  @Roles('admin')
  @ApiOperation({ summary: 'List user accounts' })
  @ApiResult(z.array(UserViewSchema))
  @Get()
  @WardScope.none('user administration: accounts, not ward data')
  list(): Promise<UserView[]> {
    return this.users.list();
  }

  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Get the caller’s own account' })
  @ApiResult(UserViewSchema)
  @Get('me')
  @WardScope.none('the caller’s own account')
  me(@CurrentUser() user: AuthUser): Promise<UserView> {
    return this.users.get(user.id);
  }

  @Roles('admin')
  @ApiOperation({ summary: 'Update a user account' })
  @ApiErrors({ not_found: ['user_not_found'] })
  @ApiResult(UserViewSchema)
  @Patch(':id')
  @WardScope.none('user administration: accounts, not ward data')
  @ApiBody({ schema: jsonSchema(UpdateUserSchema) })
  update(
    @Param('id', new ZodPipe(UserIdSchema, 'id')) id: string,
    @Body(new ZodPipe(UpdateUserSchema)) body: z.infer<typeof UpdateUserSchema>,
  ): Promise<UserView> {
    return this.users.update(id, body);
  }
}
