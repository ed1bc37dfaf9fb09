/**
 * A small HTTP client for the demo bots: JSON in and out, one bearer session per user that
 * signs in again when its token is refused. The bots only use the public HTTP API.
 */
import { randomUUID } from 'node:crypto';
import { honoursIdempotencyKey } from '#contracts';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiResult<T = any> {
  status: number;
  body: T;
}

const REQUEST_TIMEOUT_MS = 15_000;

export async function request<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  idempotencyKey?: string,
): Promise<ApiResult<T>> {
  const headers: Record<string, string> = {};
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed as T };
}

/** One signed-in user. `call` throws ApiError on any non-2xx answer. */
export class Session {
  private token: string | undefined;
  private refreshToken: string | undefined;

  constructor(
    readonly baseUrl: string,
    readonly username: string,
    private readonly password: string,
  ) {}

  async bearer(): Promise<string> {
    this.token ??= await this.login();
    return this.token;
  }

  /** What this person types when co-signing someone else's act as witness: their own username and password, never a token. */
  coSign(): { username: string; password: string } {
    return { username: this.username, password: this.password };
  }

  /** The session's next access token (rotating its refresh token), or a new sign-in once the session has ended. */
  private async login(): Promise<string> {
    if (this.refreshToken) {
      const r = await request(this.baseUrl, 'POST', '/api/auth/refresh', undefined, { refreshToken: this.refreshToken });
      this.refreshToken = undefined;
      if (r.status === 200) {
        this.refreshToken = r.body.refreshToken as string;
        return r.body.accessToken as string;
      }
    }
    const r = await request(this.baseUrl, 'POST', '/api/auth/login', undefined, { username: this.username, password: this.password });
    if (r.status !== 200)
      throw new ApiError(r.status, r.body?.error ?? 'login_failed', `sign-in of ${this.username} failed: ${r.status} ${r.body?.message ?? ''}`);
    this.refreshToken = r.body.refreshToken as string;
    return r.body.accessToken as string;
  }

  /**
   * The raw answer (any status); on 401 refreshes the session (or signs in again) once. A custody POST/PUT carries an
   * Idempotency-Key and is retried with it (twice at most) when the answer is lost or 503, so
   * a retried scan or receipt is never recorded twice.
   */
  async raw<T = any>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
    const key = honoursIdempotencyKey(method, path) ? randomUUID() : undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        let r = await request<T>(this.baseUrl, method, path, await this.bearer(), body, key);
        if (r.status === 401) {
          this.token = undefined;
          r = await request<T>(this.baseUrl, method, path, await this.bearer(), body, key);
        }
        if (r.status !== 503 || !key || attempt >= 2) return r;
      } catch (err) {
        if (!key || attempt >= 2) throw err;
      }
      await new Promise((res) => setTimeout(res, 500 * (attempt + 1)));
    }
  }

  async call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.raw<any>(method, path, body);
    if (r.status >= 300) {
      const b = r.body as { error?: string; message?: string } | undefined;
      throw new ApiError(r.status, b?.error ?? 'http_error', `${method} ${path}: ${r.status} ${b?.error ?? ''} ${b?.message ?? ''}`.trim());
    }
    return r.body as T;
  }

  get<T = any>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T = any>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }
}
