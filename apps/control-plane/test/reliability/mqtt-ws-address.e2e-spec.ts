/**
 * MQTT over WebSocket had no remote address (issue #16): the stream aedes gets has none, so
 * every WebSocket device was "unknown" to the brute-force throttle and one attacker's failures
 * counted against them all. The address is now the upgrade request's peer, or behind a
 * configured trusted proxy the address it forwarded, and never a forwarded one otherwise.
 */
import mqtt from 'mqtt';
import { LoginAttempts } from '../../src/auth/login-attempts.service.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** The address the broker handed the credential check, for one WebSocket CONNECT. */
async function addressSeen(t: TestApp, opts: { localAddress: string; forwardedFor?: string }): Promise<string | undefined> {
  const attempts = t.cp.app.get(LoginAttempts);
  const seen: (string | undefined)[] = [];
  const attempt = attempts.attempt.bind(attempts);
  attempts.attempt = ((channel, username, address, check, ok) => {
    if (channel === 'mqtt') seen.push(address);
    return attempt(channel, username, address, check, ok);
  }) as typeof attempts.attempt;
  try {
    const client = mqtt.connect(t.mqttWsUrl!, {
      reconnectPeriod: 0,
      username: 'rbt-nobody',
      password: 'wrong',
      wsOptions: { localAddress: opts.localAddress, headers: opts.forwardedFor ? { 'x-forwarded-for': opts.forwardedFor } : {} },
    });
    await new Promise<void>((resolve) => {
      client.once('error', () => resolve());
      client.once('close', () => resolve());
    });
    client.end(true);
    return seen[0];
  } finally {
    attempts.attempt = attempt;
  }
}

const v4 = (a: string | undefined) => a?.replace(/^::ffff:/, '');

describe('reliability: MQTT over WebSocket takes the real remote address (#16)', () => {
  describe('with no trusted proxy', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    }, 60_000);
    afterAll(() => t?.close());

    it('is the peer of the upgrade request, one per client', async () => {
      expect(v4(await addressSeen(t, { localAddress: '127.0.0.2' }))).toBe('127.0.0.2');
      expect(v4(await addressSeen(t, { localAddress: '127.0.0.3' }))).toBe('127.0.0.3');
    });

    it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
      expect(v4(await addressSeen(t, { localAddress: '127.0.0.4', forwardedFor: '10.9.8.7' }))).toBe('127.0.0.4');
    });
  });

  describe('behind a trusted proxy', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ TRUSTED_PROXIES: '127.0.0.5' });
    }, 60_000);
    afterAll(() => t?.close());

    it("is the address the proxy forwarded, and only that proxy's", async () => {
      expect(await addressSeen(t, { localAddress: '127.0.0.5', forwardedFor: '10.9.8.7' })).toBe('10.9.8.7');
      // a spoofed hop before the proxy is not believed: the proxy's own peer is the client
      expect(await addressSeen(t, { localAddress: '127.0.0.5', forwardedFor: '6.6.6.6, 10.9.8.6' })).toBe('10.9.8.6');
      expect(v4(await addressSeen(t, { localAddress: '127.0.0.6', forwardedFor: '10.9.8.7' }))).toBe('127.0.0.6');
    });
  });
});
