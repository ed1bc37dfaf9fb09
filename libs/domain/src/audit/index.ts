export * from './hash-chain.js';
export * from './refusals.js';
