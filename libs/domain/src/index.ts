export * from './errors.js';
export * from './acl/index.js';
