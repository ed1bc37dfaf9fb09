export * from './alarm.views.js';
