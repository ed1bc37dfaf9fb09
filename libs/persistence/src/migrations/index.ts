import { Identity1764160000000 } from './1764160000000-identity.js';

/** Every migration, in order. New ones are appended here. */
export const MIGRATIONS = [Identity1764160000000];
