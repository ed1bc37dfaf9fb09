/**
 * Who may watch which room. Pure: the gateway passes the user as the token names them now.
 * A ward room follows the ward-scope rule (libs/domain access/ward-scope.ts), the one every HTTP
 * route applies; the site room (every ward and the whole fleet) is for the roles that see every
 * ward.
 */
import { wardOfRoom, type LiveRoom } from '#contracts';
import { ForbiddenError, inWardScope, NotFoundError, seesEveryWard } from '#domain';
import type { AuthUser } from '../common/auth.decorators.js';

export function assertMayJoin(user: AuthUser, room: LiveRoom, knownWards: ReadonlySet<string>): void {
  const ward = wardOfRoom(room);
  if (ward !== null && !knownWards.has(ward)) throw new NotFoundError('Ward', ward);
  if (ward === null) {
    if (!seesEveryWard(user)) throw new ForbiddenError(`role '${user.role}' may not watch the whole site; join one of your wards`, 'room_forbidden');
    return;
  }
  // the caller named this ward in the room, so the refusal may name it back (UI banners show it)
  if (!inWardScope(user, ward)) throw new ForbiddenError(`not assigned to ward '${ward}'`, 'ward_forbidden');
}
