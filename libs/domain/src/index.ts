export * from './errors.js';
export * from './acl/index.js';
export * from './state-machine/index.js';
export * from './custody/index.js';
export * from './gs1/index.js';
export * from './rules/index.js';
export * from './site/index.js';
export * from './dispatch/index.js';
