export * from './alarm.machine.js';
export * from './alarm-catalogue.js';
