// Library entry of the cabinet simulator: start cabinets in-process (tests, demos, benchmarks).
export { CabinetSimulator, CabinetFaults, type CabinetSimulatorOptions } from './cabinet-simulator.js';
export { CabinetFleet, formatCabinetSummary, type CabinetFleetSummary } from './cabinet-fleet.js';
export { CabinetModel, defaultLayout, DEFAULT_BEHAVIOUR, type CabinetBehaviour, type DrawerSpec, type AckDecision } from './cabinet-model.js';
export { parseCabinetFleetConfig, type CabinetConfig, type CabinetFleetConfig, type CabinetFleetSettings } from './config.js';
