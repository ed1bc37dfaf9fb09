/**
 * The served OpenAPI document (issue #19): every operation is summarised, says what it answers
 * on success and which errors (status and code) it can answer, in the one error envelope; the
 * document holds together as OpenAPI 3.1 (its schemas compile as JSON Schema 2020-12, every
 * $ref resolves, every path parameter is declared); and real error answers match it.
 * The codes are the known ones (an open string with `examples`), not a closed list: what is
 * checkable is that each named code exists in the code base and that real refusals are listed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { DEVICE_COMMAND_STATUSES } from '#persistence';
import { AlarmsService } from '../src/alarms/alarms.service.js';
import { declaredApiErrors } from '../src/common/openapi.js';
import { PolicyCheck, type RoutePolicy } from '../src/common/policy-check.js';
import { startTestApp, type TestApp } from './support/test-app.js';

type Schema = Record<string, unknown>;
interface Response {
  description: string;
  content?: Record<string, { schema?: Schema }>;
}
interface Operation {
  operationId?: string;
  summary?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  responses: Record<string, Response>;
}
interface Doc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, unknown> };
}

/**
 * Routes whose success body has no schema yet: their service answers a TypeScript view with no
 * zod schema behind it. Each is summarised and described; the list may only shrink (a route
 * on it that gains a schema fails the test until it is taken off).
 */
