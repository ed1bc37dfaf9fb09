import { describe, expect, it } from '@jest/globals';
import { RuleViolationError } from '../errors.js';
import { assertRobotTransportAllowed, isRobotTransportAllowed, type PolicedMedication } from './robot-transport.rule.js';

function codeOf(medication: PolicedMedication): string | undefined {
  try {
    assertRobotTransportAllowed(medication);
    return undefined;
  } catch (error) {
    if (error instanceof RuleViolationError) return error.code;
    throw error;
  }
}

describe('robot transport policy', () => {
  it.each<[string, PolicedMedication, string | undefined]>([
    ['an ordinary drug', { id: 'med-1', controlled: false, robotTransportAllowed: true }, undefined],
    ['a controlled drug the hospital lets ride', { id: 'med-2', controlled: true, robotTransportAllowed: true }, undefined],
    ['a barred controlled drug', { id: 'med-3', controlled: true, robotTransportAllowed: false }, 'controlled_substance_barred_from_robot'],
    ['a barred non-controlled drug', { id: 'med-4', controlled: false, robotTransportAllowed: false }, 'robot_transport_not_allowed'],
  ])('%s', (_case, medication, code) => {
    expect(codeOf(medication)).toBe(code);
    expect(isRobotTransportAllowed(medication)).toBe(code === undefined);
  });

  it('names the drug and the alternative in the message', () => {
    const fentanyl = { id: 'med-9', name: 'Fentanyl 50 mcg/mL', controlled: true, robotTransportAllowed: false };
    expect(() => assertRobotTransportAllowed(fentanyl)).toThrow(
      'Fentanyl 50 mcg/mL (med-9) is a controlled substance barred from robot transport; send it by manual courier',
    );
  });
});
