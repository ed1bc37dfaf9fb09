/**
 * The OpenAPI document, from the same definitions the routes run on: request and response
 * schemas are the zod schemas (zod 4's own `z.toJSONSchema`, so no second copy drifts), and
 * each operation's error answers come from the one status table (DOMAIN_ERROR_STATUS) and from
 * what the route declares — its access policy, ward scope, pipes and Idempotency-Key add the
 * errors those produce; `@ApiErrors` adds the ones its handler throws. The codes are the known
 * ones, documented as `examples` of an open string: a hand-kept list may miss one.
 */
import { type INestApplication, type PipeTransform, RequestMethod, SetMetadata } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { type ApiBodyOptions, DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { type DomainError, NotFoundError } from '#domain';
import { z } from 'zod';
import { IS_PUBLIC } from './auth.decorators.js';
import { DOMAIN_ERROR_STATUS, ErrorBodySchema } from './error.filter.js';
import { IDEMPOTENT } from './idempotency.js';
import { WARD_SCOPE, type WardResourceKind, type WardScopeDeclaration } from './ward-scope.decorators.js';
import { ZodPipe } from './zod.pipe.js';

/** The OpenAPI schema of a zod schema, so docs and validation come from one definition. */
type SchemaObject = NonNullable<Extract<ApiBodyOptions, { schema?: unknown }>['schema']>;

/**
 * `input` for what a client sends (a request body: defaults optional, before transforms),
 * `output` for what the server answers. The document is OpenAPI 3.1, whose schemas are JSON
 * Schema 2020-12: zod's default target, taken as it is.
 */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): SchemaObject {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest as SchemaObject;
}

/** What a handler can answer beyond its success, by domain error kind: the codes it throws. */
export type ErrorCodes = Partial<Record<DomainError['kind'], readonly string[]>>;

const API_ERRORS = 'medloop:api-errors';
const API_RESULT = 'medloop:api-result';

/**
 * The errors this handler (its service) throws, by kind, e.g.
 * `@ApiErrors({ not_found: ['alarm_not_found'], conflict: ['alarm_already_cleared'] })`.
 * The status comes from the filter's table; the route's policy, pipes and scope add their own.
 * The document gives them as known codes, not a closed list; every code named here must
 * appear in the code base (test/openapi.e2e-spec.ts reads the sources).
 */
export const ApiErrors = (codes: ErrorCodes) => SetMetadata(API_ERRORS, codes);

/** The success body is this zod schema (the status is the route's own: 200, 201 or its @HttpCode). */
export const ApiResult = (schema: z.ZodType, description?: string) => SetMetadata(API_RESULT, { schema, description });

/** The entity a ward-scoped resource parameter names: for a caller who sees every ward the handler answers its 404. */
const RESOURCE_ENTITY: Record<WardResourceKind, string> = {
  dose: 'Dose',
  delivery: 'Delivery',
  order: 'Order',
  patient: 'Patient',
  'administration-slot': 'Administration slot',
  cabinet: 'Cabinet',
  sensor: 'Sensor',
  device: 'Device',
  'device-command': 'Command',
  alarm: 'Alarm',
  mission: 'Mission',
  excursion: 'Excursion',
};
// the code NotFoundError itself makes of the entity name, so the document cannot spell it otherwise
const notFoundCode = (entity: string) => new NotFoundError(entity, '').code;

const KIND_MEANING: Record<DomainError['kind'], string> = {
  validation: 'malformed input (`field` names it)',
  unauthorized: 'not signed in, or the token is no longer valid',
  forbidden: 'signed in, but not allowed',
  not_found: 'no such id',
  conflict: 'a duplicate or a state conflict',
  rule: 'well-formed, but breaks a domain rule',
  unavailable: 'a dependency cannot do its part now; nothing was acknowledged (retry, with the same Idempotency-Key where the route takes one)',
  device_timeout: 'the device did not confirm the command in time; it may still act on it',
  throttled: 'too many failed attempts: locked (`details.retryAfterS`)',
};

