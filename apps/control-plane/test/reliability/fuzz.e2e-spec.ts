/**
 * Fuzzing with fast-check: generated malformed inputs on every MQTT topic family, every HTTP
 * route of the OpenAPI document (with an admin token and without) and the live websocket.
 * The process stays up, a control client keeps its round trip, every input is refused with a
 * specific error (JSON 4xx, never 500, never a stack trace; MQTT: a rejection event or a
 * closed connection) and counted in medloop_rejected_inputs_total. FUZZ_RUNS raises counts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { io } from 'socket.io-client';
import { collect, connectMqtt, RawMqttClient, connectPacket, publishPacket, rawPacket, waitFor } from '#testing';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { percentile, runs, scrape, sleep, STACK_TRACE } from './support.js';

const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);

/** Malformed payloads: none of these is a valid message of any family. */
function malformed(valid: object, headerKeys: string[]): fc.Arbitrary<Buffer> {
  const json = JSON.stringify(valid);
  const wrongType = (v: unknown): unknown =>
    typeof v === 'number' ? String(v) : typeof v === 'string' ? 12345 : typeof v === 'boolean' ? 'yes' : Array.isArray(v) ? 7 : v === null ? [] : 'obj';
  // mutate only the header every message of the family requires, so the result is invalid
  const keys = headerKeys;
  return fc.oneof(
    fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.concat([Buffer.from([0xff]), Buffer.from(b)])),
    fc.integer({ min: 0, max: json.length - 1 }).map((n) => Buffer.from(json.slice(0, n))),
    fc.integer({ min: 50, max: 5000 }).map((d) => Buffer.from('{"a":'.repeat(d) + '1' + '}'.repeat(d))),
    fc.integer({ min: 50, max: 3000 }).map((d) => Buffer.from('['.repeat(d) + ']'.repeat(d))),
    fc.constantFrom(...keys).map((k) => Buffer.from(JSON.stringify({ ...valid, [k]: wrongType((valid as Record<string, unknown>)[k]) }))),
    fc.constantFrom(...keys).map((k) => Buffer.from(JSON.stringify({ ...valid, [k]: 'x'.repeat(40_000) }))),
    fc
      .jsonValue({ maxDepth: 3 })
      .filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
      .map((v) => Buffer.from(JSON.stringify(v))),
    fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }).map((o) => Buffer.from(JSON.stringify(o))),
  );
}

