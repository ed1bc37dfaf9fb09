export * from './live.types.js';
export * from './live.schemas.js';
export { LiveMirror } from './live-mirror.js';
