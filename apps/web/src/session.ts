/**
 * The signed-in user and their tokens, kept for the browser tab (sessionStorage): a short-lived
 * access token, refreshed in the background with the rotating refresh token while the tab is
 * open (api.ts), so a nurse station stays signed in for its shift and no longer.
 */
export type Role = 'admin' | 'pharmacist' | 'nurse' | 'ward_pharmacist' | 'safety_officer';

export interface Session {
  token: string;
  refreshToken: string;
  /** when the access token expires (epoch ms): refreshed a minute or so before */
  tokenExpiresAt: number;
  user: { id: string; username: string; role: Role; wards: string[] };
}

/** What sign-in, refresh and password change answer. */
export interface TokenAnswer {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: Session['user'];
}

export function sessionOf(r: TokenAnswer): Session {
  return { token: r.accessToken, refreshToken: r.refreshToken, tokenExpiresAt: Date.now() + r.expiresIn * 1000, user: r.user };
}

const KEY = 'medloop.session';

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    const s = raw ? (JSON.parse(raw) as Partial<Session>) : null;
    // a session saved before refresh tokens existed cannot be refreshed: sign in again
    return s && typeof s.token === 'string' && typeof s.refreshToken === 'string' ? (s as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

/** Where each role lands after signing in. */
export function homeOf(s: Session): string {
  if (s.user.role === 'nurse') return `#/nurse/${encodeURIComponent(s.user.wards[0] ?? '')}`;
  // the safety officer reads every ward and acts on nothing: the ward-round view is read-mostly
  if (s.user.role === 'ward_pharmacist' || s.user.role === 'safety_officer') return '#/rounds';
  return '#/pharmacy';
}