interface RouteFacts {
  public: boolean;
  scope: WardScopeDeclaration | null;
  idempotent: boolean;
  body: boolean;
  parsed: boolean;
  declared: ErrorCodes;
  result: { schema: z.ZodType; description?: string } | undefined;
  /** the route's success status: its @HttpCode, else Nest's default (201 for a POST) */
  success: number;
}

/** The errors a route can answer, by HTTP status: codes, and what the status means. */
export function errorsOf(route: RouteFacts): Map<number, { codes: Set<string>; meaning: string }> {
  const out = new Map<number, { codes: Set<string>; meaning: string }>();
  const add = (kind: DomainError['kind'] | number, ...codes: string[]) => {
    const status = typeof kind === 'number' ? kind : DOMAIN_ERROR_STATUS[kind];
    const meaning = typeof kind === 'number' ? 'the request body is too large' : KIND_MEANING[kind];
    const entry = out.get(status) ?? { codes: new Set<string>(), meaning };
    codes.forEach((c) => entry.codes.add(c));
    out.set(status, entry);
  };
  if (!route.public) {
    // AuthGuard and AuthSessions.verify
    add('unauthorized', 'missing_token', 'invalid_token');
    add('forbidden', 'role_forbidden');
  }
  const scope = route.scope;
  if (scope && (scope.kind === 'resource' || scope.kind === 'ward' || scope.kind === 'in_service')) add('forbidden', 'ward_forbidden');
  if (scope?.kind === 'resource') add('not_found', notFoundCode(RESOURCE_ENTITY[scope.resource]));
  if (route.parsed) add('validation', 'validation_failed');
  // the JSON body parser (bootstrap.ts) answers these before any pipe
  if (route.body) {
    add('validation', 'invalid_json', 'bad_request');
    add(413, 'payload_too_large');
  }
  if (route.idempotent) {
    add('validation', 'validation_failed');
    add('conflict', 'idempotency_request_in_progress');
    add('rule', 'idempotency_key_reused');
  }
  for (const [kind, codes] of Object.entries(route.declared) as [DomainError['kind'], readonly string[]][]) add(kind, ...codes);
  // every route but the open health check (which answers its own 503 report) reads the database: a session, at least
  if (!route.public || route.body) add('unavailable', 'storage_unavailable');
  return out;
}

function routeFacts(reflector: Reflector, controller: object, handler: object): RouteFacts {
  const targets = [handler, controller] as Parameters<Reflector['getAllAndOverride']>[1];
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, (handler as { name: string }).name) ?? {}) as Record<string, { pipes?: PipeTransform[] }>;
  const keys = Object.keys(args);
  return {
    public: reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets) === true,
    scope: reflector.getAllAndOverride<WardScopeDeclaration | undefined>(WARD_SCOPE, targets) ?? null,
    idempotent: reflector.getAllAndOverride<boolean | undefined>(IDEMPOTENT, targets) === true,
    body: keys.some((k) => Number(k.split(':')[0]) === RouteParamtypes.BODY),
    parsed: Object.values(args).some((a) => (a.pipes ?? []).some((p) => p instanceof ZodPipe)),
    declared: [handler, controller].map((t) => reflector.get<ErrorCodes | undefined>(API_ERRORS, t as () => unknown) ?? {}).reduce(mergeCodes, {}),
    result: reflector.get<RouteFacts['result']>(API_RESULT, handler as () => unknown),
    success:
      (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ??
      ((Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod) === RequestMethod.POST ? 201 : 200),
  };
}

function mergeCodes(a: ErrorCodes, b: ErrorCodes): ErrorCodes {
  const out: Record<string, string[]> = {};
  for (const src of [a, b]) for (const [k, v] of Object.entries(src)) out[k] = [...new Set([...(out[k] ?? []), ...(v ?? [])])];
  return out;
}

type Operation = NonNullable<OpenAPIObject['paths'][string]['get']>;
const ERROR_REF = '#/components/schemas/ErrorBody';

