/** Inputs and outputs of fleet dispatch: queued missions, robot snapshots, the plan. */
import type { Route } from '../site/route.types.js';
import type { MissionNeeds, RobotCapability } from './robot-capability.js';

/** FHIR Task priorities the pharmacy uses; `stat` beats `urgent` beats `routine`. */
export type MissionPriority = 'stat' | 'urgent' | 'routine';

export interface DispatchMission {
  id: string;
  priority: MissionPriority;
  /** When the mission was queued: older missions of the same priority go first. */
  createdAt: Date;
  /** Where the robot must go first (usually the pharmacy dock, to be loaded). */
  firstStop: string;
  /** The stops after the first one, in order (ward stations). */
  stops: readonly string[];
  /** Set when only one robot may run it (e.g. the one already holding the load). */
  requiredRobotId?: string;
  /** The action types and compartments its stops send (robot-capability.ts); none when absent. */
  needs?: MissionNeeds;
}

/** VDA 5050 `operatingMode`; only AUTOMATIC robots take orders from the fleet controller. */
export type RobotOperatingMode = 'AUTOMATIC' | 'SEMIAUTOMATIC' | 'MANUAL' | 'SERVICE' | 'TEACHIN';

export interface RobotEnergyModel {
  /** Battery percentage points used per metre driven. */
  pctPerMetre: number;
  /** Percentage that must remain on arrival at the charger after the mission. */
  reservePct: number;
}

/** What dispatch needs to know about one robot, distilled from its latest VDA 5050 state. */
export interface DispatchRobot {
  id: string;
  /** `connection` is ONLINE. */
  online: boolean;
  operatingMode: RobotOperatingMode;
  /** Any error with errorLevel FATAL. */
  hasFatalError: boolean;
  /** safetyState.eStop is anything but NONE. */
  eStopActive: boolean;
  batteryPct: number;
  /** The graph node the robot is at (from lastNodeId or SiteGraph.nearestNode), null if lost. */
  currentNodeId: string | null;
  /** Running a mission already. */
  busy: boolean;
  /** Sitting on a charger and charging (batteryState.charging). */
  charging?: boolean;
  /** Cruising speed in m/s. */
  speed: number;
  energy: RobotEnergyModel;
  /** What its factsheet declares; absent or null when it published none (plain transport only). */
  capability?: RobotCapability | null;
}

export interface DispatchAssignment {
  missionId: string;
  robotId: string;
  /** Expected time to reach the first stop, in s. */
  etaFirstStopS: number;
  /** The robot's route to the first stop (for the VDA 5050 order). */
  approach: Route;
  /** Driven metres: robot → first stop → stops → nearest charger. */
  plannedDistanceM: number;
  /** Battery the robot is expected to have left at that charger. */
  batteryAtChargerPct: number;
}

export type UnassignedReason =
  | 'no_robot_online'
  | 'all_busy'
  | 'insufficient_battery'
  | 'required_robot_unavailable'
  | 'unreachable'
  /** no robot's factsheet declares the actions / compartments the mission's stops need */
  | 'no_capable_robot';

export interface UnassignedMission {
  missionId: string;
  reason: UnassignedReason;
  /** For people (pharmacist dashboard): what exactly stands in the way. */
  detail: string;
}

export interface DispatchPlan {
  assignments: DispatchAssignment[];
  unassigned: UnassignedMission[];
}
