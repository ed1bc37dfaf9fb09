/**
 * Cabinet fleet configuration: a JSON file and/or CLI flags, validated once into typed
 * settings. A bad value stops the program with a message naming the field.
 */
import { z } from 'zod';
import { deviceIdSchema } from '#contracts';
import { ConfigError } from '../sensor/config.js';

const drawerSchema = z.object({
  drawerId: z.string().min(1),
  refrigerated: z.boolean().default(false),
  pockets: z.array(z.object({ pocketId: z.string().min(1), count: z.int().min(0).default(10) })).min(1),
});

export const cabinetSchema = z.object({
  deviceId: deviceIdSchema,
  password: z.string().optional(),
  location: z.string().optional(),
  /** Omitted: three drawers of four pockets, the last one refrigerated. */
  drawers: z.array(drawerSchema).min(1).optional(),
  seed: z.int().optional(),
});

export const cabinetFleetSchema = z.object({
  brokerUrl: z.string().default('mqtt://localhost:1883'),
  timeScale: z.number().positive().default(1),
  /** Simulated seconds between telemetry messages (also sent on every pocket change). */
  reportIntervalS: z.number().positive().default(60),
  tickMs: z.int().min(5).default(100),
  reconnectPeriodMs: z.int().min(0).default(2000),
  connectConcurrency: z.int().min(1).default(25),
  openDelayS: z.number().min(0).default(4),
  accessS: z.number().min(0).default(8),
  abandonRate: z.number().min(0).max(1).default(0),
  cabinets: z.array(cabinetSchema).min(1, 'at least one cabinet is required'),
});

export type CabinetConfig = z.output<typeof cabinetSchema>;
export type CabinetFleetConfig = z.output<typeof cabinetFleetSchema>;
export type CabinetFleetSettings = Omit<CabinetFleetConfig, 'cabinets'>;

export function parseCabinetFleetConfig(input: unknown, source = 'config'): CabinetFleetConfig {
  const result = cabinetFleetSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`${source} is invalid:\n${lines.join('\n')}`);
  }
  const ids = result.data.cabinets.map((c) => c.deviceId);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw new ConfigError(`${source}: cabinet ${duplicate} is configured twice`);
  return result.data;
}
