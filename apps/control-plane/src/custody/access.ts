import type { Actor } from './custody-ledger.service.js';
import type { AuthUser } from '../common/auth.decorators.js';

/**
 * The ward-scope rule lives in libs/domain (access/ward-scope.ts); these names stay as thin
 * aliases for the custody services that call them.
 */
export { assertInWardScope as assertWardAccess, inWardScope as canActOnWard } from '#domain';

export const userActor = (u: AuthUser): Actor => ({ type: 'user', id: u.username, role: u.role });
export const SYSTEM: Actor = { type: 'system', id: 'medloop' };

/** The site-graph node kind robots load at and return to (the pharmacy). */
export const PHARMACY_DOCK_KIND = 'pharmacy_dock';
