/**
 * The built server as a real process: what an operator sees at start, on bad configuration,
 * on a taken port, and on SIGTERM. Runs dist/ (npm test builds first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { closed, connectMqtt, freePort, waitFor } from '#testing';

const MAIN = resolve('dist/apps/control-plane/src/main.js');

interface Running {
  child: ChildProcess;
  out: string[];
  err: string[];
  exited: Promise<number | null>;
}

function run(env: Record<string, string>): Running {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const err: string[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => err.push(d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out, err, exited };
}

describe('the control-plane process', () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm test does it first)`);
    dir = mkdtempSync(join(tmpdir(), 'medloop-proc-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stops with a message naming the variable when configuration is bad', async () => {
    const p = run({ HTTP_PORT: 'eighty', DATA_DIR: dir });
    expect(await p.exited).toBe(1);
    expect(p.err.join('')).toContain("HTTP_PORT: HTTP_PORT must be an integer port 0-65535 (0 = any free port), got 'eighty'");
  });

  describe('with a port taken', () => {
    let holder: Server;
    let taken: number;
    beforeAll(async () => {
      holder = createServer();
      await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
      taken = (holder.address() as AddressInfo).port;
    });
    afterAll(() => new Promise((r) => holder.close(r)));

    it('says which port and which variable to change', async () => {
      const p = run({
        MQTT_HOST: '127.0.0.1',
        MQTT_PORT: String(taken),
        HTTP_PORT: '0',
        MQTT_WS_PORT: 'off',
        DATA_DIR: join(dir, 'taken'),
        LOG_LEVEL: 'silent',
      });
      expect(await p.exited).toBe(1);
      expect(p.err.join('')).toContain(`MQTT_PORT=${taken}: port ${taken} on 127.0.0.1 is already in use`);
      expect(p.err.join('')).not.toMatch(/\n\s+at /);
    });
  });

  it('prints a generated admin password once, serves /health, accepts devices, and shuts down cleanly on SIGTERM', async () => {
    const http = await freePort();
    const mqttPort = await freePort();
    const data = join(dir, 'first');
    const p = run({
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(http),
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(mqttPort),
      MQTT_WS_PORT: 'off',
      DATA_DIR: data,
      LOG_LEVEL: 'info',
    });
    try {
      const pw = await waitFor(() => /password: (\S+)/.exec(p.out.join(''))?.[1], 20_000, 'the admin password banner');
      await waitFor(() => p.out.join('').includes('MedLoop control plane ready'), 20_000, 'ready');
      expect((await fetch(`http://127.0.0.1:${http}/health`)).status).toBe(200);
      // the password is printed, never logged as a structured field
      const logLines = p.out
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('{'));
      expect(logLines.some((l) => l.includes(pw))).toBe(false);
      const login = await fetch(`http://127.0.0.1:${http}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: pw }),
      });
      const { accessToken } = (await login.json()) as { accessToken: string };
      const reg = await fetch(`http://127.0.0.1:${http}/api/devices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
        body: JSON.stringify({ kind: 'sensor', name: 'Ward A fridge' }),
      });
      const { credentials } = (await reg.json()) as { credentials: { username: string; password: string } };
      const c = await connectMqtt(`mqtt://127.0.0.1:${mqttPort}`, { username: credentials.username, password: credentials.password });
      const gone = closed(c, 10_000);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      await gone;
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
    // a second start on the same data does not print a new password
    const again = run({
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(http),
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(mqttPort),
      MQTT_WS_PORT: 'off',
      DATA_DIR: data,
      LOG_LEVEL: 'info',
    });
    try {
      await waitFor(() => again.out.join('').includes('MedLoop control plane ready'), 20_000, 'ready again');
      expect((await fetch(`http://127.0.0.1:${http}/health`)).status).toBe(200);
      expect(again.out.join('')).not.toContain('password:');
      again.child.kill('SIGTERM');
      expect(await again.exited).toBe(0);
    } finally {
      if (again.child.exitCode === null) again.child.kill('SIGKILL');
    }
  }, 60_000);
});
