export * from './columns.js';
export * from './data-source.js';
export * from './entities/index.js';
export * from './migrations/index.js';
export * from './persistence.module.js';
export * from './repositories/devices.repository.js';
export * from './repositories/users.repository.js';
export * from './repositories/alarms.repository.js';
