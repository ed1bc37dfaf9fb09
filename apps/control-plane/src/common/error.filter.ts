/**
 * The one edge filter: domain errors map to their HTTP status with a stable code and a
 * message naming the field; framework HTTP errors pass through; anything else is a bug and
 * answers 500 without details (logged server-side). No response ever carries a stack trace.
 */
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { DomainError } from '#domain';
import { storageFailureCode, storageUnavailable } from '#persistence';
import type { MetricsService } from '../metrics/metrics.service.js';

/** The one status table: a domain error's kind answers this HTTP status (the OpenAPI document reads it too). */
export const DOMAIN_ERROR_STATUS: Readonly<Record<DomainError['kind'], number>> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rule: 422,
  unavailable: 503,
  device_timeout: 504,
  throttled: 429,
};

/** An error outcome stored with an Idempotency-Key, answered again with its original status and body. */
export class ReplayedOutcome extends HttpException {
  constructor(
    status: number,
    readonly body: unknown,
  ) {
    super('replayed outcome', status);
  }
}

/**
 * Every error answer's body (this filter's, the body parser's and the HTTP parser's): the
 * filter's output type and the OpenAPI document's error schema come from this one schema.
 */
export const ErrorBodySchema = z
  .object({
    statusCode: z.int().min(400).max(599),
    /** a stable machine-readable code, e.g. `validation_failed`, `dose_not_found` */
    error: z.string(),
    message: z.string(),
    /** the offending field path, when there is one */
    field: z.string().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ description: 'The error envelope of every 4xx/5xx answer' });
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export function domainErrorBody(err: DomainError): ErrorBody {
  const details = err.details;
  const field = typeof details?.['field'] === 'string' ? (details['field'] as string) : undefined;
  return { statusCode: DOMAIN_ERROR_STATUS[err.kind], error: err.code, message: err.message, ...(field ? { field } : {}), ...(details ? { details } : {}) };
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(
    private readonly logger: Logger,
    private readonly metrics: MetricsService,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof ReplayedOutcome) {
      if (!res.headersSent) res.status(exception.getStatus()).json(exception.body);
      return;
    }
    let body: ErrorBody;
    if (exception instanceof DomainError) {
      body = domainErrorBody(exception);
    } else if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const r = exception.getResponse();
      const message =
        typeof r === 'string'
          ? r
          : Array.isArray((r as { message?: unknown }).message)
            ? (r as { message: string[] }).message.join('; ')
            : String((r as { message?: unknown }).message ?? exception.message);
      body = { statusCode: status, error: httpErrorCode(status, exception), message };
    } else if (storageFailureCode(exception)) {
      // a read (or anything outside the write path) that found the database gone: not a bug
      const code = storageFailureCode(exception)!;
      this.metrics.storageFailures.inc({ operation: 'read', code });
      this.logger.warn({ err: exception }, 'database unavailable');
      body = domainErrorBody(storageUnavailable(code));
    } else {
      this.logger.error({ err: exception }, 'unhandled error');
      body = { statusCode: 500, error: 'internal_error', message: 'internal server error' };
    }
    if (body.statusCode === 400) this.metrics.rejectedInput('http', 'http', body.error);
    // refused access is a security event: counted, and logged without the token or the body
    if (body.statusCode === 401 || body.statusCode === 403 || body.statusCode === 429) {
      this.metrics.securityDenials.inc({ channel: 'http', reason: body.error });
      const req = host.switchToHttp().getRequest<{ method?: string; path?: string; ip?: string }>();
      this.logger.warn({ status: body.statusCode, error: body.error, method: req.method, path: req.path, address: req.ip }, 'HTTP access refused');
    }
    if (!res.headersSent) res.status(body.statusCode).json(body);
  }
}

function httpErrorCode(status: number, exception: HttpException): string {
  if (status === HttpStatus.BAD_REQUEST) return exception.message.includes('JSON') ? 'invalid_json' : 'bad_request';
  if (status === HttpStatus.NOT_FOUND) return 'not_found';
  if (status === HttpStatus.PAYLOAD_TOO_LARGE) return 'payload_too_large';
  if (status === HttpStatus.UNAUTHORIZED) return 'unauthorized';
  if (status === HttpStatus.FORBIDDEN) return 'forbidden';
  if (status === HttpStatus.TOO_MANY_REQUESTS) return 'too_many_attempts';
  return 'http_error';
}
