export { ALL_WARD_ROLES, assertInWardScope, filterInWardScope, inWardScope, seesEveryWard, wardsInScope } from './ward-scope.js';
export type { WardScopedUser } from './ward-scope.js';
