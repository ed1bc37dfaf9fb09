export * from './cold-chain.machine.js';
export * from './cold-chain.evaluator.js';
