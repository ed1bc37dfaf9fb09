// Library entry of the sensor simulator: start sensors in-process (tests, demos, benchmarks).
export { SensorSimulator, SensorFaults, type SensorSimulatorOptions } from './sensor-simulator.js';
export { SensorFleet, formatSensorSummary, type SensorFleetSummary } from './sensor-fleet.js';
export { SensorModel, SENSOR_PROFILES, type SensorProfile, type SensorModelOptions, type SensorEventBody } from './sensor-model.js';
export { DeviceLink, SIMULATOR_FIRMWARE, type DeviceLinkOptions, type LinkStats } from './device-link.js';
export { stepFridge, roomClimate, DEFAULT_FRIDGE, type FridgeParams, type FridgeState } from './thermal.js';
export { seededRandom, gaussian, seedFor } from './noise.js';
export { parseSensorFleetConfig, ConfigError, type SensorConfig, type SensorFleetConfig, type SensorFleetSettings } from './config.js';
