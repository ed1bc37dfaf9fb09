export * from './custody.views.js';
