import { describe, expect, it } from '@jest/globals';
import { RuleViolationError } from '../errors.js';
import { assertWitness, isWitnessRequired, type WitnessCheckInput } from './witness.rule.js';

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
