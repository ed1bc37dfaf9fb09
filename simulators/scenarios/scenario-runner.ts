/**
 * Applies a scenario's timeline to running simulators as their shared simulated clock
 * advances. Steps naming a device that is not in this process are reported, not fatal, so
 * one scenario can drive a sensor process and a cabinet process side by side.
 */
import type { CabinetSimulator } from '../cabinet/cabinet-simulator.js';
import type { SensorSimulator } from '../sensor/sensor-simulator.js';
import { deviceMatches, dueSteps, type ScenarioStep } from './scenario.js';

export interface ScenarioTargets {
  sensors?: readonly SensorSimulator[];
  cabinets?: readonly CabinetSimulator[];
}

/** Apply one step to every matching device; returns how many devices it touched. */
export function applyStep(step: ScenarioStep, targets: ScenarioTargets): number {
  let hits = 0;
  for (const s of targets.sensors ?? []) {
    if (!deviceMatches(step.device, s.deviceId)) continue;
    const f = s.faults;
    const handled = ((): boolean => {
      switch (step.action) {
        case 'doorOpen':
        case 'doorClose':
          f.doorOpen(step.action === 'doorOpen');
          return true;
        case 'drift':
          f.drift(step.cPerHour ?? 0);
          return true;
        case 'stuck':
        case 'unstuck':
          f.stuck(step.action === 'stuck');
          return true;
        case 'probeFault':
          f.probeFault(step.fault ?? 'disconnected');
          return true;
        case 'probeRestored':
          f.probeFault(null);
          return true;
        case 'compressorFailure':
        case 'compressorRestored':
          f.compressorFailure(step.action === 'compressorFailure');
          return true;
        case 'offline':
          void f.offline(step.reconnectAfterS);
          return true;
        case 'excursion':
          void f.excursion(step.durationS!, step.temperatureC!);
          return true;
        default:
          return false;
      }
    })();
    if (handled) hits++;
  }
  for (const c of targets.cabinets ?? []) {
    if (!deviceMatches(step.device, c.deviceId)) continue;
    const f = c.faults;
    const handled = ((): boolean => {
      switch (step.action) {
        case 'forceDoor':
          f.forceDoor(step.drawerId);
          return true;
        case 'powerLoss':
        case 'powerRestored':
          f.powerLoss(step.action === 'powerLoss');
          return true;
        case 'miscount':
          f.miscount(step.pocketId!, step.delta!);
          return true;
        case 'excursion':
          void f.excursion(step.durationS!, step.temperatureC!, step.drawerId);
          return true;
        case 'offline':
          void f.offline(step.reconnectAfterS);
          return true;
        default:
          return false;
      }
    })();
    if (handled) hits++;
  }
  return hits;
}

export class ScenarioRunner {
  private lastS = -1;
  readonly applied: Array<{ step: ScenarioStep; atS: number; devices: number }> = [];

  constructor(
    private readonly timeline: readonly ScenarioStep[],
    private readonly targets: ScenarioTargets,
    private readonly log?: (line: string) => void,
  ) {}

  /** Apply every step due up to `elapsedS` (simulated seconds since the start). */
  advanceTo(elapsedS: number): void {
    for (const step of dueSteps(this.timeline, this.lastS, elapsedS)) {
      const devices = applyStep(step, this.targets);
      this.applied.push({ step, atS: elapsedS, devices });
      this.log?.(`scenario t=${Math.round(step.atS)}s ${step.action} on ${step.device}: ${devices === 0 ? 'no matching device here' : `${devices} device(s)`}`);
    }
    this.lastS = elapsedS;
  }

  get done(): boolean {
    return this.timeline.every((s) => s.atS <= this.lastS);
  }
}
