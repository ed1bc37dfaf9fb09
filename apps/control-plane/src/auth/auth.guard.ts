import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ForbiddenError, UnauthorizedError } from '#domain';
import type { UserRole } from '#persistence';
import { type AuthUser, IS_PUBLIC, ROLES } from '../common/auth.decorators.js';
import { AuthService } from './auth.service.js';

/**
 * The global guard: a route is either @Public() or requires a bearer token whose user has
 * one of the route's @Roles(). No token → 401; wrong role → 403. Fails closed: a route
 * with no policy is refused (and the boot-time PolicyCheck keeps such routes from shipping).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = ctx.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) throw new UnauthorizedError('a bearer token is required', 'missing_token');
    const user = await this.auth.verify(m[1]!);
    req.user = user;
    const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(ROLES, targets);
    if (!roles) throw new ForbiddenError('this endpoint has no access policy', 'no_policy');
    if (!roles.includes(user.role)) throw new ForbiddenError(`role '${user.role}' may not do this`, 'role_forbidden', { requiredRoles: roles });
    return true;
  }
}
