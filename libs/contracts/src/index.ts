export * from './mqtt/index.js';
export * from './vda5050/index.js';
export * from './site/index.js';
export * from './devices/index.js';
export * from './live/index.js';
export * from './http/idempotency.js';
