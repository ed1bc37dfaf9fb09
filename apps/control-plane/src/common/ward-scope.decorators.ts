/**
 * Ward-scope declarations. Every route with @Roles(...) must also say how it keeps to the
 * ward-scope rule (`inWardScope` in libs/domain access/ward-scope.ts); PolicyCheck stops the
 * boot otherwise, as it does for a route without @Roles.
 *
 * Usage (one per route, on the handler or the controller class):
 *
 *   @WardScope.resource('dose')                 // path param `id` names a dose: WardScopeGuard
 *   @WardScope.resource('cabinet', 'cabinetId') // resolves its ward after AuthGuard and before
 *                                               // pipes, so a POST with any body is refused 403
 *                                               // `ward_forbidden` before validation
 *   @WardScope.ward('ward')                     // path param `ward` is a ward id
 *   @WardScope.filtered('OrdersService.list keeps orders of the caller\'s wards')
 *                                               // a list, filtered by the rule in its service
 *   @WardScope.inService('ward of the patient named by the wristband in the body')
 *                                               // the service resolves the ward from the body and
 *                                               // calls assertInWardScope
 *   @WardScope.allWards('a recall is hospital-wide')
 *                                               // only roles that see every ward are admitted
 *                                               // (PolicyCheck proves @Roles holds no ward-bound
 *                                               // role, so adding 'nurse' later stops the boot)
 *   @WardScope.none('site graph: not ward data') // not ward data (formulary, robots, own user)
 *
 * Unknown ids: for a caller who sees every ward the guard looks nothing up and the handler
 * answers its 404. For a ward-bound caller (a nurse) an unknown id and another ward's id both
 * answer 403 `ward_forbidden`, so a nurse cannot probe which ids exist on other wards.
 */
import { SetMetadata } from '@nestjs/common';

export const WARD_SCOPE = 'medloop:ward-scope';

/** The resources a path parameter can name, each resolved to its ward by WardScopeGuard. */
export const WARD_RESOURCE_KINDS = [
  'dose',
  'delivery',
  'order',
  'patient',
  'administration-slot',
  'cabinet',
  'sensor',
  'device',
  'device-command',
  'alarm',
  'mission',
  'excursion',
] as const;
export type WardResourceKind = (typeof WARD_RESOURCE_KINDS)[number];

export type WardScopeDeclaration =
  | { kind: 'resource'; resource: WardResourceKind; param: string }
  | { kind: 'ward'; param: string }
  | { kind: 'filtered'; why: string }
  | { kind: 'in_service'; why: string }
  | { kind: 'all_wards'; why: string }
  | { kind: 'none'; why: string };

export const WardScope = {
  /** A path parameter names a resource; its ward must be in the caller's scope. */
  resource: (resource: WardResourceKind, param = 'id') => SetMetadata(WARD_SCOPE, { kind: 'resource', resource, param } satisfies WardScopeDeclaration),
  /** A path parameter is a ward id. */
  ward: (param = 'ward') => SetMetadata(WARD_SCOPE, { kind: 'ward', param } satisfies WardScopeDeclaration),
  /** A list whose service keeps only what is in the caller's scope. */
  filtered: (why: string) => SetMetadata(WARD_SCOPE, { kind: 'filtered', why } satisfies WardScopeDeclaration),
  /** The service resolves the ward (from the body, or from what the path names indirectly) and asserts it. */
  inService: (why: string) => SetMetadata(WARD_SCOPE, { kind: 'in_service', why } satisfies WardScopeDeclaration),
  /** Only roles that see every ward are admitted (checked against @Roles at boot). */
  allWards: (why: string) => SetMetadata(WARD_SCOPE, { kind: 'all_wards', why } satisfies WardScopeDeclaration),
  /** Not ward data. */
  none: (why: string) => SetMetadata(WARD_SCOPE, { kind: 'none', why } satisfies WardScopeDeclaration),
};
