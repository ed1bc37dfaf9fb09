import { Identity1764160000000 } from './1764160000000-identity.js';
import { Alarms1764170000000 } from './1764170000000-alarms.js';

/** Every migration, in order. New ones are appended here. */
export const MIGRATIONS = [Identity1764160000000, Alarms1764170000000];