/** Builds the document of every routed controller, its errors and result schemas filled in. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setOpenAPIVersion('3.1.0')
      .setTitle('MedLoop control plane')
      .setDescription(
        'Smart-ward control plane: device registry, robot fleet, closed-loop drug custody. Every error answers the `ErrorBody` envelope; `error` is a stable code. Each operation lists, by status, the codes known to be answered there (`examples`): the lists are not exhaustive, so a client must accept any other code and fall back on the status.',
      )
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  const reflector = app.get(Reflector);
  const scanner = app.get(MetadataScanner);
  const byOperationId = new Map<string, RouteFacts>();
  for (const wrapper of app.get(DiscoveryService).getControllers()) {
    const ctor = wrapper.metatype as (new (...a: never[]) => object) | null;
    if (!ctor) continue;
    for (const name of scanner.getAllMethodNames(ctor.prototype as object)) {
      const handler = (ctor.prototype as Record<string, object>)[name]!;
      if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
      // Swagger's own operationId: `<Controller>_<method>`
      byOperationId.set(`${ctor.name}_${name}`, routeFacts(reflector, ctor, handler));
    }
  }
  doc.components = { ...doc.components, schemas: { ...doc.components?.schemas, ErrorBody: jsonSchema(ErrorBodySchema, 'output') } };
  for (const item of Object.values(doc.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const op = item[method];
      if (!op?.operationId) continue;
      const facts = byOperationId.get(op.operationId);
      if (facts) document(op, facts);
    }
  }
  return doc;
}

function document(op: Operation, facts: RouteFacts): void {
  // Swagger writes no default success once any response is declared (a 401, say): the route's own status then
  const success = Object.keys(op.responses).find((s) => s.startsWith('2')) ?? String(facts.success);
  const r = (op.responses[success] ??= { description: '' }) as { description: string; content?: Record<string, { schema: unknown }> };
  r.description ||= facts.result?.description ?? (success === '204' ? 'no content' : (op.summary ?? ''));
  if (facts.result) {
    r.content = { ...r.content, 'application/json': { schema: jsonSchema(facts.result.schema, 'output') } };
  }
  if (facts.idempotent && !op.parameters?.some((p) => 'name' in p && p.name === 'Idempotency-Key'))
    op.parameters = [
      ...(op.parameters ?? []),
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: 'a resend with the same key answers the first outcome again (`Idempotent-Replayed: true`) instead of acting twice',
        schema: { type: 'string', minLength: 1, maxLength: 255 },
      },
    ];
  for (const [status, { codes, meaning }] of [...errorsOf(facts)].sort(([a], [b]) => a - b)) {
    const existing = op.responses[String(status)] as { description?: string } | undefined;
    const list = [...codes];
    op.responses[String(status)] = {
      description: [existing?.description, `${meaning}; known codes (not exhaustive): ${list.map((c) => `\`${c}\``).join(', ')}`].filter(Boolean).join('. '),
      content: {
        'application/json': {
          // an open string with the known codes as `examples` (JSON Schema 2020-12), not an `enum`: the lists are
          // kept by hand, so a generated client must not reject a code the list misses
          schema: { allOf: [{ $ref: ERROR_REF }, { properties: { statusCode: { const: status }, error: { type: 'string', examples: list } } }] } as never,
        },
      },
    };
  }
}

/** Every `@ApiErrors` declaration, by controller class and handler: for the test that finds each code in the sources. */
export function declaredApiErrors(app: INestApplication): { controller: string; handler: string; codes: string[] }[] {
  const reflector = app.get(Reflector);
  const scanner = app.get(MetadataScanner);
  const out: { controller: string; handler: string; codes: string[] }[] = [];
  for (const wrapper of app.get(DiscoveryService).getControllers()) {
    const ctor = wrapper.metatype as (new (...a: never[]) => object) | null;
    if (!ctor) continue;
    for (const name of scanner.getAllMethodNames(ctor.prototype as object)) {
      const handler = (ctor.prototype as Record<string, object>)[name]!;
      if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
      const declared = [handler, ctor].map((t) => reflector.get<ErrorCodes | undefined>(API_ERRORS, t as () => unknown) ?? {}).reduce(mergeCodes, {});
      out.push({ controller: ctor.name, handler: name, codes: Object.values(declared).flatMap((c) => [...(c ?? [])]) });
    }
  }
  return out;
}
