import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connectMqtt, connectRefused } from '#testing';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('MQTT over TLS', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medloop-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    t = await startTestApp({ MQTT_TLS_PORT: '0', MQTT_TLS_CERT: join(dir, 'cert.pem'), MQTT_TLS_KEY: join(dir, 'key.pem') });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves mqtts with the configured certificate and the same authentication', async () => {
    const port = t.cp.mqttPorts.tls!;
    expect(port).toBeGreaterThan(0);
    const r = await t.registerDevice({ kind: 'cabinet', name: 'Cabinet TLS' });
    const ca = readFileSync(join(dir, 'cert.pem'));
    const c = await connectMqtt(`mqtts://127.0.0.1:${port}`, { ca, username: r.credentials.username, password: r.credentials.password });
    await c.publishAsync(`medloop/v1/cabinet/${r.device.id}/status`, '{"state":"online"}', { qos: 1 });
    expect(c.connected).toBe(true);
    await c.endAsync();
    expect(await connectRefused(`mqtts://127.0.0.1:${port}`, { ca, username: r.credentials.username, password: 'nope' })).toBe(4);
  });
});
