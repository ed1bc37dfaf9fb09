export * from './acl.js';
export * from './topic-filter.js';
export type * from './principal.js';
