import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { validateVda } from '#contracts';
import type { BrokerSession, IngestMessage, IngestResult } from '#broker';
import { compileAcl, type Principal } from '#domain';
import { EventBus } from '../common/events.js';
import type { DeviceClockService } from '../device-protocol/device-clock.service.js';
import { DeviceProtocolEdge } from '../device-protocol/device-protocol.edge.js';
import { IngressRouter } from './ingress.router.js';

function message(principal: Principal, topic: string, family: string, payload: string): IngestMessage {
  const session: BrokerSession = {
    principal,
    deviceId: principal.type === 'internal' ? null : principal.deviceId,
    clientId: 'c',
    acl: compileAcl(principal),
    connectedAt: new Date(),
    generation: 0,
    remoteAddress: '127.0.0.1',
  };
  return { session, topic, family, payload: Buffer.from(payload), qos: 1, retain: false, will: false };
}

const robot: Principal = { type: 'robot', deviceId: 'rbt-1', interfaceName: 'uagv', manufacturer: 'Acme', serialNumber: 'R1' };
const sensor: Principal = { type: 'device', deviceId: 'sns-1', kind: 'sensor' };

/** A ~250 KB VDA 5050 state that is valid JSON and fails the schema in thousands of places. */
const bigInvalidState = JSON.stringify({
  headerId: 1,
  timestamp: new Date().toISOString(),
  version: '2.0.0',
  manufacturer: 'Acme',
  serialNumber: 'R1',
  nodeStates: Array.from({ length: 2200 }, (_, i) => ({ nodeId: i, sequenceId: 'x', released: 'no', nodeDescription: 'y'.repeat(40) })),
});

describe('IngressRouter: at most one parse per message, rejected or not', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  /** Counts JSON.parse calls on strings the size of the payload (the schemas' own are small). */
  function countBigParses(minLength = 100_000): () => number {
    const original = JSON.parse;
    let n = 0;
    jest.spyOn(JSON, 'parse').mockImplementation((text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
      if (typeof text === 'string' && text.length > minLength) n++;
      return original(text, reviver);
    });
    return () => n;
  }

  it('parses a 250 KB invalid VDA 5050 state once on its way to the rejection (the schema check gets the parsed value)', () => {
    expect(bigInvalidState.length).toBeGreaterThan(240_000);
    const router = new IngressRouter();
    router.on('vda5050.state', {
      check: (payload) => {
        const r = validateVda('state', payload);
        return r.ok ? { ok: true, value: r.message } : { ok: false, errors: r.errors };
      },
      handle: () => undefined,
    });
    const parses = countBigParses();
    const r = router.ingest(message(robot, 'uagv/v2/Acme/R1/state', 'vda5050.state', bigInvalidState)) as IngestResult;
    expect(r).toMatchObject({ ok: false, reason: 'schema' });
    expect(parses()).toBe(1);
  });

  it('refuses a v1 payload over the protocol limit before parsing it, and parses a malformed one under it once', () => {
    const router = new IngressRouter();
    // no clock: both payloads are refused before their time would be judged
    const edge = new DeviceProtocolEdge(router, new EventBus(), {} as DeviceClockService);
    edge.route('sensor', 'telemetry', () => undefined);
    const telemetry = (readings: number, extraKeys: number) => {
      const m: Record<string, unknown> = {
        v: 1,
        deviceId: 'sns-1',
        seq: 1,
        ts: new Date().toISOString(),
        readings: Array.from({ length: readings }, (_, i) => ({ channel: `c${i}`, temperatureC: 'warm' })),
      };
      for (let i = 0; i < extraKeys; i++) m[`extra_field_${i}`] = 1;
      return JSON.stringify(m);
    };
    const topic = 'medloop/v1/sensor/sns-1/telemetry';
    const family = 'medloop.sensor.telemetry';
    const parses = countBigParses(50_000);

    const huge = telemetry(16, 12_000);
    expect(huge.length).toBeGreaterThan(240_000);
    expect(router.ingest(message(sensor, topic, family, huge))).toEqual({
      ok: false,
      reason: 'too_large',
      errors: [{ path: '', message: `payload is ${huge.length} bytes, the limit is 65536` }],
    });
    expect(parses()).toBe(0);
    expect(edge.statsOf('sns-1').rejected).toEqual({ too_large: 1 });

    const malformed = telemetry(16, 2500);
    expect(malformed.length).toBeGreaterThan(50_000);
    expect(router.ingest(message(sensor, topic, family, malformed))).toMatchObject({ ok: false, reason: 'schema' });
    expect(parses()).toBe(1);
  });
});

