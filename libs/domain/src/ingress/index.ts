export * from './rejection-budget.js';
export * from './device-clock.js';
