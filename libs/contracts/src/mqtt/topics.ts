/**
 * MedLoop's own MQTT topic space for non-robot devices (cabinets, sensors, nurse stations)
 * and the topic families used to label metrics. Robots use the VDA 5050 space instead
 * (`{interfaceName}/v2/{manufacturer}/{serialNumber}/{topic}`, see ../vda5050).
 *
 *   medloop/v1/{kind}/{deviceId}/{channel}
 *     device → server: telemetry | event | ack | status
 *     server → device: command
 *   medloop/v1/rejections/{deviceId}   server → device: why a message was refused
 */
export const MEDLOOP_PREFIX = 'medloop/v1';

export const DEVICE_KINDS = ['robot', 'cabinet', 'sensor', 'station', 'integration'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** Device kinds that live in the MedLoop topic space (robots use VDA 5050). */
export type MedloopDeviceKind = 'cabinet' | 'sensor' | 'station';

export const DEVICE_PUBLISH_CHANNELS = ['telemetry', 'event', 'ack', 'status'] as const;
export type DevicePublishChannel = (typeof DEVICE_PUBLISH_CHANNELS)[number];
export const DEVICE_SUBSCRIBE_CHANNELS = ['command'] as const;
export type DeviceSubscribeChannel = (typeof DEVICE_SUBSCRIBE_CHANNELS)[number];

/** The VDA 5050 topics a robot publishes and the ones it subscribes to. */
export const VDA_ROBOT_PUBLISH_TOPICS = ['state', 'connection', 'visualization', 'factsheet'] as const;
export const VDA_ROBOT_SUBSCRIBE_TOPICS = ['order', 'instantActions'] as const;

export function deviceTopic(kind: MedloopDeviceKind, deviceId: string, channel: DevicePublishChannel | DeviceSubscribeChannel): string {
  return `${MEDLOOP_PREFIX}/${kind}/${deviceId}/${channel}`;
}

export function rejectionTopic(deviceId: string): string {
  return `${MEDLOOP_PREFIX}/rejections/${deviceId}`;
}

/** A rejection event, published to the device's rejection topic and counted in metrics. */
export interface RejectionEvent {
  /** the topic the refused message was published to */
  topic: string;
  /**
   * stable reason code, e.g. `invalid_json`, `schema`, `acl_denied`, `too_large`; `throttled`:
   * the device is over its rejection budget and its messages are dropped unread for a while
   */
  reason: string;
  /**
   * human-readable details naming the field at fault; bounded whatever the payload was: at
   * most 20 entries (then one saying how many more), path and message clipped to 200 characters
   */
  errors: { path: string; message: string }[];
  at: string;
}

/**
 * Label for metrics: a bounded set of values derived from the topic shape, never from ids
 * (unbounded label values would explode the metrics' cardinality).
 */
export function topicFamily(topic: string): string {
  if (topic.startsWith('$SYS/')) return 'sys';
  const levels = topic.split('/');
  if (levels[0] === 'medloop' && levels[1] === 'v1') {
    if (levels[2] === 'rejections') return 'medloop.rejection';
    if (levels.length === 5 && isMedloopKind(levels[2]!)) return `medloop.${levels[2]}.${channelLabel(levels[4]!)}`;
    return 'medloop.other';
  }
  if (levels.length === 5 && /^v\d+$/.test(levels[1]!)) {
    const t = levels[4]!;
    if ((VDA_ROBOT_PUBLISH_TOPICS as readonly string[]).includes(t) || (VDA_ROBOT_SUBSCRIBE_TOPICS as readonly string[]).includes(t)) {
      return `vda5050.${t}`;
    }
    return 'vda5050.other';
  }
  return 'other';
}

function isMedloopKind(k: string): k is MedloopDeviceKind {
  return k === 'cabinet' || k === 'sensor' || k === 'station';
}

function channelLabel(c: string): string {
  return (DEVICE_PUBLISH_CHANNELS as readonly string[]).includes(c) || c === 'command' ? c : 'other';
}
