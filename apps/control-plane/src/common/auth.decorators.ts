/**
 * Access policy decorators. Every route must declare one: `@Public()` or `@Roles(...)`, and a
 * route with @Roles also its ward scope (`@WardScope.*`, ward-scope.decorators.ts). A route
 * missing either is refused at boot (see PolicyCheck), so no endpoint can ship open by omission.
 */
import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { UserRole } from '#persistence';

export const IS_PUBLIC = 'medloop:public';
export const ROLES = 'medloop:roles';

export const OWN_SESSION = 'medloop:own-session';

export const Public = () => SetMetadata(IS_PUBLIC, true);
/**
 * A write that changes only the caller's own sign-in (logout, their password): open to the
 * read-only roles too, which PolicyCheck otherwise refuses on any write.
 */
export const OwnSession = () => SetMetadata(OWN_SESSION, true);
export const Roles = (...roles: UserRole[]) => SetMetadata(ROLES, roles);

/** The authenticated user, as the guard attached it to the request. */
export interface AuthUser {
  id: string;
  username: string;
  role: UserRole;
  wards: string[];
  /** the sign-in session the bearer token belongs to (absent for a witness or a badge holder: they sign no session) */
  sessionId?: string;
  /** when that session ends at the latest (ISO): a live socket opened with it closes then */
  sessionExpiresAt?: string;
}

export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthUser => {
  return ctx.switchToHttp().getRequest<{ user: AuthUser }>().user;
});

/** Every role that acts: for writes open to everyone who works on a ward (acknowledging an alarm). */
export const ACTING_ROLES: UserRole[] = ['admin', 'pharmacist', 'nurse', 'ward_pharmacist'];
/**
 * Every role that reads: the acting roles and the safety officer, who reads everything and acts
 * on nothing. Only for GET routes: PolicyCheck stops the boot when a write admits safety_officer.
 */
export const READ_ROLES: UserRole[] = [...ACTING_ROLES, 'safety_officer'];
/** The roles that may never write (anything but signing in). */
export const READ_ONLY_ROLES: readonly UserRole[] = ['safety_officer'];
