// Library entry of the robot simulator: start robots in-process (tests, demos, benchmarks).
export { RobotSimulator, type RobotSimulatorOptions, type RobotStats } from './robot-simulator.js';
export { Fleet, formatSummary, type FleetOptions, type FleetSummary } from './fleet.js';
export { RobotFaults, SIMULATED_FAULT_ERROR } from './faults.js';
export { RobotModel, type RobotModelOptions, type StateBody } from './robot-model.js';
export { parseFleetConfig, ConfigError, type FleetConfig, type FleetConfigInput, type RobotConfig, type SimulationSettings } from './config.js';
export { presentBadge, triggerWaits } from './action-progress.js';