describe('fuzzing every edge', () => {
  let t: TestApp;
  let control: MqttClient;
  const rtt: number[] = [];
  let controlFailures = 0;
  let stopControl = false;
  let controlLoop: Promise<void>;

  beforeAll(async () => {
    // one source address sends thousands of bad logins here: the address lock would end the run;
    // and three devices send a thousand malformed payloads as fast as they are acknowledged: the
    // rejection budget would throttle them (input-flood.e2e-spec tests that)
    t = await startTestApp({
      AUTH_MAX_FAILURES_PER_ADDRESS: '1000000',
      AUTH_MAX_FAILURES: '1000000',
      DEVICE_REJECT_MAX_PER_SEC: '1000000',
      DEVICE_REJECT_MAX_BYTES_PER_SEC: '1000000000',
    });
    const ctl = await t.registerDevice({
      kind: 'integration',
      name: 'control',
      acl: [
        { effect: 'allow', action: 'publish', pattern: 'ctl/#' },
        { effect: 'allow', action: 'subscribe', pattern: 'ctl/#' },
      ],
    });
    control = await connectMqtt(t.mqttUrl, { username: ctl.credentials.username, password: ctl.credentials.password });
    await control.subscribeAsync('ctl/ping', { qos: 1 });
    const pending = new Map<string, number>();
    control.on('message', (_t, p) => {
      const id = (JSON.parse(p.toString()) as { id: string }).id;
      const s = pending.get(id);
      if (s !== undefined) rtt.push(Date.now() - s);
      pending.delete(id);
    });
    controlLoop = (async () => {
      for (let i = 0; !stopControl && i < 100_000; i++) {
        const id = String(i);
        pending.set(id, Date.now());
        await control.publishAsync('ctl/ping', JSON.stringify({ id }), { qos: 1 }).catch(() => controlFailures++);
        await sleep(100);
      }
    })();
  });

  afterAll(async () => {
    stopControl = true;
    await controlLoop;
    await control?.endAsync(true);
    await t?.close();
    // the control client kept working the whole time
    expect(controlFailures).toBe(0);
    expect(rtt.length).toBeGreaterThan(10);
    expect(percentile(rtt, 95)).toBeLessThan(500);
    process.stdout.write(`fuzz: control round trips ${rtt.length}, p95 ${percentile(rtt, 95)} ms\n`);
  });

  it('refuses every malformed MQTT payload on every topic family with a rejection event, and counts it', async () => {
    const robot = await t.registerDevice({ kind: 'robot', name: 'fuzz robot', manufacturer: 'MedLoop', serialNumber: 'FUZZ-1' });
    const cabinet = await t.registerDevice({ kind: 'cabinet', name: 'fuzz cabinet', ward: 'W-CARD' });
    const sensor = await t.registerDevice({ kind: 'sensor', name: 'fuzz sensor', ward: 'W-CARD' });
    const header = { headerId: 1, timestamp: new Date().toISOString(), version: '2.1.0', manufacturer: 'MedLoop', serialNumber: 'FUZZ-1' };
    const dev = (id: string) => ({ v: 1, deviceId: id, seq: 1, ts: new Date().toISOString() });
    const targets: { reg: typeof robot; topic: string; valid: object }[] = [
      ...['state', 'connection', 'visualization', 'factsheet'].map((f) => ({
        reg: robot,
        topic: `uagv/v2/MedLoop/FUZZ-1/${f}`,
        valid: { ...header, connectionState: 'ONLINE', orderId: '', lastNodeId: 'N', driving: false },
      })),
      ...(['telemetry', 'event', 'ack', 'status'] as const).flatMap((c) => [
        {
          reg: cabinet,
          topic: `medloop/v1/cabinet/${cabinet.device.id}/${c}`,
          valid: { ...dev(cabinet.device.id), type: 'doorForced', lockdown: false, drawers: [] },
        },
        { reg: sensor, topic: `medloop/v1/sensor/${sensor.device.id}/${c}`, valid: { ...dev(sensor.device.id), type: 'doorOpened', readings: [] } },
      ]),
    ];
    const clients = new Map<string, { c: MqttClient; rejections: { topic: string }[] }>();
    for (const reg of [robot, cabinet, sensor]) {
      const c = await connectMqtt(t.mqttUrl, { username: reg.credentials.username, password: reg.credentials.password });
      await c.subscribeAsync(`medloop/v1/rejections/${reg.device.id}`, { qos: 1 });
      const msgs = collect(c);
      clients.set(reg.device.id, { c, rejections: msgs as unknown as { topic: string }[] });
    }
    const before = await scrape(t.baseUrl, /^medloop_rejected_inputs_total\{channel="mqtt"/);
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 0, max: targets.length - 1 })
          .chain((i) =>
            fc.tuple(
              fc.constant(i),
              malformed(
                targets[i]!.valid,
                targets[i]!.topic.startsWith('uagv/') ? ['headerId', 'timestamp', 'version', 'manufacturer', 'serialNumber'] : ['v', 'deviceId', 'seq', 'ts'],
              ),
            ),
          ),
        async ([i, payload]) => {
          const target = targets[i]!;
          const { c, rejections } = clients.get(target.reg.device.id)!;
          const had = rejections.length;
          await c.publishAsync(target.topic, payload, { qos: 1 });
          sent++;
          await waitFor(() => rejections.length > had, 5000, `rejection for ${target.topic}`);
          const ev = JSON.parse((rejections[rejections.length - 1] as unknown as { payload: Buffer }).payload.toString()) as {
            topic: string;
            reason: string;
            errors: unknown[];
          };
          expect(ev.topic).toBe(target.topic);
          expect(ev.reason.length).toBeGreaterThan(0);
          expect(Array.isArray(ev.errors)).toBe(true);
        },
      ),
      { numRuns: runs(1200), seed },
    );
    const after = await scrape(t.baseUrl, /^medloop_rejected_inputs_total\{channel="mqtt"/);
    expect(after - before).toBeGreaterThanOrEqual(sent);
    for (const { c } of clients.values()) expect(c.connected).toBe(true);
    for (const { c } of clients.values()) await c.endAsync(true);
    process.stdout.write(`fuzz: ${sent} malformed MQTT payloads on ${targets.length} topics, all rejected\n`);
  }, 170_000);

  it('closes the connection on protocol violations and oversize packets, and counts them', async () => {
    const sensor = await t.registerDevice({ kind: 'sensor', name: 'fuzz raw', ward: 'W-CARD' });
    const before = await scrape(t.baseUrl, /^medloop_mqtt_client_errors_total/);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          // reserved packet types (0, and 15 = AUTH outside MQTT 5), well framed
          fc
            .tuple(fc.constantFrom(0, 15), fc.integer({ min: 0, max: 15 }), fc.uint8Array({ maxLength: 64 }))
            .map(([type, flags, b]) => rawPacket(type, flags, Buffer.from(b))),
          // a second CONNECT on a connected session (MQTT-3.1.0-2)
          fc.constant(connectPacket({ clientId: 'again', username: 'x', password: 'y' })),
          fc.constant(publishPacket({ topic: `medloop/v1/sensor/${sensor.device.id}/telemetry`, payload: Buffer.alloc(300 * 1024, 0x20), qos: 0 })),
          fc.constant(publishPacket({ topic: 'a/+/b', payload: '{}', qos: 0 })), // wildcard in a publish topic
          fc.constant(publishPacket({ topic: `medloop/v1/sensor/${sensor.device.id}/telemetry`, payload: '{}', qos: 3 })),
        ),
        async (bad) => {
          const raw = await RawMqttClient.open('127.0.0.1', t.cp.mqttPorts.tcp!);
          raw.send(connectPacket({ clientId: `raw-${++n}`, username: sensor.credentials.username, password: sensor.credentials.password }));
          expect(await raw.next((p) => p.type === 2, 3000)).not.toBeNull();
          raw.send(bad);
          expect(await raw.closed(5000)).toBe(true);
          raw.destroy();
        },
      ),
      { numRuns: runs(60), seed },
    );
    expect(await scrape(t.baseUrl, /^medloop_mqtt_client_errors_total/)).toBeGreaterThan(before);
    expect(await scrape(t.baseUrl, /^medloop_rejected_inputs_total\{channel="mqtt",family="any",reason="too_large"\}/)).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it('answers every generated HTTP request on every OpenAPI route with a JSON error or a success, never a 500 or a stack trace', async () => {
    const doc = (await t.api('GET', '/api/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => ({ path, method: m.toUpperCase() })));
    expect(routes.length).toBeGreaterThan(20);
    const weird = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        '..%2F..%2Fetc%2Fpasswd',
        '%00',
        "' OR 1=1 --",
        '<script>',
        'x'.repeat(5000),
        '00000000-0000-4000-8000-000000000000',
        '-1',
        'NaN',
        '%E0%A4%A',
      ),
    );
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200 }),
      fc.integer({ min: 100, max: 3000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
      fc.integer({ min: 50, max: 2000 }).map((d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d)),
      fc.constant(JSON.stringify({ x: 'y'.repeat(1_100_000) })),
      fc
        .dictionary(
          fc.constantFrom('username', 'password', 'kind', 'name', 'ward', 'role', 'barcode', 'orderId', 'stops', 'wards'),
          fc.jsonValue({ maxDepth: 2 }),
        )
        .map((o) => JSON.stringify(o)),
    );
    const before = await scrape(t.baseUrl, /^medloop_rejected_inputs_total\{channel="http"/);
    let requests = 0;
    let badRequests = 0;
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.array(weird, { minLength: 3, maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 8 }), weird, { maxKeys: 3 }),
        body,
        fc.boolean(),
        async (route, params, query, raw, withToken) => {
          let i = 0;
          const path = route.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(params[i++ % params.length]!));
          const qs = new URLSearchParams(query).toString();
          const method = route.method;
          const r = await t.api(method, `${path}${qs ? `?${qs}` : ''}`, {
            token: withToken ? t.adminToken : null,
            ...(method === 'GET' || method === 'HEAD' ? {} : { raw }),
          });
          requests++;
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          expect([route.method, route.path, r.status]).not.toEqual([route.method, route.path, 500]);
          expect(r.status).toBeLessThan(500);
          expect(r.text).not.toMatch(STACK_TRACE);
          if (r.status >= 400) {
            expect(r.body).toEqual(expect.objectContaining({ statusCode: r.status, error: expect.any(String), message: expect.any(String) }));
            if (r.status === 400) badRequests++;
          }
          if (!withToken && !route.path.startsWith('/api/auth/login') && !['/health', '/metrics', '/api/site'].includes(route.path) && r.status < 400) {
            throw new Error(`${method} ${route.path} answered ${r.status} without a token`);
          }
        },
      ),
      { numRuns: runs(1500), seed },
    );
    expect(await scrape(t.baseUrl, /^medloop_rejected_inputs_total\{channel="http"/)).toBeGreaterThanOrEqual(before + badRequests);
    expect((await t.api('GET', '/health')).status).toBe(200);
    process.stdout.write(`fuzz: ${requests} HTTP requests over ${routes.length} routes, statuses ${JSON.stringify(statuses)}\n`);
  }, 170_000);

  it('refuses malformed websocket handshakes and messages with an error event, and stays up', async () => {
    const sockets: ReturnType<typeof io>[] = [];
    try {
      // handshakes with forged tokens are refused
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), fc.constant(''), fc.jsonValue({ maxDepth: 2 })), async (token) => {
          const s = io(`${t.baseUrl}/live`, { auth: { token } as Record<string, unknown>, transports: ['websocket'], reconnection: false, timeout: 3000 });
          sockets.push(s);
          const refused = await new Promise<boolean>((res) => {
            s.once('connect', () => res(false));
            s.once('connect_error', () => res(true));
          });
          s.close();
          expect(refused).toBe(true);
        }),
        { numRuns: runs(60), seed },
      );
      // a fresh sign-in: the HTTP fuzz may have sent POST /api/auth/logout with the admin's token
      const token = await t.login('admin', t.env['ADMIN_PASSWORD']!);
      const s = io(`${t.baseUrl}/live`, { auth: { token }, transports: ['websocket'], reconnection: false });
      sockets.push(s);
      const errors: unknown[] = [];
      s.on('error', (e: unknown) => errors.push(e));
      await new Promise<void>((res, rej) => {
        s.once('connect', () => res());
        s.once('connect_error', rej);
      });
      const before = await scrape(t.baseUrl, /^medloop_rejected_inputs_total\{channel="ws"/);
      let sent = 0;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('subscribe', 'unsubscribe', 'teleport', 'x'.repeat(200)), fc.jsonValue({ maxDepth: 4 }), async (event, payload) => {
          const had = errors.length;
          const bad = payload !== null && typeof payload === 'object' && !Array.isArray(payload) && Object.keys(payload).length === 0 ? { room: 42 } : payload;
          s.emit(event, bad);
          sent++;
          await waitFor(() => errors.length > had || !s.connected, 3000, `error for ${event}`);
          expect(s.connected).toBe(true);
        }),
        { numRuns: runs(300), seed },
      );
      expect(await scrape(t.baseUrl, /^medloop_rejected_inputs_total\{channel="ws"/)).toBeGreaterThanOrEqual(before + sent);
      process.stdout.write(`fuzz: ${sent} malformed websocket messages, all refused with an error event\n`);
    } finally {
      for (const s of sockets) s.close();
    }
  }, 90_000);

  it('left the server healthy', async () => {
    expect((await t.api('GET', '/health')).status).toBe(200);
    const c = await connectMqtt(t.mqttUrl, { username: 'nobody', password: 'x' }).catch((e: { code?: number }) => e);
    expect((c as { code?: number }).code).toBe(4);
  });
});
