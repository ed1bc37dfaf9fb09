import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies the embedded defaults', () => {
    const c = loadConfig({});
    expect(c.http.port).toBe(3000);
    expect(c.mqtt.port).toBe(1883);
    expect(c.mqtt.wsPort).toBe(8083);
    expect(c.mqtt.tls).toBeNull();
    expect(c.database).toEqual({ type: 'sqlite', path: './data/medloop.sqlite', synchronous: 'FULL', busyTimeoutMs: 5000 });
    expect(c.logLevel).toBe('info');
  });

  it('selects PostgreSQL from DATABASE_URL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db', DATABASE_SCHEMA: 's1' }).database).toEqual({
      type: 'postgres',
      url: 'postgres://u@h/db',
      schema: 's1',
    });
  });

  it('takes TRUSTED_PROXIES only as proxy-addr reads them: a bad entry fails at start, not at the first request', () => {
    expect(loadConfig({ TRUSTED_PROXIES: 'loopback, 10.0.0.0/8,1.2.3.4/255.255.0.0' }).trustedProxies).toEqual([
      'loopback',
      '10.0.0.0/8',
      '1.2.3.4/255.255.0.0',
    ]);
    for (const bad of ['10.0.0.300', '10.0.0.0/33', 'proxy.local'])
      expect(() => loadConfig({ TRUSTED_PROXIES: `loopback,${bad}` })).toThrow(`TRUSTED_PROXIES: '${bad}' is not`);
  });

  it('names the variable at fault', () => {
    const err = (() => {
      try {
        loadConfig({ HTTP_PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.problems.map((p) => p.variable).sort()).toEqual(['DATABASE_URL', 'HTTP_PORT', 'LOG_LEVEL']);
    expect(err.message).toContain("HTTP_PORT: HTTP_PORT must be an integer port 0-65535 (0 = any free port), got 'abc'");
  });

  it('chooses SQLite durability with SQLITE_SYNCHRONOUS (FULL by default) and refuses anything else', () => {
    expect(loadConfig({ SQLITE_SYNCHRONOUS: 'normal', SQLITE_BUSY_TIMEOUT_MS: '250' }).database).toMatchObject({ synchronous: 'NORMAL', busyTimeoutMs: 250 });
    expect(loadConfig({ SQLITE_SYNCHRONOUS: 'FULL' }).database).toMatchObject({ synchronous: 'FULL' });
    expect(() => loadConfig({ SQLITE_SYNCHRONOUS: 'OFF' })).toThrow(/SQLITE_SYNCHRONOUS: SQLITE_SYNCHRONOUS must be FULL .* or NORMAL .*, got 'OFF'/);
    expect(() => loadConfig({ SQLITE_BUSY_TIMEOUT_MS: '0' })).toThrow(/SQLITE_BUSY_TIMEOUT_MS/);
  });

  it('takes the site time zone for alarm wording (Asia/Shanghai by default) and refuses one Intl does not know', () => {
    expect(loadConfig({}).alarmEngine.siteTimeZone).toBe('Asia/Shanghai');
    expect(loadConfig({ SITE_TIME_ZONE: 'Europe/Berlin' }).alarmEngine.siteTimeZone).toBe('Europe/Berlin');
    expect(() => loadConfig({ SITE_TIME_ZONE: 'Mars/Olympus' })).toThrow(/SITE_TIME_ZONE: must be an IANA time zone/);
  });

  it('requires TLS cert and key together', () => {
    expect(() => loadConfig({ MQTT_TLS_CERT: '/c.pem' })).toThrow(/MQTT_TLS_KEY: MQTT_TLS_CERT and MQTT_TLS_KEY must be set together/);
  });

  it("switches the websocket listener off with 'off'", () => {
    expect(loadConfig({ MQTT_WS_PORT: 'off' }).mqtt.wsPort).toBeNull();
  });

  it('reads the per-device rejection budget, with defaults, and names a bad value', () => {
    expect(loadConfig({}).mqtt.rejectionBudget).toEqual({ maxPerSec: 10, maxBytesPerSec: 262144, burstMs: 5000, throttleMs: 10000 });
    expect(
      loadConfig({ DEVICE_REJECT_MAX_PER_SEC: '3', DEVICE_REJECT_MAX_BYTES_PER_SEC: '1000', DEVICE_REJECT_BURST_MS: '200', DEVICE_REJECT_THROTTLE_MS: '1500' })
        .mqtt.rejectionBudget,
    ).toEqual({ maxPerSec: 3, maxBytesPerSec: 1000, burstMs: 200, throttleMs: 1500 });
    expect(() => loadConfig({ DEVICE_REJECT_MAX_BYTES_PER_SEC: '0' })).toThrow(/DEVICE_REJECT_MAX_BYTES_PER_SEC must be a positive integer, got '0'/);
    expect(() => loadConfig({ DEVICE_REJECT_THROTTLE_MS: '1.5' })).toThrow(/DEVICE_REJECT_THROTTLE_MS/);
  });

  it('waits UNLOCK_CONFIRM_TIMEOUT_MS (10 s by default) for a robot to confirm an unlock, and names a bad value', () => {
    expect(loadConfig({}).custody.unlockConfirmTimeoutMs).toBe(10_000);
    expect(loadConfig({ UNLOCK_CONFIRM_TIMEOUT_MS: '1500' }).custody.unlockConfirmTimeoutMs).toBe(1500);
    expect(() => loadConfig({ UNLOCK_CONFIRM_TIMEOUT_MS: '0' })).toThrow(/UNLOCK_CONFIRM_TIMEOUT_MS must be a positive integer, got '0'/);
  });

  it('allows a 5 % dose tolerance at the bedside by default and reviews overrides within 24 h (0 = no alarm), naming a bad value', () => {
    expect(loadConfig({}).custody.doseTolerance).toBe(0.05);
    expect(loadConfig({ DOSE_TOLERANCE_PCT: '0' }).custody.doseTolerance).toBe(0);
    expect(loadConfig({ DOSE_TOLERANCE_PCT: '2.5' }).custody.doseTolerance).toBe(0.025);
    expect(() => loadConfig({ DOSE_TOLERANCE_PCT: '30' })).toThrow(/DOSE_TOLERANCE_PCT must be a number of percent from 0 to 25, got '30'/);
    expect(loadConfig({}).custody.overrideReviewAfterMs).toBe(24 * 3600_000);
    expect(loadConfig({ OVERRIDE_REVIEW_AFTER_MS: '0' }).custody.overrideReviewAfterMs).toBeNull();
    expect(() => loadConfig({ OVERRIDE_REVIEW_AFTER_MS: '-1' })).toThrow(/OVERRIDE_REVIEW_AFTER_MS/);
  });

  it('reads the device clock skew allowance (30 s by default) and the cold-chain durations (the 2–8 °C profile by default)', () => {
    expect(loadConfig({}).devices.clockMaxSkewMs).toBe(30_000);
    expect(loadConfig({}).coldChain).toEqual({ minExcursionS: 600, quarantineAfterS: 1800, recoverS: 300 });
    const short = loadConfig({ DEVICE_CLOCK_MAX_SKEW_S: '5', COLD_CHAIN_MIN_EXCURSION_S: '2', COLD_CHAIN_QUARANTINE_AFTER_S: '4', COLD_CHAIN_RECOVER_S: '0' });
    expect(short.devices.clockMaxSkewMs).toBe(5000);
    expect(short.coldChain).toEqual({ minExcursionS: 2, quarantineAfterS: 4, recoverS: 0 });
    expect(loadConfig({ COLD_CHAIN_QUARANTINE_AFTER_S: '0' }).coldChain.quarantineAfterS).toBe(0);
    expect(() => loadConfig({ DEVICE_CLOCK_MAX_SKEW_S: '0' })).toThrow(/DEVICE_CLOCK_MAX_SKEW_S must be a positive integer, got '0'/);
    expect(() => loadConfig({ COLD_CHAIN_RECOVER_S: '-1' })).toThrow(/COLD_CHAIN_RECOVER_S: COLD_CHAIN_RECOVER_S must be a non-negative integer, got '-1'/);
    expect(() => loadConfig({ COLD_CHAIN_MIN_EXCURSION_S: '60', COLD_CHAIN_QUARANTINE_AFTER_S: '30' })).toThrow(
      /COLD_CHAIN_QUARANTINE_AFTER_S: COLD_CHAIN_QUARANTINE_AFTER_S \(30\) must be 0 or at least COLD_CHAIN_MIN_EXCURSION_S \(60\)/,
    );
  });

  it('reads WITNESS_URLS as base URLs (none by default) and names a bad one', () => {
    expect(loadConfig({}).audit).toMatchObject({ witnessUrls: [], witnessAlarmAfterFailures: 3, witnessTimeoutMs: 5000 });
    expect(loadConfig({ WITNESS_URLS: ' http://w1:7380/ , https://w2.example/witness' }).audit.witnessUrls).toEqual([
      'http://w1:7380',
      'https://w2.example/witness',
    ]);
    for (const bad of ['w1:7380', 'ftp://w1', 'http://u:p@w1', 'http://w1?x=1', 'http://w1,http://w1/']) {
      expect(() => loadConfig({ WITNESS_URLS: bad })).toThrow(/WITNESS_URLS/);
    }
  });

  it('refuses a short admin password', () => {
    expect(() => loadConfig({ ADMIN_PASSWORD: 'short' })).toThrow(/ADMIN_PASSWORD/);
  });
});
