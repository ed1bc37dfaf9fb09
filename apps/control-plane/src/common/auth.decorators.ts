/**
 * Access policy decorators. Every route must declare one: `@Public()` or `@Roles(...)`.
 * A route with neither is refused at boot (see PolicyCheck), so no endpoint can ship open
 * by omission.
 */
import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { UserRole } from '#persistence';

export const IS_PUBLIC = 'medloop:public';
export const ROLES = 'medloop:roles';

export const Public = () => SetMetadata(IS_PUBLIC, true);
export const Roles = (...roles: UserRole[]) => SetMetadata(ROLES, roles);

/** The authenticated user, as the guard attached it to the request. */
export interface AuthUser {
  id: string;
  username: string;
  role: UserRole;
  wards: string[];
}

export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthUser => {
  return ctx.switchToHttp().getRequest<{ user: AuthUser }>().user;
});

export const ALL_ROLES: UserRole[] = ['admin', 'pharmacist', 'nurse', 'ward_pharmacist'];
