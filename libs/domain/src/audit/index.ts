export * from './hash-chain.js';
export * from './refusals.js';
export * from './merkle.js';
export * from './checkpoint.js';
