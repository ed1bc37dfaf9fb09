export * from './rejection-budget.js';
