/**
 * Route × role × ward: every HTTP route in the OpenAPI document, called by every role and by a
 * nurse of the fixtures' ward (A) and of another ward (B), against fixtures that live on ward A.
 *
 * - a role the route does not admit → 403 `role_forbidden`; the safety officer is admitted on
 *   no write;
 * - a route bound to a ward-A resource or to ward A → the ward-B nurse gets 403
 *   `ward_forbidden` (with no body at all: the scope check comes before validation), the ward-A
 *   nurse never does;
 * - every read the ward-B nurse may make (filtered lists, non-ward data) carries none of ward
 *   A's fixture ids, MRN or wristband.
 *
 * The table below says, for each route, what the test expects its ward scope to be and how to
 * call it; it is checked against the declarations the server booted with (PolicyCheck). A route
 * the table does not know fails the test with its name: a new route must be classified here.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newGsrn, orderBody, patientBody, unitBarcode, waitForAsync, withCheck, wristband } from '#testing';
import { PolicyCheck, type RoutePolicy } from '../src/common/policy-check.js';
import type { WardResourceKind } from '../src/common/ward-scope.decorators.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const WARD_A = 'W-CARD';
const WARD_B = 'W-SURG';
const GTIN = withCheck('0950600019901');
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

/** The ward-A fixtures a path parameter can name. */
type Fixture = 'patient' | 'order' | 'dose' | 'delivery' | 'slot' | 'cabinet' | 'sensor' | 'alarm' | 'mission' | 'command' | 'unknown' | 'pocket' | 'ward';
type Fixtures = Record<Fixture, string> & { mrn: string; gsrn: string; doseBarcode: string };

type Scope =
  | { kind: 'resource'; resource: WardResourceKind }
  | { kind: 'ward' }
  | { kind: 'filtered' }
  | { kind: 'in_service'; body: (f: Fixtures) => unknown }
  | { kind: 'all_wards' }
  | { kind: 'none' };

interface RouteCase {
  scope: Scope;
  /** path parameter → fixture (default: `id` → the resource's fixture, other parameters → unknown) */
  params?: Record<string, Fixture>;
  query?: (f: Fixtures) => string;
  /** for filtered lists: a fixture the admin's answer must contain, so the filter is not vacuous */
  adminSees?: Fixture;
  /** a write that changes only the caller's own sign-in (@OwnSession): the safety officer may make it */
  ownSession?: true;
}

const R = (resource: WardResourceKind, extra: Omit<RouteCase, 'scope'> = {}): RouteCase => ({ scope: { kind: 'resource', resource }, ...extra });
const FILTERED = (extra: Omit<RouteCase, 'scope'> = {}): RouteCase => ({ scope: { kind: 'filtered' }, ...extra });
const NONE: RouteCase = { scope: { kind: 'none' } };
const ALL: RouteCase = { scope: { kind: 'all_wards' } };
const OWN: RouteCase = { scope: { kind: 'none' }, ownSession: true };
const since = () => new Date(Date.now() - 3_600_000).toISOString();

