/**
 * Ward sensor payloads: telemetry (one or more channels/probes, each with any subset of the
 * metrics) and events (door contact, probe faults, battery). A fridge logger with an air probe
 * and a glycol-buffered product probe reports two channels in one message.
 */
import { z } from 'zod';
import { headerShape, shortText } from './device.header.js';

export const channelIdSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, { error: 'channel must be 1-32 characters of A-Z a-z 0-9 _ . -' });

export const sensorReadingSchema = z
  .strictObject({
    channel: channelIdSchema,
    /** Physically plausible bounds: a value outside them is a probe fault, not a temperature. */
    temperatureC: z.number().min(-90).max(90).optional(),
    humidityPct: z.number().min(0).max(100).optional(),
    doorOpen: z.boolean().optional(),
  })
  .refine((r) => r.temperatureC !== undefined || r.humidityPct !== undefined || r.doorOpen !== undefined, {
    error: 'a reading needs at least one of temperatureC, humidityPct, doorOpen',
  });

export const sensorTelemetrySchema = z
  .strictObject({
    ...headerShape,
    readings: z.array(sensorReadingSchema).min(1, { error: 'at least one reading is required' }).max(16),
    batteryPct: z.number().min(0).max(100).optional(),
    rssiDbm: z.number().min(-130).max(0).optional(),
  })
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    m.readings.forEach((r, i) => {
      if (seen.has(r.channel)) ctx.addIssue({ code: 'custom', path: ['readings', i, 'channel'], message: `channel '${r.channel}' appears twice` });
      seen.add(r.channel);
    });
  });

export const PROBE_FAULTS = ['disconnected', 'short_circuit', 'out_of_range', 'stuck'] as const;

const sensorEvent = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) => z.strictObject({ ...headerShape, type: z.literal(type), ...shape });

export const sensorEventSchema = z.discriminatedUnion('type', [
  sensorEvent('doorOpened', { channel: channelIdSchema }),
  sensorEvent('doorClosed', { channel: channelIdSchema, openS: z.number().min(0) }),
  sensorEvent('probeFault', { channel: channelIdSchema, fault: z.enum(PROBE_FAULTS), detail: shortText().optional() }),
  sensorEvent('probeRestored', { channel: channelIdSchema }),
  sensorEvent('batteryLow', { batteryPct: z.number().min(0).max(100) }),
  sensorEvent('tamper', { detail: shortText().optional() }),
  sensorEvent('rebooted', { reason: z.enum(['power_on', 'watchdog', 'firmware_update', 'command']) }),
]);

export type SensorReading = z.output<typeof sensorReadingSchema>;
export type SensorTelemetry = z.output<typeof sensorTelemetrySchema>;
export type SensorEvent = z.output<typeof sensorEventSchema>;
export type SensorEventType = SensorEvent['type'];
