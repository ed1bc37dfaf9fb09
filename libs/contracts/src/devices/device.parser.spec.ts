import { describe, expect, it } from '@jest/globals';
import { deviceTopic } from '../mqtt/topics.js';
import { parseDeviceMessage } from './device.parser.js';
import { DEVICE_CHANNEL_RULES, parseDeviceTopic } from './device.topics.js';
import {
  SAMPLE_ACKS,
  SAMPLE_CABINET_COMMANDS,
  SAMPLE_CABINET_EVENTS,
  SAMPLE_CABINET_TELEMETRY,
  SAMPLE_ROOM_TELEMETRY,
  SAMPLE_SENSOR_COMMANDS,
  SAMPLE_SENSOR_EVENTS,
  SAMPLE_SENSOR_TELEMETRY,
  SAMPLE_STATUS,
} from './device.samples.js';

const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

function errorsOf(result: ReturnType<typeof parseDeviceMessage>) {
  if (result.ok) throw new Error('expected the message to be rejected');
  return result.errors;
}

describe('parseDeviceMessage', () => {
  it('accepts every documented sample on its topic', () => {
    const cases: Array<[Parameters<typeof parseDeviceMessage>[0], Parameters<typeof parseDeviceMessage>[1], unknown[]]> = [
      ['sensor', 'telemetry', [SAMPLE_SENSOR_TELEMETRY, SAMPLE_ROOM_TELEMETRY]],
      ['sensor', 'event', SAMPLE_SENSOR_EVENTS],
      ['sensor', 'command', SAMPLE_SENSOR_COMMANDS],
      ['cabinet', 'telemetry', [SAMPLE_CABINET_TELEMETRY]],
      ['cabinet', 'event', SAMPLE_CABINET_EVENTS],
      ['cabinet', 'command', SAMPLE_CABINET_COMMANDS],
      ['cabinet', 'ack', SAMPLE_ACKS],
      ['sensor', 'status', SAMPLE_STATUS],
    ];
    for (const [kind, channel, samples] of cases) {
      for (const sample of samples) {
        const result = parseDeviceMessage(kind, channel, bytes(sample));
        expect({ kind, channel, ok: result.ok, errors: result.ok ? [] : result.errors }).toEqual({ kind, channel, ok: true, errors: [] });
      }
    }
  });

  it('returns a typed message and fills defaults', () => {
    const result = parseDeviceMessage('cabinet', 'command', bytes(SAMPLE_CABINET_COMMANDS[0]));
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.message.type).toBe('unlockPocket');
    if (result.message.type === 'unlockPocket') expect(result.message.unlockS).toBe(30);
  });

  it('names the field at fault in nested readings', () => {
    const bad = {
      ...SAMPLE_SENSOR_TELEMETRY,
      readings: [
        { channel: 'air', temperatureC: 4 },
        { channel: 'product', temperatureC: 'cold' },
      ],
    };
    expect(errorsOf(parseDeviceMessage('sensor', 'telemetry', bytes(bad)))).toEqual([
      { path: 'readings[1].temperatureC', message: expect.stringContaining('number') },
    ]);
  });

  it('rejects duplicate channels, empty readings and readings without a metric', () => {
    const dup = {
      ...SAMPLE_SENSOR_TELEMETRY,
      readings: [
        { channel: 'air', temperatureC: 4 },
        { channel: 'air', temperatureC: 5 },
      ],
    };
    expect(errorsOf(parseDeviceMessage('sensor', 'telemetry', dup))).toEqual([{ path: 'readings[1].channel', message: "channel 'air' appears twice" }]);
    expect(errorsOf(parseDeviceMessage('sensor', 'telemetry', { ...SAMPLE_SENSOR_TELEMETRY, readings: [] }))[0]!.path).toBe('readings');
    expect(errorsOf(parseDeviceMessage('sensor', 'telemetry', { ...SAMPLE_SENSOR_TELEMETRY, readings: [{ channel: 'x' }] }))[0]).toEqual({
      path: 'readings[0]',
      message: 'a reading needs at least one of temperatureC, humidityPct, doorOpen',
    });
  });

  it('checks the header: version, seq range, timestamp with zone', () => {
    const errors = errorsOf(parseDeviceMessage('sensor', 'telemetry', { ...SAMPLE_ROOM_TELEMETRY, v: 2, seq: 2 ** 32, ts: '2025-03-14 09:26' }));
    expect(errors.map((e) => e.path).sort()).toEqual(['seq', 'ts', 'v']);
    expect(errors.find((e) => e.path === 'v')!.message).toContain('v1');
    expect(errorsOf(parseDeviceMessage('sensor', 'telemetry', { ...SAMPLE_ROOM_TELEMETRY, seq: 1.5 }))[0]!.path).toBe('seq');
    expect(errorsOf(parseDeviceMessage('sensor', 'telemetry', { ...SAMPLE_ROOM_TELEMETRY, ts: '2025-03-14T09:26:53' }))[0]!.path).toBe('ts');
  });

  it('rejects unknown fields, so a typo is not silently ignored', () => {
    expect(errorsOf(parseDeviceMessage('sensor', 'telemetry', { ...SAMPLE_ROOM_TELEMETRY, batteryPercent: 50 }))[0]!.message).toContain('batteryPercent');
  });

  it('requires temperatureC for refrigerated drawers and unique pockets', () => {
    const drawers = [
      { drawerId: 'R1', refrigerated: true, pockets: [{ pocketId: 'P1', state: 'locked' }] },
      { drawerId: 'R2', refrigerated: false, pockets: [{ pocketId: 'P1', state: 'open' }] },
    ];
    const errors = errorsOf(parseDeviceMessage('cabinet', 'telemetry', { ...SAMPLE_CABINET_TELEMETRY, drawers }));
    expect(errors).toEqual([
      { path: 'drawers[0].temperatureC', message: 'a refrigerated drawer must report temperatureC' },
      { path: 'drawers[1].pockets[0].pocketId', message: "pocket 'P1' appears twice" },
    ]);
  });

  it('rejects an unknown event type and a refused ack without detail', () => {
    expect(errorsOf(parseDeviceMessage('cabinet', 'event', { ...SAMPLE_CABINET_EVENTS[0], type: 'pocketExploded' }))[0]!.path).toBe('type');
    expect(errorsOf(parseDeviceMessage('cabinet', 'ack', { ...SAMPLE_ACKS[0], result: 'refused' }))).toEqual([
      { path: 'detail', message: "detail is required when result is 'refused' or 'failed'" },
    ]);
  });

  it('requires expiresAt on unlockPocket', () => {
    const { expiresAt: _drop, ...noExpiry } = SAMPLE_CABINET_COMMANDS[0] as Record<string, unknown>;
    expect(errorsOf(parseDeviceMessage('cabinet', 'command', noExpiry))[0]!.path).toBe('expiresAt');
  });

  it('classifies transport failures with stable reasons', () => {
    expect(parseDeviceMessage('sensor', 'telemetry', Buffer.from('{nope'))).toMatchObject({ ok: false, reason: 'invalid_json' });
    expect(parseDeviceMessage('sensor', 'telemetry', 'x'.repeat(70_000))).toMatchObject({ ok: false, reason: 'too_large' });
    expect(parseDeviceMessage('station' as 'sensor', 'telemetry', '{}')).toMatchObject({ ok: false, reason: 'unknown_topic' });
    expect(parseDeviceMessage('sensor', 'telemetry', bytes(SAMPLE_ROOM_TELEMETRY), { deviceId: 'ROOM-OTHER' })).toMatchObject({
      ok: false,
      reason: 'device_mismatch',
      errors: [{ path: 'deviceId' }],
    });
  });
});

describe('device topics', () => {
  it('round-trips topics built by deviceTopic and refuses others', () => {
    expect(parseDeviceTopic(deviceTopic('cabinet', 'CAB-1', 'event'))).toEqual({ kind: 'cabinet', deviceId: 'CAB-1', channel: 'event' });
    expect(parseDeviceTopic('medloop/v1/station/ST-1/event')).toBeNull();
    expect(parseDeviceTopic('medloop/v1/sensor/S1/bogus')).toBeNull();
    expect(parseDeviceTopic('medloop/v2/sensor/S1/event')).toBeNull();
    expect(parseDeviceTopic('medloop/v1/sensor/S 1/event')).toBeNull();
  });

  it('never retains commands and retains only status', () => {
    expect(DEVICE_CHANNEL_RULES.command.retain).toBe(false);
    expect(
      Object.entries(DEVICE_CHANNEL_RULES)
        .filter(([, r]) => r.retain)
        .map(([c]) => c),
    ).toEqual(['status']);
  });
});
