export * from './discrepancy.machine.js';
export * from './inventory.types.js';
export * from './pocket.ledger.js';