const ROUTES: Record<string, RouteCase> = {
  // formulary, patients, orders, deliveries, bedside
  'POST /api/medications': NONE,
  'GET /api/medications': NONE,
  'POST /api/patients': ALL,
  'GET /api/patients': FILTERED({ adminSees: 'patient' }),
  'GET /api/patients/{id}/medication': R('patient'),
  'GET /api/doses': FILTERED({ query: () => '?state=queued,picked,checked,loaded,in_transit,arrived', adminSees: 'dose' }),
  'POST /api/orders': ALL,
  'GET /api/orders': FILTERED({ adminSees: 'order' }),
  'GET /api/orders/{id}': R('order'),
  'POST /api/orders/{id}/verify': R('order'),
  'POST /api/orders/{id}/reject': R('order'),
  'POST /api/orders/{id}/stop': R('order'),
  'POST /api/deliveries': ALL,
  'GET /api/deliveries': FILTERED({ adminSees: 'delivery' }),
  'GET /api/deliveries/{id}': R('delivery'),
  'POST /api/deliveries/{id}/picks': R('delivery'),
  'POST /api/deliveries/{id}/check': R('delivery'),
  'POST /api/deliveries/{id}/load': R('delivery'),
  'POST /api/deliveries/{id}/dispatch': R('delivery'),
  'POST /api/deliveries/{id}/escalate': R('delivery'),
  'POST /api/deliveries/{id}/unlock': R('delivery'),
  'POST /api/deliveries/{id}/receipt': R('delivery'),
  'POST /api/deliveries/{id}/receipt/complete': R('delivery'),
  'POST /api/administrations': {
    scope: { kind: 'in_service', body: (f) => ({ wristband: wristband(f.gsrn), dose: f.doseBarcode, outcome: 'held', reason: 'patient asleep' }) },
  },
  'GET /api/administrations/overrides': FILTERED(),
  'POST /api/administrations/{id}/review': R('administration-slot', { params: { id: 'slot' } }),
  // audit and exports
  'GET /api/doses/{id}/timeline': R('dose'),
  'GET /api/doses/{id}/proof': R('dose'),
  'GET /api/doses/{id}/fhir': R('dose'),
  'GET /api/doses/{id}/epcis': R('dose'),
  'GET /api/deliveries/{id}/fhir': R('delivery'),
  'GET /api/deliveries/{id}/epcis': R('delivery'),
  'GET /api/audit/verify': NONE,
  'GET /api/audit/checkpoint': NONE,
  'GET /api/audit/keys': NONE,
  'GET /api/audit/events': ALL,
  // where a dose is
  'GET /api/doses/{id}/locations': R('dose'),
  'GET /api/locations/doses': FILTERED({ query: () => `?location=pharmacy&from=${encodeURIComponent(since())}`, adminSees: 'dose' }),
  'POST /api/doses/{id}/release': R('dose'),
  'POST /api/doses/{id}/return': R('dose'),
  'POST /api/doses/{id}/destroy': R('dose'),
  // cabinets
  'GET /api/cabinets': FILTERED({ adminSees: 'cabinet' }),
  'GET /api/cabinets/{id}': R('cabinet'),
  'GET /api/cabinets/{id}/ledger': R('cabinet'),
  'GET /api/cabinets/{id}/commands': R('cabinet'),
  'PUT /api/cabinets/{id}/pockets/{pocketId}': R('cabinet', { params: { id: 'cabinet', pocketId: 'pocket' } }),
  'POST /api/cabinets/{id}/lockdown': R('cabinet'),
  'POST /api/cabinets/{id}/release-lockdown': R('cabinet'),
  'POST /api/cabinets/{id}/pockets/{pocketId}/remove': R('cabinet', { params: { id: 'cabinet', pocketId: 'pocket' } }),
  'POST /api/cabinets/{id}/pockets/{pocketId}/cancel-remove': R('cabinet', { params: { id: 'cabinet', pocketId: 'pocket' } }),
  'POST /api/cabinets/{id}/pockets/{pocketId}/restock': R('cabinet', { params: { id: 'cabinet', pocketId: 'pocket' } }),
  'POST /api/cabinets/{id}/pockets/{pocketId}/waste': R('cabinet', { params: { id: 'cabinet', pocketId: 'pocket' } }),
  'POST /api/cabinets/{id}/pockets/{pocketId}/return': R('cabinet', { params: { id: 'cabinet', pocketId: 'pocket' } }),
  'GET /api/cabinets/{id}/pockets/{pocketId}/count': R('cabinet', { params: { id: 'cabinet', pocketId: 'pocket' } }),
  'POST /api/cabinets/{id}/pockets/{pocketId}/count': R('cabinet', { params: { id: 'cabinet', pocketId: 'pocket' } }),
  'POST /api/cabinets/{id}/pockets/{pocketId}/count-request': R('cabinet', { params: { id: 'cabinet', pocketId: 'pocket' } }),
  'GET /api/discrepancies': FILTERED(),
  'POST /api/discrepancies/{id}/resolve': ALL,
  'POST /api/recalls': ALL,
  'GET /api/recalls': FILTERED(),
  'GET /api/device-commands/{id}': R('device-command', { params: { id: 'command' } }),
  // sensors, cold chain, alarms
  'GET /api/sensors': FILTERED({ adminSees: 'sensor' }),
  'GET /api/sensors/{id}': R('sensor'),
  'GET /api/sensors/{id}/readings': R('sensor'),
  'GET /api/wards/{ward}/sensors': { scope: { kind: 'ward' }, params: { ward: 'ward' } },
  'GET /api/cold-chain/storages': FILTERED(),
  'GET /api/cold-chain/excursions': FILTERED({ query: () => '?state=all' }),
  'POST /api/cold-chain/excursions/{id}/decision': R('excursion', { params: { id: 'unknown' } }),
  'GET /api/alarms': FILTERED({ query: () => '?state=open', adminSees: 'alarm' }),
  'GET /api/alarms/{id}': R('alarm'),
  'POST /api/alarms/{id}/acknowledge': R('alarm'),
  'POST /api/alarms/{id}/resolve': R('alarm'),
  'GET /api/alarm-rules': ALL,
  'POST /api/alarm-rules': ALL,
  'DELETE /api/alarm-rules/{id}': ALL,
  // fleet and devices
  'GET /api/site': NONE,
  'GET /api/robots': NONE,
  'GET /api/robots/{id}': NONE,
  'POST /api/missions': ALL,
  'GET /api/missions': FILTERED({ adminSees: 'mission' }),
  'GET /api/missions/{id}': R('mission'),
  'POST /api/missions/{id}/cancel': R('mission'),
  'POST /api/missions/{id}/pause': R('mission'),
  'POST /api/missions/{id}/resume': R('mission'),
  'POST /api/devices': ALL,
  'GET /api/devices': FILTERED({ adminSees: 'cabinet' }),
  'GET /api/devices/{id}': R('device', { params: { id: 'cabinet' } }),
  'POST /api/devices/{id}/credentials': ALL,
  'POST /api/devices/{id}/revoke': ALL,
  // accounts
  'POST /api/users': NONE,
  'GET /api/users': NONE,
  'GET /api/users/me': NONE,
  'PATCH /api/users/{id}': NONE,
  'GET /api/auth/lockouts': NONE,
  'POST /api/auth/logout': OWN,
  'POST /api/auth/password': OWN,
  'GET /api/auth/sessions': NONE,
  'GET /api/users/{id}/sessions': NONE,
  'POST /api/users/{id}/sign-out': NONE,
  'POST /api/auth/lockouts/unlock': NONE,
};

