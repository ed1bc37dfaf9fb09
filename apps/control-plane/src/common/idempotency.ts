/**
 * Idempotent retries of custody-changing requests (`Idempotency-Key`, IETF httpapi draft).
 *
 * A nurse's tablet that sent "received" and lost the answer must be able to send it again
 * without recording the receipt twice. The key is stored in the same transaction as the
 * request's first custody write (see `IdempotencyScope.rowFor`), so after any failure — a
 * lost COMMIT reply, a crash between commit and answer — "the key is there" means exactly
 * "the write committed". A retry with the same key then gets the first outcome back and
 * writes nothing: the stored response, or, when the first request committed but its response
 * was never stored, a 200 naming the custody events it committed.
 *
 * Keys are per user, bound to the request (method, path, body hash): the same key with
 * another request is 422 `idempotency_key_reused`; while the first is still running, 409.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import {
  type CallHandler,
  type ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  type NestInterceptor,
  type OnModuleDestroy,
  type OnModuleInit,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { Observable, from, lastValueFrom } from 'rxjs';
import { canonicalJson, ConflictError, DomainError, RuleViolationError, ValidationError } from '#domain';
import { type IdempotencyKeyEntity, IdempotencyRepository } from '#persistence';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { AuthUser } from './auth.decorators.js';
import { domainErrorBody, ReplayedOutcome } from './error.filter.js';
import { LOGGER } from './logger.js';

export const IDEMPOTENT = 'medloop:idempotent';
/** Marks a controller (or one route) whose POST/PUT routes take an `Idempotency-Key`. */
export const Idempotent = () => SetMetadata(IDEMPOTENT, true);

/** What a custody transaction needs to store the key with its write. */
export interface IdempotencyScope {
  principal: string;
  key: string;
  fingerprint: string;
  method: string;
  path: string;
  /** set once a transaction of this request stored the key (and committed) */
  stored: boolean;
  /** set when the request has been answered: work that inherited its async context later must not store the key */
  closed: boolean;
}

const scopes = new AsyncLocalStorage<IdempotencyScope>();

/** Runs `fn` outside any request's scope: for reactions and timers a request merely set off (bus listeners, dispatch rounds). */
export function outsideIdempotencyScope<T>(fn: () => T): T {
  return scopes.getStore() === undefined ? fn() : scopes.exit(fn);
}

/** The scope of the request being handled, if it carried an Idempotency-Key and has not stored it yet. */
export function pendingIdempotencyScope(): IdempotencyScope | undefined {
  const s = scopes.getStore();
  return s && !s.stored && !s.closed ? s : undefined;
}

/** The row a writing transaction inserts for `scope`, listing the custody events it commits. */
export function idempotencyRow(scope: IdempotencyScope, events: Array<Record<string, unknown>>): IdempotencyKeyEntity {
  return {
    principal: scope.principal,
    key: scope.key,
    fingerprint: scope.fingerprint,
    method: scope.method,
    path: scope.path,
    status: null,
    response: null,
    custodyEvents: events,
    createdAt: new Date(),
    completedAt: null,
  };
}

/** The header's value: an sf-string (`"…"`) or a bare token, 1–255 printable ASCII characters. */
export function parseIdempotencyKey(raw: string | string[] | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) throw new ValidationError('Idempotency-Key: send the header once', 'Idempotency-Key');
  const v = raw.trim();
  const key = v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
  if (!/^[\x21-\x7e]{1,255}$/.test(key) || key.includes('"'))
    throw new ValidationError('Idempotency-Key: must be 1-255 printable ASCII characters (e.g. a UUID)', 'Idempotency-Key');
  return key;
}

