export * from './mqtt-helpers.js';
export * from './test-app.js';