/** The resource kind's ward-A fixture, for `{id}` when the case names none. */
const FIXTURE_OF: Record<WardResourceKind, Fixture> = {
  patient: 'patient',
  order: 'order',
  dose: 'dose',
  delivery: 'delivery',
  'administration-slot': 'slot',
  cabinet: 'cabinet',
  sensor: 'sensor',
  device: 'cabinet',
  'device-command': 'command',
  alarm: 'alarm',
  mission: 'mission',
  excursion: 'unknown',
};

type Caller = 'admin' | 'pharmacist' | 'ward_pharmacist' | 'safety_officer' | 'nurseA' | 'nurseB';
const CALLERS: Caller[] = ['admin', 'pharmacist', 'ward_pharmacist', 'safety_officer', 'nurseA', 'nurseB'];
const roleOf = (c: Caller) => (c === 'nurseA' || c === 'nurseB' ? 'nurse' : c);

describe('ward scope: every route × role × ward', () => {
  let t: TestApp;
  let f: Fixtures;
  const tokens = {} as Record<Caller, string>;
  let policies: readonly RoutePolicy[];
  let docRoutes: string[];

  const call = (caller: Caller, method: string, path: string, body?: unknown) =>
    t.api(method, path, { token: tokens[caller], ...(body !== undefined ? { body } : {}) });

  beforeAll(async () => {
    // a cabinet that never answers: its commands time out at once and raise ward A's alarm
    t = await startTestApp({ COMMAND_ACK_TIMEOUT_MS: '300' });
    tokens.admin = t.adminToken;
    tokens.pharmacist = (await t.userToken('pharmacist')).token;
    tokens.ward_pharmacist = (await t.userToken('ward_pharmacist')).token;
    tokens.safety_officer = (await t.userToken('safety_officer')).token;
    tokens.nurseA = (await t.userToken('nurse', [WARD_A])).token;
    tokens.nurseB = (await t.userToken('nurse', [WARD_B])).token;
    const ph = (method: string, path: string, body?: unknown) => call('pharmacist', method, path, body);

    const med = await ph('POST', '/api/medications', { gtin: GTIN, name: 'Amoxicillin', strength: '500 mg', route: 'oral' });
    expect(med.status).toBe(201);
    const gsrn = newGsrn();
    const pat = await ph('POST', '/api/patients', patientBody(gsrn, WARD_A));
    expect(pat.status).toBe(201);
    const order = await ph('POST', '/api/orders', orderBody(pat.body.id, med.body.id, { inMinutes: 10, priority: 'urgent' }));
    expect(order.status).toBe(201);
    // separation of duties: a second pharmacist verifies what the first entered
    expect((await call('admin', 'POST', `/api/orders/${order.body.id}/verify`)).status).toBe(200);
    const delivery = await ph('POST', '/api/deliveries', { ward: WARD_A });
    expect(delivery.status).toBe(201);
    const doseBarcode = unitBarcode(GTIN, 'WS-1');
    const pick = await ph('POST', `/api/deliveries/${delivery.body.id}/picks`, { orderId: order.body.id, barcode: doseBarcode });
    expect(pick.status).toBe(201);
    const medication = await call('admin', 'GET', `/api/patients/${pat.body.id}/medication`);
    const cabinet = await t.registerDevice({ kind: 'cabinet', name: 'Cabinet ward A', ward: WARD_A });
    const sensor = await t.registerDevice({ kind: 'sensor', name: 'Fridge sensor ward A', ward: WARD_A, location: 'medication fridge' });
    const recall = await ph('POST', '/api/recalls', { gtin: GTIN, lot: 'LOT-WS', reason: 'ward-scope fixture' });
    expect(recall.status).toBe(201);
    const command = (recall.body.commands as { commandId: string; deviceId: string }[]).find((c) => c.deviceId === cabinet.device.id)!;
    let alarm = '';
    await waitForAsync(
      async () => {
        const open = (await call('admin', 'GET', `/api/alarms?ward=${WARD_A}&state=open`)).body as { id: string; source: { id: string } }[];
        alarm = open.find((a) => a.source.id === cabinet.device.id)?.id ?? '';
        return alarm !== '';
      },
      10_000,
      "the unanswered command raised ward A's alarm",
    );
    const mission = await ph('POST', '/api/missions', { stops: [{ nodeId: 'F0-PHARMACY-DOCK' }], cargo: { ward: WARD_A } });
    expect(mission.status).toBe(201);
    f = {
      patient: pat.body.id,
      mrn: pat.body.mrn,
      gsrn,
      order: order.body.id,
      dose: (pick.body.doses as { id: string }[])[0]!.id,
      doseBarcode,
      delivery: delivery.body.id,
      slot: (medication.body.slots as { id: string }[])[0]!.id,
      cabinet: cabinet.device.id,
      sensor: sensor.device.id,
      alarm,
      mission: mission.body.id,
      command: command.commandId,
      unknown: UNKNOWN,
      pocket: 'P1',
      ward: WARD_A,
    };
    policies = t.cp.app.get(PolicyCheck).routes;
    const doc = (await t.api('GET', '/api/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    docRoutes = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${p}`),
    );
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  /** Ward A's identifying values: none may appear in anything the ward-B nurse reads. */
  const secrets = () => [f.patient, f.mrn, f.gsrn, f.order, f.dose, f.delivery, f.slot, f.cabinet, f.sensor, f.alarm, f.mission, f.command];

  const policyOf = (route: string): RoutePolicy | undefined => {
    const [method, path] = route.split(' ') as [string, string];
    const express = path.replace(/\{(\w+)\}/g, ':$1');
    return policies.find((p) => p.method === method && p.path === express);
  };

  const pathOf = (route: string, c: RouteCase, overrideFixture?: Fixture): string => {
    const path = route.split(' ')[1]!;
    return path.replace(/\{(\w+)\}/g, (_m, name: string) => {
      const fixture = overrideFixture ?? c.params?.[name] ?? (name === 'id' && c.scope.kind === 'resource' ? FIXTURE_OF[c.scope.resource] : 'unknown');
      return encodeURIComponent(f[fixture]);
    });
  };

  it('knows every route in the OpenAPI document, and the server declares each as the table expects', () => {
    const unknown = docRoutes.filter((r) => !ROUTES[r] && !policyOf(r)?.public);
    expect(unknown).toEqual([]);
    const stale = Object.keys(ROUTES).filter((r) => !docRoutes.includes(r));
    expect(stale).toEqual([]);
    const mismatched: string[] = [];
    for (const [route, c] of Object.entries(ROUTES)) {
      const p = policyOf(route);
      if (!p) {
        mismatched.push(`${route}: no policy found`);
        continue;
      }
      const s = p.wardScope;
      if (s?.kind !== c.scope.kind) mismatched.push(`${route}: declared ${s?.kind ?? 'nothing'}, expected ${c.scope.kind}`);
      else if (s.kind === 'resource' && c.scope.kind === 'resource' && s.resource !== c.scope.resource)
        mismatched.push(`${route}: resolves ${s.resource}, expected ${c.scope.resource}`);
      if (p.method !== 'GET' && p.roles.includes('safety_officer') && !c.ownSession) mismatched.push(`${route}: a write admits the safety officer`);
    }
    expect(mismatched).toEqual([]);
  });

  it('refuses every role a route does not admit (403 role_forbidden), and the safety officer every write', async () => {
    const wrong: string[] = [];
    for (const route of Object.keys(ROUTES)) {
      const p = policyOf(route)!;
      const c = ROUTES[route]!;
      for (const caller of CALLERS) {
        if (p.roles.includes(roleOf(caller))) continue;
        const r = await call(caller, p.method, pathOf(route, c) + (c.query?.(f) ?? ''));
        if (r.status !== 403 || r.body?.error !== 'role_forbidden') wrong.push(`${route} as ${caller}: ${r.status} ${r.body?.error}`);
      }
      if (p.method !== 'GET' && !c.ownSession) {
        const r = await call('safety_officer', p.method, pathOf(route, c));
        if (r.status !== 403) wrong.push(`${route} as safety_officer: ${r.status} ${r.body?.error}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("shows the ward-B nurse none of ward A's ids in any read, while the roles that see every ward do see them", async () => {
    const wrong: string[] = [];
    for (const [route, c] of Object.entries(ROUTES)) {
      const p = policyOf(route)!;
      if (p.method !== 'GET') continue;
      const path = pathOf(route, c) + (c.query?.(f) ?? '');
      if (c.adminSees) {
        for (const caller of ['admin', 'safety_officer'] as const) {
          const r = await call(caller, 'GET', path);
          if (r.status !== 200 || !r.text.includes(f[c.adminSees])) wrong.push(`${route} as ${caller}: ${r.status}, ${c.adminSees} not listed`);
        }
        const a = await call('nurseA', 'GET', path);
        if (p.roles.includes('nurse') && (a.status !== 200 || !a.text.includes(f[c.adminSees])))
          wrong.push(`${route} as nurseA: ${a.status}, ${c.adminSees} not listed`);
      }
      if (!p.roles.includes('nurse')) continue;
      const r = await call('nurseB', 'GET', path);
      if (r.status === 403 && r.body?.error === 'ward_forbidden') continue;
      const leaked = secrets().filter((s) => r.text.includes(s));
      if (r.status >= 500 || leaked.length) wrong.push(`${route} as nurseB: ${r.status}, shows ${leaked.join(', ')}`);
    }
    expect(wrong).toEqual([]);
  });

  it('refuses the ward-B nurse every ward-A resource (before the body is read), an unknown id alike, and never the ward-A nurse', async () => {
    const wrong: string[] = [];
    let checked = 0;
    // reads first: the writes below may change the fixtures' state (an acknowledged alarm)
    const routes = Object.keys(ROUTES).sort((a, b) => Number(!a.startsWith('GET')) - Number(!b.startsWith('GET')));
    for (const route of routes) {
      const c = ROUTES[route]!;
      if (c.scope.kind !== 'resource' && c.scope.kind !== 'ward' && c.scope.kind !== 'in_service') continue;
      const p = policyOf(route)!;
      if (!p.roles.includes('nurse')) continue;
      checked++;
      const query = c.query?.(f) ?? '';
      const body = c.scope.kind === 'in_service' ? c.scope.body(f) : undefined;
      const b = await call('nurseB', p.method, pathOf(route, c) + query, body);
      if (b.status !== 403 || b.body?.error !== 'ward_forbidden') wrong.push(`${route} as nurseB: ${b.status} ${b.body?.error}`);
      if (secrets().some((s) => b.text.includes(s))) wrong.push(`${route} as nurseB: the refusal names a ward-A id`);
      if (c.scope.kind === 'resource' && c.params?.['id'] !== 'unknown') {
        const u = await call('nurseB', p.method, pathOf(route, c, 'unknown') + query);
        if (u.status !== b.status || u.text !== b.text) wrong.push(`${route}: an unknown id answers unlike another ward's (${u.status} vs ${b.status})`);
      }
      const a = await call('nurseA', p.method, pathOf(route, c) + query, body);
      if (a.body?.error === 'ward_forbidden' || a.status >= 500) wrong.push(`${route} as nurseA: ${a.status} ${a.body?.error}`);
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it('lets the safety officer read every ward: timelines, exports, alarms, cabinets', async () => {
    for (const path of [
      `/api/doses/${f.dose}/timeline`,
      `/api/doses/${f.dose}/fhir`,
      `/api/deliveries/${f.delivery}/epcis`,
      `/api/alarms/${f.alarm}`,
      `/api/cabinets/${f.cabinet}/ledger`,
      `/api/patients/${f.patient}/medication`,
      '/api/audit/verify',
    ]) {
      const r = await call('safety_officer', 'GET', path);
      expect({ path, status: r.status }).toEqual({ path, status: 200 });
    }
  });
});
