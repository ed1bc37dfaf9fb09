/**
 * Device presence on `…/status` (QoS 1, retained). The device publishes `online` after it
 * subscribed to its command topic, `offline` (reason `shutdown`) before a clean disconnect,
 * and registers `offline` (reason `connection_lost`) as its MQTT last will. A last will is
 * composed at connect time, so its `seq` and `ts` are those of the connection, not of the
 * loss: the server uses its receipt time and does not run status through sequence tracking.
 */
import { z } from 'zod';
import { headerShape, shortText } from './device.header.js';

export const DEVICE_PRESENCE = ['online', 'offline'] as const;
export const OFFLINE_REASONS = ['shutdown', 'connection_lost', 'maintenance'] as const;

export const deviceStatusSchema = z.strictObject({
  ...headerShape,
  state: z.enum(DEVICE_PRESENCE),
  reason: z.enum(OFFLINE_REASONS).optional(),
  /** Firmware/simulator version, so the server can spot devices that need an upgrade. */
  firmware: shortText(64).optional(),
});

export type DeviceStatus = z.output<typeof deviceStatusSchema>;