const NO_RESULT_SCHEMA = new Set<string>([
  'GET /health',
  'GET /api/auth/lockouts',
  'GET /api/site',
  'GET /api/devices',
  'POST /api/devices',
  'GET /api/devices/{id}',
  'POST /api/devices/{id}/credentials',
  'POST /api/devices/{id}/revoke',
  'GET /api/alarms',
  'GET /api/alarms/{id}',
  'POST /api/alarms/{id}/acknowledge',
  'POST /api/alarms/{id}/resolve',
  'GET /api/robots',
  'GET /api/robots/{id}',
  'GET /api/missions',
  'POST /api/missions',
  'GET /api/missions/{id}',
  'POST /api/missions/{id}/cancel',
  'POST /api/missions/{id}/pause',
  'POST /api/missions/{id}/resume',
  'GET /api/alarm-rules',
  'POST /api/alarm-rules',
  'GET /api/sensors',
  'GET /api/sensors/{id}',
  'GET /api/sensors/{id}/readings',
  'GET /api/wards/{ward}/sensors',
  'GET /api/cabinets',
  'GET /api/cabinets/{id}',
  'GET /api/cabinets/{id}/ledger',
  'GET /api/cabinets/{id}/commands',
  'PUT /api/cabinets/{id}/pockets/{pocketId}',
  'POST /api/cabinets/{id}/lockdown',
  'POST /api/cabinets/{id}/release-lockdown',
  'POST /api/cabinets/{id}/pockets/{pocketId}/remove',
  'POST /api/cabinets/{id}/pockets/{pocketId}/cancel-remove',
  'POST /api/cabinets/{id}/pockets/{pocketId}/restock',
  'POST /api/cabinets/{id}/pockets/{pocketId}/waste',
  'POST /api/cabinets/{id}/pockets/{pocketId}/return',
  'GET /api/cabinets/{id}/pockets/{pocketId}/count',
  'POST /api/cabinets/{id}/pockets/{pocketId}/count',
  'POST /api/cabinets/{id}/pockets/{pocketId}/count-request',
  'GET /api/discrepancies',
  'POST /api/discrepancies/{id}/resolve',
  'GET /api/recalls',
  'POST /api/recalls',
  'GET /api/medications',
  'POST /api/medications',
  'GET /api/patients',
  'POST /api/patients',
  'GET /api/patients/{id}/medication',
  'GET /api/doses',
  'GET /api/orders',
  'POST /api/orders',
  'GET /api/orders/{id}',
  'POST /api/orders/{id}/verify',
  'POST /api/orders/{id}/reject',
  'POST /api/orders/{id}/stop',
  'GET /api/deliveries',
  'POST /api/deliveries',
  'GET /api/deliveries/{id}',
  'POST /api/deliveries/{id}/picks',
  'POST /api/deliveries/{id}/check',
  'POST /api/deliveries/{id}/load',
  'POST /api/deliveries/{id}/dispatch',
  'POST /api/deliveries/{id}/escalate',
  'POST /api/deliveries/{id}/unlock',
  'POST /api/deliveries/{id}/receipt',
  'POST /api/deliveries/{id}/receipt/complete',
  'POST /api/administrations',
  'GET /api/administrations/overrides',
  'POST /api/administrations/{id}/review',
  'GET /api/doses/{id}/locations',
  'GET /api/locations/doses',
  'POST /api/doses/{id}/release',
  'POST /api/doses/{id}/return',
  'POST /api/doses/{id}/destroy',
  'GET /api/doses/{id}/timeline',
  'GET /api/doses/{id}/fhir',
  'GET /api/deliveries/{id}/fhir',
  'GET /api/doses/{id}/epcis',
  'GET /api/deliveries/{id}/epcis',
  'GET /api/audit/events',
  'GET /api/audit/verify',
  'GET /api/audit/checkpoint',
  'GET /api/audit/keys',
  'GET /api/doses/{id}/proof',
  'GET /api/device-commands/{id}',
  'GET /api/cold-chain/storages',
  'GET /api/cold-chain/excursions',
  'POST /api/cold-chain/excursions/{id}/decision',
]);

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: Doc;
  let policies: readonly RoutePolicy[];
  const ops: { route: string; op: Operation; path: string }[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    const r = await t.api('GET', '/api/docs-json');
    expect(r.status).toBe(200);
    doc = r.body as Doc;
    policies = t.cp.app.get(PolicyCheck).routes;
    for (const [path, item] of Object.entries(doc.paths))
      for (const m of METHODS) if (item[m]) ops.push({ route: `${m.toUpperCase()} ${path}`, op: item[m], path });
  });

  afterAll(async () => {
    await t?.close();
  });

  const policyOf = (route: string): RoutePolicy => {
    const [method, path] = route.split(' ') as [string, string];
    const p = policies.find((x) => x.method === method && x.path === path.replace(/\{(\w+)\}/g, ':$1'));
    if (!p) throw new Error(`${route}: in the document but not a route PolicyCheck knows`);
    return p;
  };

  /** The resolved schema of an error response, for checking a real answer against it. */
  const errorSchema = (route: string, status: number): Schema => {
    const [method, path] = route.split(' ') as [string, string];
    const schema = doc.paths[path]?.[method.toLowerCase()]?.responses[String(status)]?.content?.['application/json']?.schema;
    if (!schema) throw new Error(`${route} documents no ${status}`);
    return { ...schema, $defs: { ErrorBody: doc.components.schemas['ErrorBody'] } };
  };
  // ajv-formats is CommonJS: its default export arrives wrapped under ESM
  const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (a: Ajv2020) => Ajv2020;
  const ajv = () => addFormats(new Ajv2020({ strict: false, allErrors: true }));
  const matches = (schema: Schema, body: unknown) => {
    const text = JSON.stringify(schema).replaceAll('#/components/schemas/ErrorBody', '#/$defs/ErrorBody');
    const validate = ajv().compile(JSON.parse(text) as Schema);
    return validate(body) ? [] : validate.errors;
  };

  it('is OpenAPI 3.1 that holds together: unique operationIds, declared path parameters, resolving $refs, schemas that compile', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(ops.length).toBeGreaterThan(80);
    expect(doc.components.securitySchemes).toHaveProperty('bearer');
    const ids = ops.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const problems: string[] = [];
    const compiler = ajv();
    compiler.addSchema({ $id: 'components', $defs: doc.components.schemas });
    const check = (where: string, schema: Schema | undefined) => {
      if (!schema) return problems.push(`${where}: no schema`);
      const text = JSON.stringify(schema);
      for (const [, ref] of text.matchAll(/"\$ref":"([^"]+)"/g)) {
        const name = /^#\/components\/schemas\/(.+)$/.exec(ref!)?.[1];
        if (!name || !doc.components.schemas[name]) problems.push(`${where}: $ref ${ref} does not resolve`);
      }
      try {
        compiler.compile(JSON.parse(text.replaceAll('#/components/schemas/', 'components#/$defs/')) as Schema);
      } catch (err) {
        problems.push(`${where}: ${(err as Error).message}`);
      }
    };
    for (const { route, op, path } of ops) {
      if (!op.operationId) problems.push(`${route}: no operationId`);
      const declared = new Set((op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name));
      for (const [, name] of path.matchAll(/\{(\w+)\}/g)) if (!declared.has(name!)) problems.push(`${route}: path parameter ${name} not declared`);
      for (const p of op.parameters ?? []) {
        if (!['path', 'query', 'header', 'cookie'].includes(p.in)) problems.push(`${route}: parameter ${p.name} in '${p.in}'`);
        if (p.in === 'path' && p.required !== true) problems.push(`${route}: path parameter ${p.name} not required`);
        check(`${route} parameter ${p.name}`, p.schema);
      }
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) check(`${route} body ${type}`, media.schema);
      for (const [status, r] of Object.entries(op.responses)) {
        if (!/^[1-5]\d\d$|^default$/.test(status)) problems.push(`${route}: response key ${status}`);
        if (typeof r.description !== 'string') problems.push(`${route} ${status}: no description`);
        for (const [type, media] of Object.entries(r.content ?? {})) if (media.schema) check(`${route} ${status} ${type}`, media.schema);
      }
    }
    for (const [name, schema] of Object.entries(doc.components.schemas)) check(`component ${name}`, schema);
    expect(problems).toEqual([]);
  });

  it('summarises every operation', () => {
    expect(ops.filter(({ op }) => !op.summary?.trim()).map((o) => o.route)).toEqual([]);
  });

  it('gives every operation a success answer with a schema, or an explicit no-content', () => {
    const lacking = ops
      .filter(({ op }) => {
        const success = Object.entries(op.responses).filter(([s]) => s.startsWith('2'));
        return !success.some(([s, r]) => (s === '204' && !r.content && r.description.trim()) || Object.values(r.content ?? {}).some((m) => m.schema));
      })
      .map((o) => o.route);
    expect(lacking.filter((r) => !NO_RESULT_SCHEMA.has(r))).toEqual([]);
    // the list is kept exact: a route that gained a schema is taken off it
    expect([...NO_RESULT_SCHEMA].filter((r) => !lacking.includes(r))).toEqual([]);
    for (const { route, op } of ops.filter((o) => NO_RESULT_SCHEMA.has(o.route))) {
      const success = Object.entries(op.responses).find(([s]) => s.startsWith('2'));
      expect([route, success?.[1].description.trim() ?? '']).not.toEqual([route, '']);
    }
  });

  it('documents the errors each route can answer, each in the error envelope with its codes', () => {
    const problems: string[] = [];
    for (const { route, op } of ops) {
      const policy = policyOf(route);
      const errors = Object.entries(op.responses).filter(([s]) => Number(s) >= 400);
      const statuses = new Set(errors.map(([s]) => Number(s)));
      const need = (status: number, why: string) => statuses.has(status) || problems.push(`${route}: no ${status} (${why})`);
      if (!policy.public) {
        need(401, 'authenticated');
        need(403, 'role-restricted');
        if (!op.security?.some((s) => 'bearer' in s)) problems.push(`${route}: authenticated but no bearer security`);
      }
      if (op.requestBody) {
        need(400, 'takes a body');
        need(413, 'takes a body');
      }
      if ((op.parameters ?? []).some((p) => p.in === 'path' || p.in === 'query')) need(400, 'parses its parameters');
      if (policy.wardScope?.kind === 'resource') need(404, 'names a resource');
      for (const [status, r] of errors) {
        const schema = r.content?.['application/json']?.schema;
        if (!JSON.stringify(schema ?? {}).includes('#/components/schemas/ErrorBody')) {
          if (!(route === 'GET /health' && status === '503')) problems.push(`${route} ${status}: not the error envelope`);
          continue;
        }
        const codes = (schema?.['allOf'] as Schema[] | undefined)?.[1]?.['properties'] as
          { error?: { type?: string; examples?: string[]; enum?: unknown } } | undefined;
        if (!codes?.error?.examples?.length) problems.push(`${route} ${status}: names no error code`);
        // an open string: a code the hand-kept list misses must not make a generated client reject the answer
        if (codes?.error?.type !== 'string' || codes.error.enum !== undefined) problems.push(`${route} ${status}: error is not an open string`);
        if (!r.description.trim()) problems.push(`${route} ${status}: no description`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('documents the error answers the server really gives (status, envelope and code)', async () => {
    const noToken = await t.api('GET', '/api/alarms', { token: null });
    expect(noToken.status).toBe(401);
    expect(matches(errorSchema('GET /api/alarms', 401), noToken.body)).toEqual([]);

    const nurse = await t.userToken('nurse', ['W1']);
    const refused = await t.api('GET', '/api/users', { token: nurse.token });
    expect(refused.status).toBe(403);
    expect(matches(errorSchema('GET /api/users', 403), refused.body)).toEqual([]);

    const invalid = await t.api('POST', '/api/users', { token: t.adminToken, body: { username: 'x' } });
    expect(invalid.status).toBe(400);
    expect(matches(errorSchema('POST /api/users', 400), invalid.body)).toEqual([]);

    const missing = await t.api('GET', '/api/alarms/00000000-0000-4000-8000-000000000000', { token: t.adminToken });
    expect(missing.status).toBe(404);
    expect(matches(errorSchema('GET /api/alarms/{id}', 404), missing.body)).toEqual([]);

    const badJson = await t.api('POST', '/api/missions', { token: t.adminToken, raw: '{"not json' });
    expect(badJson.status).toBe(400);
    expect(matches(errorSchema('POST /api/missions', 400), badJson.body)).toEqual([]);

    // the codes are open, so what the schema still holds to is the envelope: not vacuous
    const { error: _e, ...noError } = missing.body as Record<string, unknown>;
    const { message: _m, ...noMessage } = missing.body as Record<string, unknown>;
    expect(matches(errorSchema('GET /api/alarms/{id}', 404), noError)).not.toEqual([]);
    expect(matches(errorSchema('GET /api/alarms/{id}', 404), noMessage)).not.toEqual([]);
    expect(matches(errorSchema('GET /api/alarms/{id}', 404), { ...missing.body, statusCode: 409 })).not.toEqual([]);
  });

  /** The known codes of a route's status, as documented. */
  const knownCodes = (route: string, status: number): string[] =>
    ((errorSchema(route, status)['allOf'] as Schema[])[1]!['properties'] as { error: { examples: string[] } }).error.examples ?? [];

  it('lists the codes real domain refusals answer, in answers that match the route’s schema', async () => {
    const nurse = await t.userToken('nurse', ['W1']);
    const raise = (type: 'cabinet.discrepancy', subject: string) =>
      t.cp.app.get(AlarmsService).raise({
        type,
        subject,
        ward: 'W1',
        sourceKind: 'cabinet',
        sourceId: 'CAB-OA',
        params: { medication: 'Ondansetron 4 mg', cabinetId: 'CAB-OA', pocketId: 'P1', counted: 3, expected: 4, discrepancyId: subject },
      });
    // a discrepancy waits for a pharmacist's decision: a nurse may not acknowledge it
    const discrepancy = await raise('cabinet.discrepancy', 'oa-disc-1');
    const refused = await t.api('POST', `/api/alarms/${discrepancy.id}/acknowledge`, { token: nurse.token });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('alarm_acknowledge_role_required');
    expect(knownCodes('POST /api/alarms/{id}/acknowledge', 403)).toContain(refused.body.error);
    expect(matches(errorSchema('POST /api/alarms/{id}/acknowledge', 403), refused.body)).toEqual([]);

    // acknowledged once, a second acknowledgement is an illegal move of the alarm machine
    const pharmacist = await t.userToken('pharmacist', []);
    expect((await t.api('POST', `/api/alarms/${discrepancy.id}/acknowledge`, { token: pharmacist.token })).status).toBe(200);
    const again = await t.api('POST', `/api/alarms/${discrepancy.id}/acknowledge`, { token: pharmacist.token });
    expect([again.status, again.body.error]).toEqual([422, 'illegal_transition']);
    expect(knownCodes('POST /api/alarms/{id}/acknowledge', 422)).toContain(again.body.error);
    expect(matches(errorSchema('POST /api/alarms/{id}/acknowledge', 422), again.body)).toEqual([]);

    // a nurse naming another ward in a filtered list
    const otherWard = await t.api('GET', '/api/alarms?ward=W2', { token: nurse.token });
    expect([otherWard.status, otherWard.body.error]).toEqual([403, 'ward_forbidden']);
    expect(knownCodes('GET /api/alarms', 403)).toContain(otherWard.body.error);

    // a refresh token that is none
    const refresh = await t.api('POST', '/api/auth/refresh', { token: null, body: { refreshToken: 'not-a-refresh-token' } });
    expect([refresh.status, refresh.body.error]).toEqual([401, 'invalid_refresh_token']);
    expect(knownCodes('POST /api/auth/refresh', 401)).toContain(refresh.body.error);
    expect(matches(errorSchema('POST /api/auth/refresh', 401), refresh.body)).toEqual([]);
  });

  it('names in @ApiErrors only codes its controller’s folder (or the domain, or common) can throw', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const src = join(here, '../src');
    const domain = join(here, '../../../libs/domain/src');
    const sources = (dir: string): { path: string; text: string }[] =>
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts'))
        // the declarations themselves do not count as throwing what they name
        .map((e) => ({ path: join(e.parentPath, e.name), text: readFileSync(join(e.parentPath, e.name), 'utf8').replace(/@ApiErrors\(\{[\s\S]*?\}\)/g, '') }));
    const app = sources(src);
    const shared = [...sources(domain), ...app.filter((f) => f.path.startsWith(join(src, 'common')))];
    /** A code the files can produce: as a literal, as a NotFoundError's entity, or as a device command's outcome. */
    const produces = (files: { text: string }[], code: string) =>
      files.some(
        ({ text }) =>
          new RegExp(`['"\`]${code}['"\`]`).test(text) ||
          [...text.matchAll(/NotFoundError\(\s*'([^']+)'/g)].some(([, entity]) => `${entity!.toLowerCase().replace(/\s+/g, '_')}_not_found` === code) ||
          // the one templated family: a device command's outcome (`unlock_${command.status}`)
          [...text.matchAll(/`([a-z]+_)\$\{[a-z.]*status\}`/g)].some(([, prefix]) =>
            (DEVICE_COMMAND_STATUSES as readonly string[]).some((s) => code === `${prefix!}${s}`),
          ),
      );
    const problems: string[] = [];
    const declarations = declaredApiErrors(t.cp.app);
    expect(declarations.filter((d) => d.codes.length).length).toBeGreaterThan(30);
    for (const { controller, handler, codes } of declarations) {
      const file = app.find((f) => new RegExp(`export class ${controller}\\b`).test(f.text));
      if (!file) {
        problems.push(`${controller}: no source file declares it`);
        continue;
      }
      const folder = [...app.filter((f) => dirname(f.path) === dirname(file.path)), ...shared];
      for (const code of codes)
        if (!produces(folder, code)) problems.push(`${controller}.${handler}: '${code}' is thrown nowhere in ${dirname(file.path)}, libs/domain or common`);
    }
    // and every code the document lists (the generic ones too) exists somewhere in the code base
    const everywhere = [...app, ...sources(domain)];
    for (const { route, op } of ops)
      for (const [status, r] of Object.entries(op.responses)) {
        const props = (r.content?.['application/json']?.schema?.['allOf'] as Schema[] | undefined)?.[1]?.['properties'] as
          { error?: { examples?: string[] } } | undefined;
        for (const code of props?.error?.examples ?? [])
          if (!produces(everywhere, code)) problems.push(`${route} ${status}: '${code}' appears nowhere in the code base`);
      }
    expect(problems).toEqual([]);
  });

  it('documents success bodies that real answers match', async () => {
    const me = await t.api('GET', '/api/users/me', { token: t.adminToken });
    expect(me.status).toBe(200);
    const schema = doc.paths['/api/users/me']!['get']!.responses['200']!.content!['application/json']!.schema!;
    expect(matches(schema, me.body)).toEqual([]);
  });
});
