/**
 * Sensor fleet configuration: a JSON file and/or CLI flags, validated once into typed
 * settings. A bad value stops the program with a message naming the field.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { deviceIdSchema } from '#contracts';
import { SENSOR_PROFILES } from './sensor-model.js';

export const sensorSchema = z.object({
  deviceId: deviceIdSchema,
  profile: z.enum(SENSOR_PROFILES).default('fridge'),
  /** MQTT password issued by the control plane; the username is the device id. */
  password: z.string().optional(),
  location: z.string().optional(),
  /** Noise seed; defaults to a hash of the device id so runs repeat. */
  seed: z.int().optional(),
});

export const sensorFleetSchema = z.object({
  brokerUrl: z.string().default('mqtt://localhost:1883'),
  /** 60 = one simulated minute per real second. */
  timeScale: z.number().positive().default(1),
  /** Simulated seconds between telemetry messages. */
  reportIntervalS: z.number().positive().default(60),
  /** Real milliseconds between simulation steps (one timer drives the whole fleet). */
  tickMs: z.int().min(5).default(200),
  reconnectPeriodMs: z.int().min(0).default(2000),
  /** How many sensors connect at once; keeps hundreds from stampeding the broker. */
  connectConcurrency: z.int().min(1).default(50),
  sensors: z.array(sensorSchema).min(1, 'at least one sensor is required'),
});

export type SensorConfig = z.output<typeof sensorSchema>;
export type SensorFleetConfig = z.output<typeof sensorFleetSchema>;
export type SensorFleetSettings = Omit<SensorFleetConfig, 'sensors'>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Validate a fleet configuration; throws ConfigError naming every bad field. */
export function parseSensorFleetConfig(input: unknown, source = 'config'): SensorFleetConfig {
  const result = sensorFleetSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`${source} is invalid:\n${lines.join('\n')}`);
  }
  const ids = result.data.sensors.map((s) => s.deviceId);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw new ConfigError(`${source}: sensor ${duplicate} is configured twice`);
  return result.data;
}

export function readJsonFile(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}
