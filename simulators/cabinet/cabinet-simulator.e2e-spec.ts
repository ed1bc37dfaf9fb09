import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Aedes } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import { deviceTopic, parseDeviceMessage, parseDeviceTopic, SequenceTracker, type DeviceMessage } from '#contracts';
import { CabinetFleet } from './cabinet-fleet.js';
import { parseCabinetFleetConfig } from './config.js';

interface Received {
  deviceId: string;
  channel: string;
  message: DeviceMessage<'cabinet'>;
}

describe('cabinet simulator over MQTT (e2e)', () => {
  let broker: Aedes;
  let server: net.Server;
  let url: string;
  let control: MqttClient;
  let fleet: CabinetFleet | undefined;
  let received: Received[];
  let invalid: string[];
  let seq = 0;

  beforeEach(async () => {
    broker = await Aedes.createBroker();
    server = net.createServer({ noDelay: true }, broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    control = await connectAsync(url, { clientId: 'control-plane', reconnectPeriod: 0 });
    received = [];
    invalid = [];
    control.on('message', (topic, payload) => {
      const parts = parseDeviceTopic(topic);
      if (!parts || parts.kind !== 'cabinet' || parts.channel === 'command') return;
      const result = parseDeviceMessage('cabinet', parts.channel, payload, { deviceId: parts.deviceId });
      if (!result.ok) invalid.push(`${topic}: ${JSON.stringify(result.errors)}`);
      else received.push({ deviceId: parts.deviceId, channel: parts.channel, message: result.message });
    });
    await control.subscribeAsync('medloop/v1/cabinet/#', { qos: 1 });
  });

  afterEach(async () => {
    await fleet?.stop();
    fleet = undefined;
    await control.endAsync(true);
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(received.map((r) => r.message))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function startFleet(count = 1): Promise<CabinetFleet> {
    const cabinets = Array.from({ length: count }, (_, i) => ({ deviceId: `CAB-${String(i + 1).padStart(4, '0')}`, password: 'pw' }));
    fleet = new CabinetFleet(parseCabinetFleetConfig({ brokerUrl: url, tickMs: 60_000, reconnectPeriodMs: 0, openDelayS: 2, accessS: 5, cabinets }));
    await fleet.start();
    await waitFor('cabinets online', () => fleet!.cabinets.every((c) => c.link.connected));
    return fleet;
  }

  const command = (body: Record<string, unknown>, deviceId = 'CAB-0001') =>
    control.publishAsync(deviceTopic('cabinet', deviceId, 'command'), JSON.stringify({ v: 1, deviceId, seq: ++seq, ts: new Date().toISOString(), ...body }), {
      qos: 1,
    });
  const unlock = (commandId: string, pocketId = 'D1-P1') =>
    command({ type: 'unlockPocket', commandId, pocketId, userId: 'nurse-1', reason: 'remove', expiresAt: new Date(Date.now() + 60_000).toISOString() });
  const acks = () => received.filter((r) => r.channel === 'ack').map((r) => r.message as DeviceMessage<'cabinet', 'ack'>);
  const events = () => received.filter((r) => r.channel === 'event').map((r) => r.message as DeviceMessage<'cabinet', 'event'>);

  it('holds a refrigerated drawer excursion for real seconds, stamped on the wall clock, then reads its own temperature again', async () => {
    const f = await startFleet();
    for (let i = 0; i < 30; i++) f.advance(60);
    const started = Date.now();
    await f.cabinets[0]!.faults.excursion(1.2, 11);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1150);
    const drawer = (m: DeviceMessage<'cabinet', 'telemetry'>) => m.drawers.find((d) => d.refrigerated)!.temperatureC!;
    const telemetry = () => received.filter((r) => r.channel === 'telemetry').map((r) => r.message as DeviceMessage<'cabinet', 'telemetry'>);
    await waitFor('the reading after the excursion', () => telemetry().length > 0 && drawer(telemetry().at(-1)!) < 8);
    const warm = telemetry().filter((m) => drawer(m) === 11);
    expect(warm.length).toBeGreaterThanOrEqual(2);
    expect(Date.parse(warm.at(-1)!.ts) - Date.parse(warm[0]!.ts)).toBeGreaterThanOrEqual(900);
    expect(telemetry().every((m) => Date.parse(m.ts) <= Date.now())).toBe(true);
    expect(invalid).toEqual([]);
  });

  it('acks an unlock, then reports the pocket opened and closed', async () => {
    const f = await startFleet();
    await unlock('u1');
    await waitFor('ack', () => acks().length === 1);
    expect(acks()[0]).toMatchObject({ commandId: 'u1', result: 'done' });
    f.advance(10);
    await waitFor('pocket closed', () => events().some((e) => e.type === 'pocketClosed'));
    expect(events().map((e) => e.type)).toEqual(['pocketOpened', 'pocketClosed']);
    expect(events()[0]).toMatchObject({ pocketId: 'D1-P1', userId: 'nurse-1', commandId: 'u1' });
    expect(invalid).toEqual([]);
  });

  it('refuses unlocks during lockdown and accepts them after release', async () => {
    await startFleet();
    await command({ type: 'lockdown', commandId: 'l1', reason: 'diversion review' });
    await unlock('u1');
    await command({ type: 'releaseLockdown', commandId: 'l2', userId: 'pharm-1' });
    await unlock('u2', 'D1-P2');
    await waitFor('four acks', () => acks().length === 4);
    expect(acks().map((a) => [a.commandId, a.result, a.detail])).toEqual([
      ['l1', 'done', undefined],
      ['u1', 'refused', 'cabinet is locked down'],
      ['l2', 'done', undefined],
      ['u2', 'done', undefined],
    ]);
    await waitFor('lockdown events', () => events().length >= 2);
    expect(events().map((e) => e.type)).toEqual(['lockdownEngaged', 'lockdownReleased']);
  });

  it('answers a redelivered command with the same ack instead of acting twice', async () => {
    const f = await startFleet();
    const body = { v: 1, deviceId: 'CAB-0001', seq: ++seq, ts: new Date().toISOString(), type: 'unlockPocket', commandId: 'dup', pocketId: 'D1-P1' };
    const payload = JSON.stringify({ ...body, userId: 'n', reason: 'remove', expiresAt: new Date(Date.now() + 60_000).toISOString() });
    await control.publishAsync(deviceTopic('cabinet', 'CAB-0001', 'command'), payload, { qos: 1 });
    await control.publishAsync(deviceTopic('cabinet', 'CAB-0001', 'command'), payload, { qos: 1 });
    await waitFor('two acks', () => acks().length === 2);
    expect(acks().map((a) => a.result)).toEqual(['done', 'done']);
    expect(f.cabinets[0]!.link.stats.commands).toBe(1);
  });

  it('reports a blind count and telemetry with refrigerated temperatures; swallowed commands get no ack', async () => {
    const f = await startFleet(3);
    f.cabinets[0]!.faults.miscount('D1-P1', -2);
    await command({ type: 'requestCount', commandId: 'k1', pocketId: 'D1-P1', userId: 'nurse-2', blind: true });
    await waitFor('count', () => events().some((e) => e.type === 'countEntered'));
    expect(events().find((e) => e.type === 'countEntered')).toMatchObject({ counted: 8, blind: true, commandId: 'k1' });
    f.advance(61);
    await waitFor('telemetry from all', () => new Set(received.filter((r) => r.channel === 'telemetry').map((r) => r.deviceId)).size === 3);
    const t = received.find((r) => r.channel === 'telemetry')!.message as DeviceMessage<'cabinet', 'telemetry'>;
    expect(t.drawers.find((d) => d.refrigerated)!.temperatureC).toBeGreaterThan(2);
    f.cabinets[1]!.faults.ignoreCommands(1);
    await unlock('lost', 'D1-P1').then(() => command({ type: 'lockLot', commandId: 'x', lot: 'AB1', reason: 'recall' }, 'CAB-0003'));
    await waitFor('ack from CAB-0003', () => acks().some((a) => a.commandId === 'x'));
    const before = acks().length;
    await command({ type: 'lockdown', commandId: 'never', reason: 'test' }, 'CAB-0002');
    await new Promise((r) => setTimeout(r, 200));
    expect(acks().length).toBe(before);
    // QoS 0 telemetry may overtake a QoS 1 event in the broker, so order is not guaranteed;
    // what is: no duplicates, and every device's numbers are contiguous (nothing lost).
    const tracker = new SequenceTracker();
    expect(received.map((r) => tracker.observe(r.message).kind)).not.toContain('duplicate');
    for (const id of ['CAB-0001', 'CAB-0002', 'CAB-0003']) {
      const seqs = received.filter((r) => r.deviceId === id).map((r) => r.message.seq);
      expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    }
    expect(invalid).toEqual([]);
  });
});