describe('IngressRouter: JSON only where a MedLoop feature reads the payload', () => {
  const bridge: Principal = { type: 'integration', deviceId: 'int-1', rules: [{ effect: 'allow', action: 'both', pattern: '#' }] };
  const station: Principal = { type: 'device', deviceId: 'stn-1', kind: 'station' };
  const opaque = ['qos 0', '', '\u0000\u00ff binary', '[1,2]', '42', '{"headerId": 1,'];

  it.each(opaque)('carries an integration payload %j on a family no feature owns unread', (payload) => {
    const router = new IngressRouter();
    const parse = jest.spyOn(JSON, 'parse');
    expect(router.ingest(message(bridge, 'TopicA/B', 'other', payload))).toEqual({ ok: true });
    expect(parse).not.toHaveBeenCalled();
    parse.mockRestore();
  });

  it('holds an integration to the JSON and schema rules on a family a feature owns', () => {
    const router = new IngressRouter();
    const handle = jest.fn(() => undefined);
    router.on('medloop.sensor.telemetry', { check: () => ({ ok: false, errors: [{ path: 'v', message: 'required' }] }), handle });
    const topic = 'medloop/v1/sensor/sns-1/telemetry';
    expect(router.ingest(message(bridge, topic, 'medloop.sensor.telemetry', 'qos 0'))).toMatchObject({ ok: false, reason: 'invalid_json' });
    expect(router.ingest(message(bridge, topic, 'medloop.sensor.telemetry', '[1]'))).toMatchObject({ ok: false, reason: 'invalid_payload' });
    expect(router.ingest(message(bridge, topic, 'medloop.sensor.telemetry', '{}'))).toMatchObject({ ok: false, reason: 'schema' });
    expect(handle).not.toHaveBeenCalled();
  });

  it.each([
    ['uagv/v2/MedLoop/R1/order', 'vda5050.order'],
    ['uagv/v2/MedLoop/R1/instantActions', 'vda5050.instantActions'],
    ['medloop/v1/cabinet/cab-1/command', 'medloop.cabinet.command'],
    ['medloop/v1/rejections/cab-1', 'medloop.rejection'],
    ['medloop/v1/station/stn-1/event', 'medloop.station.event'],
  ])('holds an integration allowed # to JSON on %s, which a device reads though no feature handles it', (topic, family) => {
    const router = new IngressRouter();
    expect(router.ingest(message(bridge, topic, family, 'qos 0'))).toMatchObject({ ok: false, reason: 'invalid_json' });
    expect(router.ingest(message(bridge, topic, family, '[1]'))).toMatchObject({ ok: false, reason: 'invalid_payload' });
  });

  it('keeps the JSON rule for a device on its own family even when no feature owns it', () => {
    const router = new IngressRouter();
    const topic = 'medloop/v1/station/stn-1/telemetry';
    expect(router.ingest(message(station, topic, 'medloop.station.telemetry', 'qos 0'))).toMatchObject({ ok: false, reason: 'invalid_json' });
    expect(router.ingest(message(station, topic, 'medloop.station.telemetry', '[1]'))).toMatchObject({ ok: false, reason: 'invalid_payload' });
    expect(router.ingest(message(station, topic, 'medloop.station.telemetry', '{"v":1}'))).toEqual({ ok: true });
  });
});
