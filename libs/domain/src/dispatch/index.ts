export { robotsNeedingCharge } from './charging.planner.js';
export type { ChargeAssignment, ChargePlan, ChargeShortfall } from './charging.planner.js';
export { DispatchCosts } from './dispatch.costs.js';
export type { MissionLegs } from './dispatch.costs.js';
export { compareMissions, planDispatch } from './dispatch.planner.js';
export { DEFAULT_PCT_PER_M, DEFAULT_ROBOT_SPEED, joinRoutes, speedOf, toDispatchMission, toDispatchRobot } from './dispatch.mapping.js';
export type { MissionReading, RobotReading } from './dispatch.mapping.js';
export type {
  DispatchAssignment,
  DispatchMission,
  DispatchPlan,
  DispatchRobot,
  MissionPriority,
  RobotEnergyModel,
  RobotOperatingMode,
  UnassignedMission,
  UnassignedReason,
} from './dispatch.types.js';
export { capabilityProblem, energyNeededPct, unavailability } from './robot-eligibility.js';
export { ACTIONS_EVERY_ROBOT_RUNS, capabilityGap, capabilityOf, declaresActionIn, missionNeeds, NO_NEEDS } from './robot-capability.js';
export type { ActionScope, CapabilityGap, MissionNeeds, RobotCapability } from './robot-capability.js';
export type { Unavailability } from './robot-eligibility.js';
