/**
 * Scripted scenarios for the device simulators: a JSON file of timed steps ("at 10 minutes,
 * fridge F-01's door is left open for 20 minutes"). This module owns the format and the pure
 * timeline (expanding `forS` into the reverse step, ordering, picking the steps that fall due);
 * scenario-runner.ts applies steps to running simulators.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** Step actions and, for those that can be held for a while, the action that undoes them. */
export const SCENARIO_ACTIONS = {
  doorOpen: 'doorClose',
  doorClose: null,
  drift: null,
  stuck: 'unstuck',
  unstuck: null,
  probeFault: 'probeRestored',
  probeRestored: null,
  compressorFailure: 'compressorRestored',
  compressorRestored: null,
  offline: null,
  forceDoor: null,
  powerLoss: 'powerRestored',
  powerRestored: null,
  miscount: null,
  /** a fridge or refrigerated drawer reads `temperatureC` for `durationS` real seconds */
  excursion: null,
} as const satisfies Record<string, string | null>;
export type ScenarioAction = keyof typeof SCENARIO_ACTIONS;

const stepSchema = z.strictObject({
  /** Simulated seconds from the scenario start. */
  atS: z.number().min(0),
  /** Device id, or a pattern with `*` (e.g. `FRIDGE-*`). */
  device: z.string().min(1),
  action: z.enum(Object.keys(SCENARIO_ACTIONS) as [ScenarioAction, ...ScenarioAction[]]),
  /** Hold the action this long, then apply its reverse (only for reversible actions). */
  forS: z.number().positive().optional(),
  /** drift: °C per hour */
  cPerHour: z.number().optional(),
  /** probeFault */
  fault: z.enum(['disconnected', 'short_circuit']).optional(),
  /** offline: real seconds until reconnect */
  reconnectAfterS: z.number().min(0).optional(),
  /** forceDoor / miscount */
  drawerId: z.string().optional(),
  pocketId: z.string().optional(),
  delta: z.int().optional(),
  /** excursion: how long it lasts in *real* (wall-clock) seconds, whatever the time scale — the server times it on its own clock */
  durationS: z.number().positive().optional(),
  /** excursion: the temperature read meanwhile */
  temperatureC: z.number().min(-90).max(90).optional(),
  note: z.string().optional(),
});

export const scenarioSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    /** Simulated seconds the scenario lasts (the CLI stops afterwards). */
    durationS: z.number().positive().optional(),
    steps: z.array(stepSchema),
  })
  .superRefine((s, ctx) => {
    s.steps.forEach((step, i) => {
      if (step.forS !== undefined && SCENARIO_ACTIONS[step.action] === null) {
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'forS'], message: `'${step.action}' cannot be held for a duration` });
      }
      if (step.action === 'drift' && step.cPerHour === undefined)
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'cPerHour'], message: 'drift needs cPerHour' });
      if (step.action === 'excursion' && (step.durationS === undefined || step.temperatureC === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['steps', i], message: 'excursion needs durationS (real seconds) and temperatureC' });
      }
      if (step.action === 'miscount' && (step.pocketId === undefined || step.delta === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['steps', i], message: 'miscount needs pocketId and delta' });
      }
    });
  });

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioStep = z.output<typeof stepSchema>;

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  throw new ScenarioError(`${source} is invalid:\n${lines.join('\n')}`);
}

const here = dirname(fileURLToPath(import.meta.url));
/** Directory of the bundled scenarios: the JSON files sit beside the source, not in dist/. */
export const BUNDLED_SCENARIO_DIR = here.includes(`${sep}dist${sep}`) ? join(here, '..', '..', '..', 'simulators', 'scenarios') : here;

/** Load a bundled scenario by name (`fridge-excursion`) or any JSON file by path. */
export function loadScenario(nameOrPath: string, bundledDir = BUNDLED_SCENARIO_DIR): Scenario {
  const path = nameOrPath.endsWith('.json') ? nameOrPath : join(bundledDir, `${nameOrPath}.json`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw new ScenarioError(`cannot read scenario ${path}: ${(err as Error).message}`);
  }
  return parseScenario(json, path);
}

/** Steps in the order they happen, with every `forS` expanded into its reverse step. */
export function scenarioTimeline(scenario: Scenario): ScenarioStep[] {
  const steps: ScenarioStep[] = [];
  for (const step of scenario.steps) {
    const { forS, ...rest } = step;
    steps.push(rest);
    const reverse = SCENARIO_ACTIONS[step.action];
    if (forS !== undefined && reverse !== null) steps.push({ atS: step.atS + forS, device: step.device, action: reverse });
  }
  // Stable sort: steps at the same instant keep their file order.
  return steps
    .map((s, i) => [s, i] as const)
    .sort((a, b) => a[0].atS - b[0].atS || a[1] - b[1])
    .map(([s]) => s);
}

/** Steps with fromS < atS <= toS (the first call should pass fromS = -1 to include t = 0). */
export function dueSteps(timeline: readonly ScenarioStep[], fromS: number, toS: number): ScenarioStep[] {
  return timeline.filter((s) => s.atS > fromS && s.atS <= toS);
}

/** `FRIDGE-*` style matching of device ids. */
export function deviceMatches(pattern: string, deviceId: string): boolean {
  if (!pattern.includes('*')) return pattern === deviceId;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(deviceId);
}
