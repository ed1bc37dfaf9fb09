/**
 * HTTP calls to the control plane. `optional` is for endpoints another feature is still
 * building (custody): a 404 for the route itself means "not available yet", which the panels
 * show as such instead of inventing data.
 */
import { honoursIdempotencyKey, IDEMPOTENCY_HEADER } from '../../../libs/contracts/src/http/idempotency';
import { loadSession, saveSession, sessionOf, type Session, type TokenAnswer } from './session';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** the offending field and the rule's details, when the server names them */
    readonly field: string | null = null,
    readonly details: Record<string, unknown> | null = null,
  ) {
    super(message);
  }
}

/** A random key per action; crypto.randomUUID exists only in secure contexts (https, localhost). */
function newIdempotencyKey(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const RETRY_DELAYS_MS = [400, 1200];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An answer that means the session itself is over (not a wrong badge PIN or witness password). */
const SESSION_OVER = new Set(['invalid_token', 'missing_token']);
const REFRESH_BEFORE_MS = 60_000;

let refreshing: Promise<Session | null> | null = null;

/**
 * Exchanges the refresh token for a new pair, once at a time per tab (each refresh token is
 * good once: two concurrent refreshes with it would end the session). Null when the session
 * has ended: the tab then goes back to the sign-in page.
 */
export function refreshSession(): Promise<Session | null> {
  refreshing ??= (async () => {
    const s = loadSession();
    if (!s) return null;
    try {
      const res = await fetch('/api/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: s.refreshToken }),
      });
      if (res.status === 401) {
        const code = String(((await res.json().catch(() => null)) as { error?: unknown } | null)?.error);
        // another tab of this browser refreshed the same session a moment before: its new
        // tokens are (or are about to be) in storage; the session is not over
        if (code === 'refresh_raced') {
          await sleep(200);
          const latest = loadSession();
          return latest && latest.refreshToken !== s.refreshToken ? latest : s;
        }
        signedOut();
        return null;
      }
      if (!res.ok) return s; // the server is unavailable: keep the session, try again later
      const next = sessionOf((await res.json()) as TokenAnswer);
      saveSession(next);
      return next;
    } catch {
      return s;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

function signedOut(): void {
  saveSession(null);
  location.hash = '#/login';
}

/** Keeps the tab's session fresh while it is open, whether or not it makes calls (a station that only watches). */
export function keepSessionFresh(): () => void {
  const timer = setInterval(() => {
    const s = loadSession();
    if (s && s.tokenExpiresAt - Date.now() < REFRESH_BEFORE_MS) void refreshSession();
  }, 15_000);
  return () => clearInterval(timer);
}

/** Ends the session on the server (its tokens and live sockets), then here. */
export async function signOut(): Promise<void> {
  // api() refreshes an access token about to expire first: the logout must be honoured
  if (loadSession()) await api('POST', '/api/auth/logout', {}).catch(() => null);
  signedOut();
}

/**
 * One call. A custody POST/PUT carries an Idempotency-Key, and is retried with the same key
 * when the answer was lost (network error) or the server said 503: the server then returns the
 * first outcome instead of recording a scan or a receipt twice.
 */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let s = loadSession();
  if (s && s.tokenExpiresAt - Date.now() < REFRESH_BEFORE_MS) s = await refreshSession();
  const headers: Record<string, string> = {};
  if (s) headers['authorization'] = `Bearer ${s.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  // only where the server honours the key is a resend safe: it returns the first outcome
  const retryable = honoursIdempotencyKey(method, path);
  if (retryable) headers[IDEMPOTENCY_HEADER] = newIdempotencyKey();
  let res: Response | undefined;
  let refreshed = false;
  let text = '';
  let json: Record<string, unknown> | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      if (res.status === 401 && s && !refreshed) {
        text = await res.text();
        json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
        if (!SESSION_OVER.has(String(json?.['error']))) break;
        // the access token expired (or the tab slept past it): refresh once and resend
        refreshed = true;
        s = await refreshSession();
        if (!s) break;
        headers['authorization'] = `Bearer ${s.token}`;
        attempt--;
        continue;
      }
      if (res.status !== 503 || !retryable || attempt >= RETRY_DELAYS_MS.length) break;
    } catch (err) {
      if (!retryable || attempt >= RETRY_DELAYS_MS.length) throw err;
    }
    await sleep(RETRY_DELAYS_MS[attempt]!);
  }
  if (!res.bodyUsed) {
    text = await res.text();
    json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  }
  // only an ended session signs the tab out: a wrong badge PIN is a 401 too
  if (res.status === 401 && s && SESSION_OVER.has(String(json?.['error']))) signedOut();
  if (!res.ok)
    throw new ApiError(
      res.status,
      String(json?.['error'] ?? 'error'),
      String(json?.['message'] ?? res.statusText),
      typeof json?.['field'] === 'string' ? json['field'] : null,
      (json?.['details'] as Record<string, unknown> | undefined) ?? null,
    );
  return json as T;
}

export type Optional<T> = { state: 'loading' } | { state: 'unavailable' } | { state: 'error'; message: string } | { state: 'ok'; data: T };

/** GET an endpoint that may not exist yet on this server. */
export async function optionalGet<T>(path: string): Promise<Optional<T>> {
  try {
    return { state: 'ok', data: await api<T>('GET', path) };
  } catch (err) {
    // Nest answers an unknown route with 404 `not_found`; an unknown entity names its type
    if (err instanceof ApiError && err.status === 404 && err.code === 'not_found') return { state: 'unavailable' };
    return { state: 'error', message: (err as Error).message };
  }
}
