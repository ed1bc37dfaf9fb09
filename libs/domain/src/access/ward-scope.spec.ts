import { describe, expect, it } from '@jest/globals';
import { ForbiddenError } from '../errors.js';
import { ALL_WARD_ROLES, assertInWardScope, filterInWardScope, inWardScope, seesEveryWard, wardsInScope } from './ward-scope.js';

const nurseA = { role: 'nurse', wards: ['ward-a'] };
const nurseAB = { role: 'nurse', wards: ['ward-a', 'ward-b'] };
const pharmacist = { role: 'pharmacist', wards: [] };

describe('ward-scope rule', () => {
  it.each(['admin', 'pharmacist', 'ward_pharmacist', 'safety_officer'])('%s sees every ward, and pharmacy-level things (no ward)', (role) => {
    const u = { role, wards: [] };
    expect(seesEveryWard(u)).toBe(true);
    expect(inWardScope(u, 'ward-a')).toBe(true);
    expect(inWardScope(u, 'ward-z')).toBe(true);
    expect(inWardScope(u, null)).toBe(true);
    expect(wardsInScope(u)).toBeNull();
  });

  it('a nurse sees the wards she is assigned to and no other', () => {
    expect(inWardScope(nurseA, 'ward-a')).toBe(true);
    expect(inWardScope(nurseA, 'ward-b')).toBe(false);
    expect(inWardScope(nurseAB, 'ward-b')).toBe(true);
    expect(wardsInScope(nurseAB)).toEqual(['ward-a', 'ward-b']);
  });

  it('a resource with no ward (pharmacy-level), or an unknown one, is outside every ward-bound scope', () => {
    expect(inWardScope(nurseA, null)).toBe(false);
    expect(inWardScope(nurseA, undefined)).toBe(false);
    expect(inWardScope(nurseA, '')).toBe(false);
  });

  it('a role nobody listed is ward-bound (fails closed), even when it claims wards it was not given', () => {
    expect(ALL_WARD_ROLES).not.toContain('porter');
    expect(inWardScope({ role: 'porter', wards: [] }, 'ward-a')).toBe(false);
    expect(inWardScope({ role: 'porter', wards: ['ward-a'] }, 'ward-a')).toBe(true);
    expect(wardsInScope({ role: 'porter', wards: [] })).toEqual([]);
  });

  it('assertInWardScope refuses with ward_forbidden and a message naming no ward, patient or dose', () => {
    expect(() => assertInWardScope(nurseA, 'ward-a')).not.toThrow();
    expect(() => assertInWardScope(pharmacist, null)).not.toThrow();
    let err: unknown;
    try {
      assertInWardScope(nurseA, 'ward-b');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ForbiddenError);
    expect((err as ForbiddenError).code).toBe('ward_forbidden');
    expect((err as ForbiddenError).message).not.toMatch(/ward-b/);
    expect((err as ForbiddenError).details).toBeUndefined();
  });

  it('filterInWardScope keeps what is in scope, in order, and hides pharmacy-level items from nurses', () => {
    const items = [
      { id: 1, ward: 'ward-a' },
      { id: 2, ward: 'ward-b' },
      { id: 3, ward: null },
      { id: 4, ward: 'ward-a' },
    ];
    expect(filterInWardScope(nurseA, items, (i) => i.ward).map((i) => i.id)).toEqual([1, 4]);
    expect(filterInWardScope(pharmacist, items, (i) => i.ward).map((i) => i.id)).toEqual([1, 2, 3, 4]);
    expect(filterInWardScope({ role: 'nurse', wards: [] }, items, (i) => i.ward)).toEqual([]);
  });
});
