/**
 * Who may watch which room. Pure: the gateway passes the user as the token names them now.
 * Nurses see only their assigned wards; pharmacists, ward-round pharmacists and admins oversee
 * every ward and the whole fleet (the same rule the alarm REST API applies).
 */
import { wardOfRoom, type LiveRoom } from '#contracts';
import { ForbiddenError, NotFoundError } from '#domain';
import type { AuthUser } from '../common/auth.decorators.js';

const ALL_WARD_ROLES: ReadonlySet<string> = new Set(['admin', 'pharmacist', 'ward_pharmacist']);

export function assertMayJoin(user: AuthUser, room: LiveRoom, knownWards: ReadonlySet<string>): void {
  const ward = wardOfRoom(room);
  if (ward !== null && !knownWards.has(ward)) throw new NotFoundError('Ward', ward);
  if (ALL_WARD_ROLES.has(user.role)) return;
  if (ward === null) throw new ForbiddenError(`role '${user.role}' may not watch the whole site; join one of your wards`, 'room_forbidden');
  if (!user.wards.includes(ward)) throw new ForbiddenError(`not assigned to ward '${ward}'`, 'ward_forbidden');
}
