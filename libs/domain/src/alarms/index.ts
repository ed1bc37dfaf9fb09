export * from './alarm.machine.js';
