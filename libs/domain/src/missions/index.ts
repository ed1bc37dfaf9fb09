export * from './mission.machine.js';
