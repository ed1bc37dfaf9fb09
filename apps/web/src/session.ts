/** The signed-in user and their bearer token, kept for the browser tab (sessionStorage). */
export type Role = 'admin' | 'pharmacist' | 'nurse' | 'ward_pharmacist' | 'safety_officer';

export interface Session {
  token: string;
  user: { id: string; username: string; role: Role; wards: string[] };
}

const KEY = 'medloop.session';

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
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
