/**
 * The v1 header every cabinet/sensor message carries, flat at the top level of the JSON
 * object (like VDA 5050's headerId/timestamp): protocol version, the sending device, a
 * per-device sequence number and the device's clock. The sequence number is what lets the
 * server tell a duplicate (QoS 1 redelivery) from a reordering or a lost message.
 */
import { z } from 'zod';

export const DEVICE_PROTOCOL_VERSION = 1;
export const UINT32_MAX = 0xffff_ffff;
/** Largest payload the server accepts on a device topic; a bigger one is refused unread. */
export const MAX_DEVICE_PAYLOAD_BYTES = 64 * 1024;

/** Same alphabet as VDA 5050 serial numbers: safe as an MQTT topic level and in logs. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export const deviceIdSchema = z.string().regex(DEVICE_ID_PATTERN, { error: 'must be 1-64 characters of A-Z a-z 0-9 _ . : -' });

/** ISO 8601 with an explicit offset: a device clock without a zone cannot be compared. */
export const isoTimestampSchema = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 timestamp with a time zone, e.g. 2025-01-31T12:00:00.000Z' });

export const seqSchema = z
  .number({ error: 'must be a number' })
  .int({ error: 'must be an integer' })
  .min(0, { error: 'must not be negative' })
  .max(UINT32_MAX, { error: 'must fit in 32 bits (wraps to 0 after 4294967295)' });

/** Fields spread into every message schema. */
export const headerShape = {
  v: z.literal(DEVICE_PROTOCOL_VERSION, { error: `unsupported protocol version (this server speaks v${DEVICE_PROTOCOL_VERSION})` }),
  deviceId: deviceIdSchema,
  seq: seqSchema,
  ts: isoTimestampSchema,
};

export const deviceHeaderSchema = z.object(headerShape);
export type DeviceHeader = z.output<typeof deviceHeaderSchema>;

/** Identifier chosen by the sender (uuid or similar); echoed in acks. */
export const messageIdSchema = z.string().min(1, { error: 'must not be empty' }).max(64, { error: 'must be at most 64 characters' });
export const shortText = (max = 200) =>
  z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });
