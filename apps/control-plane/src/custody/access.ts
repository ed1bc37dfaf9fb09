import { ForbiddenError } from '#domain';
import type { AuthUser } from '../common/auth.decorators.js';
import type { Actor } from './custody-ledger.service.js';

/** Nurses act on their own wards only; pharmacy roles and admins see every ward. */
export function canActOnWard(user: AuthUser, ward: string): boolean {
  return user.role !== 'nurse' || user.wards.includes(ward);
}

export function assertWardAccess(user: AuthUser, ward: string): void {
  // the message names no patient and no dose: an error must not leak another ward's data
  if (!canActOnWard(user, ward)) throw new ForbiddenError('you are not assigned to the ward this belongs to', 'ward_forbidden');
}

export const userActor = (u: AuthUser): Actor => ({ type: 'user', id: u.username, role: u.role });
export const SYSTEM: Actor = { type: 'system', id: 'medloop' };

/** The site-graph node kind robots load at and return to (the pharmacy). */
export const PHARMACY_DOCK_KIND = 'pharmacy_dock';
