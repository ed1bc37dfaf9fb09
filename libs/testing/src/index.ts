export * from './mqtt-helpers.js';
export * from './raw-mqtt.js';
export * from './ports.js';
export * from './vda-state.js';
export * from './test-service.js';
export * from './factories.js';
