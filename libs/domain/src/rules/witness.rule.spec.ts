import { describe, expect, it } from '@jest/globals';
import { RuleViolationError } from '../errors.js';
import { assertWitness, assertWitnessEligible, isWitnessRequired, type WitnessCheckInput, type WitnessEligibilityInput } from './witness.rule.js';

const nurse = { userId: 'nurse-1' };
const colleague = { userId: 'nurse-2', authenticated: true };
const insulin = { highAlert: true, controlled: false };
const paracetamol = { highAlert: false, controlled: false };
const morphine = { highAlert: false, controlled: true };

function codeOf(input: WitnessCheckInput): string | undefined {
  try {
    assertWitness(input);
    return undefined;
  } catch (error) {
    if (error instanceof RuleViolationError) return error.code;
    throw error;
  }
}

describe('witness rule', () => {
  it.each([
    [insulin, 'administration', true],
    [insulin, 'dispense_check', true],
    [insulin, 'waste', true],
    [paracetamol, 'administration', false],
    [paracetamol, 'waste', false],
    [morphine, 'administration', false],
    [morphine, 'waste', true],
  ] as const)('%j %s requires a witness: %s', (medication, action, required) => {
    expect(isWitnessRequired(medication, action)).toBe(required);
  });

  it('accepts a different, authenticated witness for a high-alert administration', () => {
    expect(codeOf({ medication: insulin, action: 'administration', actor: nurse, witness: colleague })).toBeUndefined();
  });

  it('requires a witness for a high-alert drug', () => {
    expect(codeOf({ medication: insulin, action: 'administration', actor: nurse })).toBe('witness_required');
  });

  it('requires a witness for wasting a controlled drug', () => {
    expect(() => assertWitness({ medication: morphine, action: 'waste', actor: nurse })).toThrow(
      'controlled medication: the waste needs a second user as witness',
    );
  });

  it('does not count the actor as their own witness', () => {
    const self = { userId: ' nurse-1', authenticated: true };
    expect(codeOf({ medication: insulin, action: 'administration', actor: nurse, witness: self })).toBe('witness_same_as_actor');
  });

  it('does not count a witness who did not authenticate', () => {
    const typedName = { userId: 'nurse-2', authenticated: false };
    expect(codeOf({ medication: insulin, action: 'dispense_check', actor: nurse, witness: typedName })).toBe('witness_required');
  });

  it('needs no witness for an ordinary drug', () => {
    expect(codeOf({ medication: paracetamol, action: 'administration', actor: nurse })).toBeUndefined();
  });

  it('still refuses a bogus witness recorded for an ordinary drug', () => {
    expect(codeOf({ medication: paracetamol, action: 'administration', actor: nurse, witness: { userId: 'nurse-1', authenticated: true } })).toBe(
      'witness_same_as_actor',
    );
  });
});

describe('who may witness', () => {
  const codeOfEligible = (input: WitnessEligibilityInput): string | undefined => {
    try {
      assertWitnessEligible(input);
      return undefined;
    } catch (error) {
      if (error instanceof RuleViolationError) return error.code;
      throw error;
    }
  };
  const nurseOf = (...wards: string[]) => ({ role: 'nurse', wards });
  const pharmacist = { role: 'pharmacist', wards: [] };

  it('the dispensing check takes a second pharmacist, never a nurse', () => {
    expect(codeOfEligible({ action: 'dispense_check', witness: pharmacist, ward: null })).toBeUndefined();
    expect(codeOfEligible({ action: 'dispense_check', witness: nurseOf('W-A'), ward: 'W-A' })).toBe('witness_role_forbidden');
    expect(codeOfEligible({ action: 'dispense_check', witness: { role: 'ward_pharmacist', wards: [] }, ward: null })).toBe('witness_role_forbidden');
  });

  it('at the bedside a nurse witnesses only on her own ward; a pharmacist on any', () => {
    expect(codeOfEligible({ action: 'administration', witness: nurseOf('W-A'), ward: 'W-A' })).toBeUndefined();
    expect(codeOfEligible({ action: 'administration', witness: nurseOf('W-B'), ward: 'W-A' })).toBe('witness_wrong_ward');
    expect(codeOfEligible({ action: 'waste', witness: nurseOf('W-A'), ward: null })).toBe('witness_wrong_ward');
    expect(codeOfEligible({ action: 'waste', witness: pharmacist, ward: 'W-A' })).toBeUndefined();
  });

  it('a role not listed never witnesses (fail closed)', () => {
    expect(codeOfEligible({ action: 'administration', witness: { role: 'safety_officer', wards: [] }, ward: 'W-A' })).toBe('witness_role_forbidden');
    expect(codeOfEligible({ action: 'administration', witness: { role: 'porter', wards: ['W-A'] }, ward: 'W-A' })).toBe('witness_role_forbidden');
  });
});
