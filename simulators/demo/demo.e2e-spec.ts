/**
 * `npm run demo` end to end, in-process: the demo library on ephemeral ports with a fresh
 * database and a high time scale. Within ~40 s a delivery reaches its ward, a dose is given
 * at the bedside, the audit chain verifies and the web UI is served; then everything stops.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../apps/control-plane/src/config/config.js';
import { request, Session } from './api.js';
import { DEMO_ADMIN_PASSWORD, DEMO_JWT_SECRET } from './data.js';
import { DEFAULT_OPTIONS, startDemo, type Demo } from './demo.js';

const WITHIN_MS = 40_000;

describe('npm run demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'medloop-demo-'));
  const lines: string[] = [];
  let demo: Demo | undefined;

  afterAll(async () => {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the whole loop: deliveries arrive, doses are given, the audit chain holds, the UI is served; then stops cleanly', async () => {
    const config = loadConfig({
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: '0',
      MQTT_WS_PORT: 'off',
      DATA_DIR: dir,
      ADMIN_PASSWORD: DEMO_ADMIN_PASSWORD,
      JWT_SECRET: DEMO_JWT_SECRET,
      LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
      ORDER_ACK_TIMEOUT_MS: '500',
      DISPATCH_INTERVAL_MS: '200',
      CUSTODY_TICK_MS: '500',
      ALARM_RULE_TICK_MS: '500',
      CHECKPOINT_EVERY_SECONDS: '1',
    });
    const started = Date.now();
    demo = await startDemo(config, DEMO_ADMIN_PASSWORD, {
      ...DEFAULT_OPTIONS,
      timeScale: 40,
      orderEveryMs: 1_500,
      pharmacyEveryMs: 1_000,
      wardEveryMs: 500,
      receiveDelayMs: 300,
      administerDelayMs: 300,
      humanTimeoutMs: 6_000,
      faultEveryMs: 5_000,
      firstFaultMs: 3_000,
      log: (line) => lines.push(line),
    });
    const admin = new Session(demo.httpUrl, 'admin', DEMO_ADMIN_PASSWORD);
    type Delivery = { id: string; state: string; arrivedAt: string | null; doses?: { state: string }[] };

    let arrived = false;
    let administered = false;
    while (Date.now() - started < WITHIN_MS && !(arrived && administered)) {
      await new Promise((r) => setTimeout(r, 500));
      const deliveries = await admin.get<Delivery[]>('/api/deliveries');
      arrived ||= deliveries.some((d) => d.arrivedAt !== null);
      for (const d of deliveries.filter((x) => x.state === 'completed')) {
        if (administered) break;
        administered = ((await admin.get<Delivery>(`/api/deliveries/${d.id}`)).doses ?? []).some((x) => x.state === 'administered');
      }
    }
    if (!(arrived && administered)) console.log(lines.join('\n'));
    expect({ arrived, administered }).toEqual({ arrived: true, administered: true });
    expect(demo.pharmacy.stats.orders).toBeGreaterThan(0);

    const audit = await admin.get<{ ok: boolean; events: number }>('/api/audit/verify');
    expect(audit.ok).toBe(true);
    expect(audit.events).toBeGreaterThan(10);
    // the demo's witness holds a checkpoint of the log, as the control plane signed it
    const origin = config.audit.origin;
    let witnessed: string | null = null;
    for (let i = 0; i < 50 && !witnessed; i++) {
      const r = await fetch(`${demo.witness!.url}/checkpoint/${encodeURIComponent(origin)}`);
      if (r.status === 200) witnessed = await r.text();
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(witnessed).toMatch(new RegExp(`^${origin.replace(/\./g, '\\.')}\n[1-9]`));

    const ui = await request(demo.httpUrl, 'GET', '/');
    expect(ui.status).toBe(200);
    expect(String(ui.body)).toMatch(/<html/i);

    // the demo users sign in with the printed credentials
    const nurse = demo.users.find((u) => u.role === 'nurse')!;
    expect((await request(demo.httpUrl, 'POST', '/api/auth/login', undefined, { username: nurse.username, password: nurse.password })).status).toBe(200);

    await demo.stop();
    expect(demo.loops.pending()).toBe(0);
    expect(demo.devices.robots.robots.every((r) => !r.connected)).toBe(true);
    expect(demo.devices.sensors.sensors.every((s) => !s.link.connected)).toBe(true);
    await expect(request(demo.httpUrl, 'GET', '/health')).rejects.toThrow();
    demo = undefined;
  }, 90_000);
});
