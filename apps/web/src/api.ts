/**
 * HTTP calls to the control plane. `optional` is for endpoints another feature is still
 * building (custody): a 404 for the route itself means "not available yet", which the panels
 * show as such instead of inventing data.
 */
import { loadSession, saveSession } from './session';

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

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const s = loadSession();
  const headers: Record<string, string> = {};
  if (s) headers['authorization'] = `Bearer ${s.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  if (res.status === 401 && s) {
    saveSession(null);
    location.hash = '#/login';
  }
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
