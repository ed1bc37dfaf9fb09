export * from './alarm-rule.types.js';
export * from './alarm-rule.engine.js';
export * from './escalation.js';
