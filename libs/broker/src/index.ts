export * from './embedded-broker.js';
export * from './frame-limit.js';
export * from './listeners.js';
