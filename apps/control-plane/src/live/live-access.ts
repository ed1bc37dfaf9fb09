/**
 * Who may watch which room, and for how long. Pure: the callers pass the user and the session
 * as the store holds them now. A ward room follows the ward-scope rule (libs/domain
 * access/ward-scope.ts), the one every HTTP route applies; the site room (every ward and the
 * whole fleet) is for the roles that see every ward. A socket lives only as long as its sign-in
 * session: LiveAccessWatch closes it when the session ends and takes a room away when the rule
 * no longer admits its user.
 */
import { wardOfRoom, type DomainEventMap, type LiveRoom } from '#contracts';
import { ForbiddenError, inWardScope, NotFoundError, seesEveryWard } from '#domain';
import type { AuthUser } from '../common/auth.decorators.js';
import { sessionEndsAt } from '../auth/sessions.service.js';

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

/** Why the server closes a live socket (the `error` event's code just before the disconnect). */
export type LiveClosure = 'session_revoked' | 'session_expired' | 'account_disabled';

export const CLOSURE_MESSAGES: Record<LiveClosure, string> = {
  session_revoked: 'the session has ended: sign in again',
  session_expired: 'the session has expired: sign in again',
  account_disabled: 'the account has been disabled',
};

type SessionEndReason = DomainEventMap['auth.sessions_revoked']['reason'];

/** The closure an ended session's sockets get: a disabled account says so (the UI shows why). */
export function closureOf(reason: SessionEndReason): LiveClosure {
  if (reason === 'disabled') return 'account_disabled';
  if (reason === 'expired') return 'session_expired';
  return 'session_revoked';
}

/**
 * A socket's session as the store holds it now (null: not live there, i.e. revoked or past its
 * absolute end): live until `endsAt`, or closed and why. A session ends SESSION_MAX_SECONDS
 * after sign-in whatever its refreshes, or SESSION_IDLE_SECONDS after its last refresh (the
 * rule AuthSessions.refresh applies): the access token's own expiry does not count, since the
 * browser refreshes it every few minutes while the socket stays open.
 */
export function sessionOutcome(
  session: { expiresAt: Date | string; refreshedAt: Date | string } | null,
  /** the session's absolute end as the socket last saw it (ms): tells an expired session from a revoked one */
  knownEnd: number,
  now: number,
  idleMs: number,
): { live: true; endsAt: number } | { live: false; closure: 'session_revoked' | 'session_expired' } {
  if (!session) return { live: false, closure: knownEnd <= now ? 'session_expired' : 'session_revoked' };
  const endsAt = sessionEndsAt(session, idleMs);
  return endsAt <= now ? { live: false, closure: 'session_expired' } : { live: true, endsAt };
}
