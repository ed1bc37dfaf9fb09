/**
 * The ward-scope rule: the one answer to "may this person see or touch what belongs to this
 * ward?". Every HTTP route (through its @WardScope declaration), every export and every live
 * room asks it here, so the rule cannot drift into eight spellings again.
 *
 * - Roles that work across the hospital (pharmacy, ward-round pharmacists, administrators and
 *   the safety officer) see every ward.
 * - Every other role — today the nurse — sees only the wards it is assigned to. The list of
 *   all-ward roles is closed: a role added later is ward-bound until someone says otherwise
 *   (fail closed).
 * - A resource with no ward (pharmacy-level: a pharmacy fridge, a robot's cargo not yet bound
 *   to a ward) is visible to all-ward roles only.
 *
 * What a role may *do* (who opens a pocket, who records an administration) stays a role rule at
 * its call site; this rule only says whether the ward is the caller's.
 */
import { ForbiddenError } from '../errors.js';

/** Roles that see every ward. */
export const ALL_WARD_ROLES: readonly string[] = ['admin', 'pharmacist', 'ward_pharmacist', 'safety_officer'];

/** Whoever asks: a role and the wards it is assigned to (ignored for all-ward roles). */
export interface WardScopedUser {
  readonly role: string;
  readonly wards: readonly string[];
}

export function seesEveryWard(user: WardScopedUser): boolean {
  return ALL_WARD_ROLES.includes(user.role);
}

/** Whether `ward` (null: a resource that belongs to no ward) is within the user's scope. */
export function inWardScope(user: WardScopedUser, ward: string | null | undefined): boolean {
  if (seesEveryWard(user)) return true;
  return typeof ward === 'string' && ward !== '' && user.wards.includes(ward);
}

/**
 * Refuses 403 `ward_forbidden`. The message names no ward, patient or dose: an error must not
 * tell a caller what lies on a ward it may not see.
 */
export function assertInWardScope(user: WardScopedUser, ward: string | null | undefined): void {
  if (!inWardScope(user, ward)) throw new ForbiddenError('you are not assigned to the ward this belongs to', 'ward_forbidden');
}

/** Keeps the items whose ward is within the user's scope. */
export function filterInWardScope<T>(user: WardScopedUser, items: readonly T[], wardOf: (item: T) => string | null | undefined): T[] {
  if (seesEveryWard(user)) return [...items];
  return items.filter((item) => inWardScope(user, wardOf(item)));
}

/**
 * The wards a query should be limited to: `null` when the user sees every ward (no limit),
 * otherwise the assigned wards (possibly none). For repositories that filter in SQL.
 */
export function wardsInScope(user: WardScopedUser): readonly string[] | null {
  return seesEveryWard(user) ? null : [...user.wards];
}
