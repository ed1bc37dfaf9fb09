/**
 * Domain errors: plain Error subclasses, free of Nest and I/O. One edge filter in the
 * control plane maps them to HTTP status codes, socket error events and MQTT rejections.
 * `code` is a stable machine-readable identifier; `details` carries safe, structured context
 * (never secrets, never stack traces).
 */
export abstract class DomainError extends Error {
  abstract readonly kind: 'validation' | 'not_found' | 'conflict' | 'forbidden' | 'unauthorized' | 'rule' | 'unavailable' | 'device_timeout' | 'throttled';
  constructor(
    message: string,
    readonly code: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Malformed input (HTTP 400). `field` names the offending field path when there is one. */
export class ValidationError extends DomainError {
  readonly kind = 'validation' as const;
  constructor(
    message: string,
    readonly field?: string,
    details?: Record<string, unknown>,
  ) {
    super(message, 'validation_failed', { ...(field ? { field } : {}), ...details });
  }
}

/** An id that does not exist (HTTP 404). */
export class NotFoundError extends DomainError {
  readonly kind = 'not_found' as const;
  constructor(entity: string, id: string) {
    super(`${entity} '${id}' not found`, `${entity.toLowerCase().replace(/\s+/g, '_')}_not_found`, { entity, id });
  }
}

/** A duplicate or a state conflict (HTTP 409). */
export class ConflictError extends DomainError {
  readonly kind = 'conflict' as const;
  constructor(message: string, code = 'conflict', details?: Record<string, unknown>) {
    super(message, code, details);
  }
}

/** Authenticated but not allowed (HTTP 403). */
export class ForbiddenError extends DomainError {
  readonly kind = 'forbidden' as const;
  constructor(message: string, code = 'forbidden', details?: Record<string, unknown>) {
    super(message, code, details);
  }
}

/** Not authenticated (HTTP 401). */
export class UnauthorizedError extends DomainError {
  readonly kind = 'unauthorized' as const;
  constructor(message = 'authentication required', code = 'unauthorized') {
    super(message, code);
  }
}

/**
 * A secret (a badge PIN, a witness's password) guessed wrong too often: refused before the
 * secret is looked at, whatever it is, until `retryAfterS` has passed or an administrator
 * lifts the lock (HTTP 429, like a locked sign-in).
 */
export class ThrottledError extends DomainError {
  readonly kind = 'throttled' as const;
  constructor(message: string, code: string, details: Record<string, unknown> & { retryAfterS: number }) {
    super(message, code, details);
  }
}

/** A well-formed request that breaks a domain rule (HTTP 422), e.g. an illegal transition. */
export class RuleViolationError extends DomainError {
  readonly kind = 'rule' as const;
  constructor(message: string, code: string, details?: Record<string, unknown>) {
    super(message, code, details);
  }
}

/**
 * A dependency cannot do its part right now (HTTP 503): e.g. the database cannot commit.
 * Nothing the request asked for was acknowledged; the client may retry (with the same
 * Idempotency-Key where the route takes one).
 */
export class UnavailableError extends DomainError {
  readonly kind = 'unavailable' as const;
  constructor(message: string, code: string, details?: Record<string, unknown>) {
    super(message, code, details);
  }
}

/**
 * A device was sent a command and did not confirm it in time (HTTP 504). Unlike a 503 this is
 * an outcome: the command went out, the device may still act on it, and nothing was confirmed.
 * A resend with the same Idempotency-Key answers the same; a new attempt needs a new request.
 */
export class DeviceTimeoutError extends DomainError {
  readonly kind = 'device_timeout' as const;
  constructor(message: string, code: string, details?: Record<string, unknown>) {
    super(message, code, details);
  }
}
