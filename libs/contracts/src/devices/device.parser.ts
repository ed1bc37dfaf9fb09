/**
 * The edge parser for v1 device messages: bytes (or an already-decoded value) in, a typed
 * message or a list of path-specific problems out. Nothing here throws on bad input, so a
 * malformed payload becomes a rejection event, never a crashed handler.
 */
import type { z } from 'zod';
import { MAX_DEVICE_PAYLOAD_BYTES } from './device.header.js';
import { cabinetEventSchema, cabinetTelemetrySchema, type CabinetEvent, type CabinetTelemetry } from './cabinet.messages.js';
import { cabinetCommandSchema, deviceAckSchema, sensorCommandSchema, type CabinetCommand, type DeviceAck, type SensorCommand } from './device.commands.js';
import { deviceStatusSchema, type DeviceStatus } from './device.status.js';
import { sensorEventSchema, sensorTelemetrySchema, type SensorEvent, type SensorTelemetry } from './sensor.messages.js';
import type { DeviceChannel, ProtocolDeviceKind } from './device.topics.js';

export interface DeviceMessageIssue {
  /** `readings[1].temperatureC`; empty for the message as a whole. */
  path: string;
  message: string;
}

/** The message type for each kind and channel. */
export interface DeviceMessageMap {
  cabinet: { telemetry: CabinetTelemetry; event: CabinetEvent; ack: DeviceAck; status: DeviceStatus; command: CabinetCommand };
  sensor: { telemetry: SensorTelemetry; event: SensorEvent; ack: DeviceAck; status: DeviceStatus; command: SensorCommand };
}

export type DeviceMessage<K extends ProtocolDeviceKind = ProtocolDeviceKind, C extends DeviceChannel = DeviceChannel> = DeviceMessageMap[K][C];

/** Stable reason codes, the same vocabulary as RejectionEvent.reason. */
export type DeviceParseFailure = 'too_large' | 'invalid_json' | 'schema' | 'unknown_topic' | 'device_mismatch';

export type DeviceParseResult<K extends ProtocolDeviceKind, C extends DeviceChannel> =
  { ok: true; kind: K; channel: C; message: DeviceMessage<K, C> } | { ok: false; reason: DeviceParseFailure; errors: DeviceMessageIssue[] };

const SCHEMAS: Record<ProtocolDeviceKind, Record<DeviceChannel, z.ZodType>> = {
  cabinet: { telemetry: cabinetTelemetrySchema, event: cabinetEventSchema, ack: deviceAckSchema, status: deviceStatusSchema, command: cabinetCommandSchema },
  sensor: { telemetry: sensorTelemetrySchema, event: sensorEventSchema, ack: deviceAckSchema, status: deviceStatusSchema, command: sensorCommandSchema },
};

export interface ParseDeviceOptions {
  /** The device id from the topic: a payload naming another device is refused (spoofing or a bug). */
  deviceId?: string;
}

/**
 * Parse one payload published on `medloop/v1/{kind}/{deviceId}/{channel}`. `payload` may be
 * the raw MQTT bytes, a string, or a value that was already JSON-decoded.
 */
export function parseDeviceMessage<K extends ProtocolDeviceKind, C extends DeviceChannel>(
  kind: K,
  channel: C,
  payload: unknown,
  options: ParseDeviceOptions = {},
): DeviceParseResult<K, C> {
  const schema = Object.hasOwn(SCHEMAS, kind) && Object.hasOwn(SCHEMAS[kind], channel) ? SCHEMAS[kind][channel] : undefined;
  if (!schema) return fail('unknown_topic', '', `no v1 payload scheme for ${String(kind)}/${String(channel)}`);

  let value = payload;
  if (typeof payload === 'string' || payload instanceof Uint8Array) {
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
    if (size > MAX_DEVICE_PAYLOAD_BYTES) return fail('too_large', '', `payload is ${size} bytes, the limit is ${MAX_DEVICE_PAYLOAD_BYTES}`);
    const text = typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
    try {
      value = JSON.parse(text) as unknown;
    } catch (err) {
      return fail('invalid_json', '', `not valid JSON: ${(err as Error).message}`);
    }
  }

  const result = schema.safeParse(value);
  if (!result.success) {
    return { ok: false, reason: 'schema', errors: result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })) };
  }
  const message = result.data as DeviceMessage<K, C>;
  if (options.deviceId !== undefined && message.deviceId !== options.deviceId) {
    return fail('device_mismatch', 'deviceId', `message names device '${message.deviceId}' but was published on the topic of '${options.deviceId}'`);
  }
  return { ok: true, kind, channel, message };
}

function fail(reason: DeviceParseFailure, path: string, message: string): { ok: false; reason: DeviceParseFailure; errors: DeviceMessageIssue[] } {
  return { ok: false, reason, errors: [{ path, message }] };
}

/** `['readings', 1, 'temperatureC']` → `readings[1].temperatureC` */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}
