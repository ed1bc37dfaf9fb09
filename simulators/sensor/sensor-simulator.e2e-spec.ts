import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Aedes } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import { deviceTopic, parseDeviceMessage, parseDeviceTopic, SequenceTracker, type DeviceMessage } from '#contracts';
import { loadScenario, scenarioTimeline } from '../scenarios/scenario.js';
import { ScenarioRunner } from '../scenarios/scenario-runner.js';
import { parseSensorFleetConfig } from './config.js';
import { SensorFleet } from './sensor-fleet.js';

interface Received {
  deviceId: string;
  channel: string;
  message: DeviceMessage<'sensor'>;
  retain: boolean;
}

describe('sensor simulator over MQTT (e2e)', () => {
  let broker: Aedes;
  let server: net.Server;
  let url: string;
  let control: MqttClient;
  let fleet: SensorFleet | undefined;
  let received: Received[];
  let invalid: string[];
  let logins: Array<{ username: string | undefined; password: string | undefined }>;

  beforeEach(async () => {
    broker = await Aedes.createBroker();
    logins = [];
    broker.authenticate = (client, username, password, done) => {
      if (client.id.startsWith('sim-')) logins.push({ username, password: password?.toString() });
      done(null, true);
    };
    server = net.createServer({ noDelay: true }, broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    control = await connectAsync(url, { clientId: 'control-plane', reconnectPeriod: 0 });
    received = [];
    invalid = [];
    control.on('message', (topic, payload, packet) => {
      const parts = parseDeviceTopic(topic);
      if (!parts || parts.kind !== 'sensor' || parts.channel === 'command') return;
      const result = parseDeviceMessage('sensor', parts.channel, payload, { deviceId: parts.deviceId });
      if (!result.ok) invalid.push(`${topic}: ${JSON.stringify(result.errors)}`);
      else received.push({ deviceId: parts.deviceId, channel: parts.channel, message: result.message, retain: packet.retain });
    });
    await control.subscribeAsync('medloop/v1/sensor/#', { qos: 1 });
  });

  afterEach(async () => {
    await fleet?.stop();
    fleet = undefined;
    await control.endAsync(true);
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function startFleet(count: number): Promise<SensorFleet> {
    const sensors = Array.from({ length: count }, (_, i) => ({
      deviceId: `FRIDGE-${String(i + 1).padStart(4, '0')}`,
      profile: i % 4 === 3 ? 'room' : 'fridge',
      password: `secret-${i + 1}`,
    }));
    fleet = new SensorFleet(parseSensorFleetConfig({ brokerUrl: url, reportIntervalS: 60, tickMs: 60_000, reconnectPeriodMs: 0, sensors }));
    await fleet.start();
    // Devices publish only once subscribed to their command topic (then `online`).
    await waitFor('sensors online', () => fleet!.sensors.every((s) => s.link.connected));
    return fleet;
  }

  async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('runs a hundred sensors whose every message parses, with gap-free sequence numbers', async () => {
    const f = await startFleet(100);
    expect(logins).toHaveLength(100);
    expect(logins[0]).toEqual({ username: 'FRIDGE-0001', password: 'secret-1' });
    await waitFor('100 online statuses', () => received.filter((r) => r.channel === 'status').length >= 100);
    for (let i = 0; i < 10; i++) f.advance(60);
    await waitFor('1000 telemetry messages', () => received.filter((r) => r.channel === 'telemetry').length >= 1000);
    expect(invalid).toEqual([]);
    const tracker = new SequenceTracker();
    const verdicts = received.map((r) => tracker.observe(r.message).kind);
    expect(new Set(verdicts)).toEqual(new Set(['first', 'new']));
    const fridge = received.find((r) => r.channel === 'telemetry' && r.deviceId === 'FRIDGE-0001')!.message as DeviceMessage<'sensor', 'telemetry'>;
    expect(fridge.readings[0]!.temperatureC).toBeGreaterThan(2);
    expect(fridge.readings[0]!.temperatureC).toBeLessThan(8);
  });

  it('plays the fridge-excursion scenario: door events and readings above 8 °C', async () => {
    const f = await startFleet(2);
    const runner = new ScenarioRunner(scenarioTimeline(loadScenario('fridge-excursion')), { sensors: f.sensors });
    f.onTick((s) => runner.advanceTo(s));
    f.advance(45 * 60);
    await waitFor('door closed', () => received.some((r) => r.message && 'type' in r.message && r.message.type === 'doorClosed'));
    const temps = received
      .filter((r) => r.deviceId === 'FRIDGE-0001' && r.channel === 'telemetry')
      .map((r) => (r.message as DeviceMessage<'sensor', 'telemetry'>).readings[0]!.temperatureC!);
    expect(Math.max(...temps)).toBeGreaterThan(8);
    const other = received.filter((r) => r.deviceId === 'FRIDGE-0002' && r.channel === 'telemetry');
    expect(other.every((r) => (r.message as DeviceMessage<'sensor', 'telemetry'>).readings[0]!.temperatureC! < 8)).toBe(true);
    expect(invalid).toEqual([]);
  });

  it('never stamps a message ahead of the wall clock however fast the model runs, and holds an excursion for real seconds', async () => {
    const f = await startFleet(1);
    for (let i = 0; i < 30; i++) f.advance(60); // half an hour of physics in a moment
    const started = Date.now();
    await f.sensors[0]!.faults.excursion(1.2, 12.5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1150);
    const telemetry = () => received.filter((r) => r.channel === 'telemetry').map((r) => r.message as DeviceMessage<'sensor', 'telemetry'>);
    await waitFor('the reading after the excursion', () =>
      telemetry().some((m, i) => i > 0 && m.readings[0]!.temperatureC! < 8 && telemetry()[i - 1]!.readings[0]!.temperatureC === 12.5),
    );
    const now = Date.now();
    expect(telemetry().every((m) => Date.parse(m.ts) <= now)).toBe(true);
    const warm = telemetry().filter((m) => m.readings[0]!.temperatureC === 12.5);
    // at the start and every real second until it ends
    expect(warm.length).toBeGreaterThanOrEqual(2);
    expect(Date.parse(warm.at(-1)!.ts) - Date.parse(warm[0]!.ts)).toBeGreaterThanOrEqual(900);
    expect(invalid).toEqual([]);
  });

  it('acknowledges commands, refuses expired and invalid ones', async () => {
    const f = await startFleet(1);
    await waitFor('online', () => received.some((r) => r.channel === 'status'));
    const topic = deviceTopic('sensor', 'FRIDGE-0001', 'command');
    const header = (seq: number) => ({ v: 1, deviceId: 'FRIDGE-0001', seq, ts: new Date().toISOString() });
    await control.publishAsync(topic, JSON.stringify({ ...header(1), type: 'setReportInterval', commandId: 'c1', intervalS: 30 }), { qos: 1 });
    await control.publishAsync(topic, JSON.stringify({ ...header(2), type: 'identify', commandId: 'c2', expiresAt: '2000-01-01T00:00:00.000Z' }), { qos: 1 });
    await control.publishAsync(topic, JSON.stringify({ ...header(3), type: 'setReportInterval', commandId: 'c3', intervalS: 1 }), { qos: 1 });
    const acks = await waitFor('three acks', () => {
      const a = received.filter((r) => r.channel === 'ack').map((r) => r.message as DeviceMessage<'sensor', 'ack'>);
      return a.length >= 3 && a;
    });
    expect(acks.map((a) => [a.commandId, a.result])).toEqual([
      ['c1', 'done'],
      ['c2', 'refused'],
      ['c3', 'refused'],
    ]);
    expect(acks[2]!.detail).toContain('intervalS');
    expect(f.sensors[0]!.reportIntervalS).toBe(30);
  });

  it('publishes a retained online status and the offline last will when the connection drops', async () => {
    const f = await startFleet(1);
    await waitFor('online', () => received.some((r) => r.channel === 'status' && (r.message as DeviceMessage<'sensor', 'status'>).state === 'online'));
    await f.sensors[0]!.faults.offline();
    const will = await waitFor('last will', () =>
      received.find((r) => r.channel === 'status' && (r.message as DeviceMessage<'sensor', 'status'>).state === 'offline'),
    );
    expect(will.message).toMatchObject({ state: 'offline', reason: 'connection_lost', deviceId: 'FRIDGE-0001' });
  });
});
