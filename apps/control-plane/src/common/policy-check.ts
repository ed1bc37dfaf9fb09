/**
 * Boot-time proof that every HTTP route declares an access policy (@Public or @Roles) and, with
 * @Roles, its ward scope (@WardScope.*). An endpoint added without either stops the server from
 * starting instead of shipping open. It also proves what the declarations promise:
 * - no write (anything but GET) admits a read-only role (the safety officer), but one marked
 *   @OwnSession that changes only the caller's own sign-in (logout, password);
 * - `@WardScope.allWards` admits only roles that see every ward;
 * - `@WardScope.resource`/`ward` name a parameter the path has.
 * The table it builds (`routes`) is what the route × role × ward e2e test walks.
 */
import { Injectable, RequestMethod, type OnModuleInit } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { seesEveryWard } from '#domain';
import type { UserRole } from '#persistence';
import { IS_PUBLIC, OWN_SESSION, READ_ONLY_ROLES, ROLES } from './auth.decorators.js';
import { WARD_SCOPE, type WardScopeDeclaration } from './ward-scope.decorators.js';

export interface RoutePolicy {
  /** e.g. `GET` */
  method: string;
  /** Express-style, e.g. `/api/doses/:id/timeline` */
  path: string;
  handler: string;
  public: boolean;
  roles: readonly UserRole[];
  wardScope: WardScopeDeclaration | null;
}

@Injectable()
export class PolicyCheck implements OnModuleInit {
  private table: RoutePolicy[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  /** Every HTTP route with its declared policy (filled at boot). */
  get routes(): readonly RoutePolicy[] {
    return this.table;
  }

  onModuleInit(): void {
    const missing: string[] = [];
    const unscoped: string[] = [];
    const broken: string[] = [];
    const table: RoutePolicy[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as object | undefined;
      if (!instance) continue;
      const proto = Object.getPrototypeOf(instance) as object;
      const base = this.reflector.get<string | string[] | undefined>(PATH_METADATA, instance.constructor);
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const handler = (proto as Record<string, unknown>)[name] as () => unknown;
        const own = this.reflector.get<string | string[] | undefined>(PATH_METADATA, handler);
        if (own === undefined) continue;
        const id = `${instance.constructor.name}.${name}`;
        const targets = [handler, instance.constructor];
        const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets) === true;
        const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(ROLES, targets);
        const scope = this.reflector.getAllAndOverride<WardScopeDeclaration | undefined>(WARD_SCOPE, targets) ?? null;
        const method = RequestMethod[this.reflector.get<RequestMethod>(METHOD_METADATA, handler)] ?? 'GET';
        const path = joinPath(first(base), first(own));
        table.push({ method, path, handler: id, public: isPublic, roles: roles ?? [], wardScope: scope });
        if (!isPublic && !roles) missing.push(id);
        if (isPublic || !roles) continue;
        if (!scope) unscoped.push(id);
        const ownSession = this.reflector.get<boolean | undefined>(OWN_SESSION, handler) === true;
        if (ownSession && scope?.kind !== 'none') broken.push(`${id}: @OwnSession is for the caller's own account (@WardScope.none)`);
        if (method !== 'GET' && !ownSession && roles.some((r) => READ_ONLY_ROLES.includes(r))) broken.push(`${id}: a write admits a read-only role`);
        if (scope?.kind === 'all_wards' && roles.some((role) => !seesEveryWard({ role, wards: [] })))
          broken.push(`${id}: @WardScope.allWards but @Roles admits a ward-bound role`);
        if ((scope?.kind === 'resource' || scope?.kind === 'ward') && !path.split('/').includes(`:${scope.param}`))
          broken.push(`${id}: @WardScope names path parameter '${scope.param}', which ${path} lacks`);
      }
    }
    if (missing.length) throw new Error(`routes without an access policy (@Public or @Roles): ${missing.join(', ')}`);
    if (unscoped.length) throw new Error(`routes without a ward-scope declaration (@WardScope.*): ${unscoped.join(', ')}`);
    if (broken.length) throw new Error(`route policies that contradict themselves: ${broken.join('; ')}`);
    this.table = table;
  }
}

const first = (p: string | string[] | undefined): string => (Array.isArray(p) ? (p[0] ?? '') : (p ?? ''));
const joinPath = (a: string, b: string): string =>
  `/${[a, b]
    .flatMap((s) => s.split('/'))
    .filter(Boolean)
    .join('/')}`;
