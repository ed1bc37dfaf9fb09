/**
 * Delivery rules (direction, QoS, retain) per channel of the v1 device topic space
 * `medloop/v1/{kind}/{deviceId}/{channel}`, and a parser for those topics. Topic names
 * themselves are built by `deviceTopic` in ../mqtt/topics.ts.
 */
import { MEDLOOP_PREFIX, type MedloopDeviceKind } from '../mqtt/topics.js';
import { DEVICE_ID_PATTERN } from './device.header.js';

export type DeviceChannel = 'telemetry' | 'event' | 'ack' | 'status' | 'command';
/** Kinds with a v1 payload scheme; stations speak the websocket API instead. */
export type ProtocolDeviceKind = Extract<MedloopDeviceKind, 'cabinet' | 'sensor'>;
export const PROTOCOL_DEVICE_KINDS: readonly ProtocolDeviceKind[] = ['cabinet', 'sensor'];

export interface DeviceChannelRule {
  direction: 'deviceToServer' | 'serverToDevice';
  qos: 0 | 1;
  retain: boolean;
}

export const DEVICE_CHANNEL_RULES: Readonly<Record<DeviceChannel, DeviceChannelRule>> = {
  // Periodic and superseded by the next one: losing one is cheaper than queueing stale values.
  telemetry: { direction: 'deviceToServer', qos: 0, retain: false },
  // Each event matters (a forced door, a count): at-least-once, de-duplicated by seq.
  event: { direction: 'deviceToServer', qos: 1, retain: false },
  ack: { direction: 'deviceToServer', qos: 1, retain: false },
  // Retained so a restarted server learns presence at once; also the last will.
  status: { direction: 'deviceToServer', qos: 1, retain: true },
  // Never retained: a stale unlock replayed at reconnect would open a pocket nobody asked for.
  command: { direction: 'serverToDevice', qos: 1, retain: false },
};

export interface DeviceTopicParts {
  kind: ProtocolDeviceKind;
  deviceId: string;
  channel: DeviceChannel;
}

/** Parts of a v1 cabinet/sensor topic, or null for anything else (robots, rejections, typos). */
export function parseDeviceTopic(topic: string): DeviceTopicParts | null {
  const levels = topic.split('/');
  if (levels.length !== 5 || `${levels[0]}/${levels[1]}` !== MEDLOOP_PREFIX) return null;
  const [, , kind, deviceId, channel] = levels as [string, string, string, string, string];
  if (!(PROTOCOL_DEVICE_KINDS as readonly string[]).includes(kind)) return null;
  if (!DEVICE_ID_PATTERN.test(deviceId)) return null;
  if (!Object.hasOwn(DEVICE_CHANNEL_RULES, channel)) return null;
  return { kind: kind as ProtocolDeviceKind, deviceId, channel: channel as DeviceChannel };
}
