/**
 * Fleet configuration: a JSON file and/or CLI flags, validated once into typed settings. A
 * bad value stops the program with a message naming the field.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { topicLevelProblem, VDA_VERSIONS, type VdaVersion } from '#contracts';

const level = (name: 'interfaceName' | 'manufacturer' | 'serialNumber') =>
  z.string().superRefine((value, ctx) => {
    const problem = topicLevelProblem(name, value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const compartmentSchema = z.object({ id: z.string().min(1), refrigerated: z.boolean().optional() });

export const robotSchema = z.object({
  manufacturer: level('manufacturer').default('MedLoop'),
  serialNumber: level('serialNumber'),
  /** MQTT credentials issued by the control plane (username = device id). */
  username: z.string().optional(),
  password: z.string().optional(),
  initialNode: z.object({
    nodeId: z.string().optional(),
    x: z.number(),
    y: z.number(),
    theta: z.number().optional(),
    mapId: z.string().min(1),
  }),
  /** m/s */
  speed: z.number().positive().default(1),
  /** percent */
  battery: z.number().min(0).max(100).default(100),
  compartments: z.array(compartmentSchema).default([{ id: 'C1' }, { id: 'C2' }, { id: 'C3', refrigerated: true }]),
});

export const fleetSchema = z.object({
  brokerUrl: z.string().default('mqtt://localhost:1883'),
  interfaceName: level('interfaceName').default('uagv'),
  version: z.enum(VDA_VERSIONS as [VdaVersion, ...VdaVersion[]]).default('2.1.0'),
  /** 10 = the robots live ten times faster than the wall clock. */
  timeScale: z.number().positive().default(1),
  /** Simulated seconds between unsolicited states (the standard asks for at most 30). */
  stateIntervalS: z.number().positive().default(30),
  /** Simulated seconds between visualization messages; 0 = off. */
  visualizationIntervalS: z.number().min(0).default(0),
  /** Real milliseconds between simulation steps. */
  tickMs: z.number().int().min(5).default(100),
  /** Simulated seconds a lift ride (edge between two maps) takes. */
  liftTimeS: z.number().positive().default(20),
  /** Nodes where startCharging works; every node when absent. */
  chargerNodeIds: z.array(z.string()).optional(),
  reconnectPeriodMs: z.number().int().min(0).default(1000),
  /**
   * Publish a factsheet after ONLINE and on factsheetRequest (VDA 5050 2.0 and 2.1 both have
   * the topic). false plays a robot that never sends one, as some in the field: the control
   * plane then gives it plain transport missions only.
   */
  factsheet: z.boolean().default(true),
  robots: z.array(robotSchema).min(1, 'at least one robot is required'),
});

export type RobotConfig = z.output<typeof robotSchema>;
export type FleetConfig = z.output<typeof fleetSchema>;
export type FleetConfigInput = z.input<typeof fleetSchema>;
export type SimulationSettings = Omit<FleetConfig, 'robots'>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Validate a fleet configuration object; throws ConfigError naming every bad field. */
export function parseFleetConfig(input: unknown, source = 'config'): FleetConfig {
  const result = fleetSchema.safeParse(input);
  if (result.success) {
    const serials = result.data.robots.map((r) => `${r.manufacturer}/${r.serialNumber}`);
    const duplicate = serials.find((s, i) => serials.indexOf(s) !== i);
    if (duplicate) throw new ConfigError(`${source}: robot ${duplicate} is configured twice`);
    return result.data;
  }
  const lines = result.error.issues.map((i) => `  ${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  throw new ConfigError(`${source} is invalid:\n${lines.join('\n')}`);
}

export function readFleetConfigFile(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw new ConfigError(`cannot read fleet config ${path}: ${(err as Error).message}`);
  }
}

/** Split "C1,C2:cold" into compartment specs (":cold" = refrigerated). */
export function parseCompartmentList(list: string): Array<{ id: string; refrigerated?: boolean }> {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [id, flag] = s.split(':');
      return flag === 'cold' ? { id: id!, refrigerated: true } : { id: id! };
    });
}
