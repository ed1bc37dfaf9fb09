/** Whether a robot may take work right now, and why not: shared by dispatch and charging. */
import type { SiteGraph } from '../site/site-graph.js';
import type { DispatchMission, DispatchRobot, RobotEnergyModel } from './dispatch.types.js';
import { type CapabilityGap, capabilityGap, NO_NEEDS } from './robot-capability.js';

/**
 * Why a robot cannot take work. `lost` is kept apart from the rest: the robot is free, but
 * routing cannot place it, so for a mission it counts as "cannot reach", not as "busy".
 */
export interface Unavailability {
  code: 'offline' | 'out_of_service' | 'busy' | 'lost';
  detail: string;
}

/**
 * Undefined when the robot can take a new order (battery aside, which depends on the
 * mission). Checks run in the order a person would look at the robot.
 */
export function unavailability(robot: DispatchRobot, graph: SiteGraph): Unavailability | undefined {
  if (!robot.online) return { code: 'offline', detail: 'offline' };
  if (robot.operatingMode !== 'AUTOMATIC') return { code: 'out_of_service', detail: `in ${robot.operatingMode} mode` };
  if (robot.hasFatalError) return { code: 'out_of_service', detail: 'has a fatal error' };
  if (robot.eStopActive) return { code: 'out_of_service', detail: 'emergency stop active' };
  if (robot.busy) return { code: 'busy', detail: 'busy with another mission' };
  if (robot.currentNodeId === null || !graph.hasNode(robot.currentNodeId)) return { code: 'lost', detail: 'position not on the site graph' };
  return undefined;
}

/** Battery percentage a drive of `distanceM` costs, plus the reserve to keep at the end. */
export function energyNeededPct(energy: RobotEnergyModel, distanceM: number): number {
  return distanceM * energy.pctPerMetre + energy.reservePct;
}

/**
 * Why the robot cannot run the mission's stop actions, or undefined when its factsheet
 * declares them all (a mission without actions suits every robot). Availability aside: this
 * is about what the robot is, not what it is doing.
 */
export function capabilityProblem(robot: Pick<DispatchRobot, 'capability'>, mission: Pick<DispatchMission, 'needs'>): CapabilityGap | undefined {
  return capabilityGap(robot.capability, mission.needs ?? NO_NEEDS);
}