export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n`)
    .update(canonicalJson(body ?? null))
    .digest('hex');
}

@Injectable()
export class IdempotencyInterceptor implements NestInterceptor, OnModuleInit, OnModuleDestroy {
  /** requests with a key that are running in this process now */
  private readonly inFlight = new Set<string>();
  private purgeTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly reflector: Reflector,
    private readonly keys: IdempotencyRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    const purge = () => {
      const before = new Date(Date.now() - this.config.idempotencyRetentionHours * 3600_000);
      this.keys.purge(before).then(
        (n) => n && this.logger.info({ purged: n }, 'idempotency keys past retention purged'),
        (err: unknown) => this.logger.warn({ err }, 'idempotency key purge failed; next try at the next interval'),
      );
    };
    this.purgeTimer = setInterval(purge, Math.min(this.config.idempotencyRetentionHours * 3600_000, 3600_000));
    this.purgeTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
  }

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() !== 'http') return next.handle();
    const marked = this.reflector.getAllAndOverride<boolean>(IDEMPOTENT, [ctx.getHandler(), ctx.getClass()]);
    const req = ctx.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    if (!marked || (req.method !== 'POST' && req.method !== 'PUT')) return next.handle();
    const key = parseIdempotencyKey(req.headers['idempotency-key']);
    if (key === undefined || !req.user) return next.handle();
    const res = ctx.switchToHttp().getResponse<Response>();
    const path = req.path;
    const scope: IdempotencyScope = {
      principal: req.user.id,
      key,
      fingerprint: requestFingerprint(req.method, path, req.body),
      method: req.method,
      path,
      stored: false,
      closed: false,
    };
    const successStatus = (Reflect.getMetadata('__httpCode__', ctx.getHandler()) as number | undefined) ?? (req.method === 'POST' ? 201 : 200);
    return from(this.handle(scope, successStatus, res, next));
  }

  private async handle(scope: IdempotencyScope, successStatus: number, res: Response, next: CallHandler): Promise<unknown> {
    const existing = await this.keys.find(scope.principal, scope.key);
    if (existing) return this.replay(existing, scope, res);
    const flight = `${scope.principal}\n${scope.key}`;
    if (this.inFlight.has(flight)) throw new ConflictError('a request with this Idempotency-Key is still being processed', 'idempotency_request_in_progress');
    this.inFlight.add(flight);
    try {
      const body = await scopes.run(scope, () => lastValueFrom(next.handle(), { defaultValue: undefined }));
      if (scope.stored) await this.completeQuietly(scope, successStatus, body);
      return body;
    } catch (err) {
      // a refusal after the write committed (e.g. a receipt discrepancy recorded, then 422) is
      // the first outcome too; a 5xx is not an outcome to replay: the retry is answered from
      // the stored row ("committed") instead
      if (scope.stored && err instanceof DomainError && err.kind !== 'unavailable') {
        const body = domainErrorBody(err);
        await this.completeQuietly(scope, body.statusCode, body);
      } else if (scope.stored && err instanceof HttpException && err.getStatus() < 500) {
        await this.completeQuietly(scope, err.getStatus(), err.getResponse());
      }
      throw err;
    } finally {
      scope.closed = true;
      this.inFlight.delete(flight);
    }
  }

  private replay(row: IdempotencyKeyEntity, scope: IdempotencyScope, res: Response): unknown {
    if (row.fingerprint !== scope.fingerprint)
      throw new RuleViolationError(
        'Idempotency-Key: this key was already used for a different request; use a new key for a new action',
        'idempotency_key_reused',
        { field: 'Idempotency-Key' },
      );
    if (this.inFlight.has(`${scope.principal}\n${scope.key}`) && row.status === null)
      throw new ConflictError('a request with this Idempotency-Key is still being processed', 'idempotency_request_in_progress');
    res.setHeader('Idempotent-Replayed', 'true');
    if (row.status !== null) {
      res.status(row.status);
      if (row.status >= 400) throw new ReplayedOutcome(row.status, row.response);
      return row.response;
    }
    res.status(200);
    return {
      idempotencyKey: scope.key,
      outcome: 'committed',
      message: 'the first request with this Idempotency-Key was committed; its answer was lost, so here are the custody events it recorded',
      custodyEvents: row.custodyEvents,
    };
  }

  /** The response is stored best-effort: the write it answers is committed either way. */
  private async completeQuietly(scope: IdempotencyScope, status: number, body: unknown): Promise<void> {
    try {
      await this.keys.complete(
        scope.principal,
        scope.key,
        status,
        body === undefined ? null : (JSON.parse(JSON.stringify(body)) as IdempotencyKeyEntity['response']),
      );
    } catch (err) {
      this.logger.warn({ err, status }, 'idempotency key committed but its response could not be stored; a retry is answered with the committed events');
    }
  }
}
