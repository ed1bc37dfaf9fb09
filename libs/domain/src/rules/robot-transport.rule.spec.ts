import { describe, expect, it } from '@jest/globals';
import { RuleViolationError } from '../errors.js';
import { assertRobotTransportAllowed, isRobotTransportAllowed, type PolicedMedication, type SiteTransportPolicy } from './robot-transport.rule.js';

const ALLOWING_SITE: SiteTransportPolicy = { controlledRobotTransport: true };

function codeOf(medication: PolicedMedication, site: SiteTransportPolicy = ALLOWING_SITE): string | undefined {
  try {
    assertRobotTransportAllowed(medication, site);
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
  ])('%s, on a site that lets controlled drugs ride', (_case, medication, code) => {
    expect(codeOf(medication)).toBe(code);
    expect(isRobotTransportAllowed(medication, ALLOWING_SITE)).toBe(code === undefined);
  });

  it('keeps every controlled drug off robots by default, whatever the drug says', () => {
    const morphine = { id: 'med-5', name: 'Morphine 10 mg', controlled: true, robotTransportAllowed: true };
    expect(isRobotTransportAllowed(morphine)).toBe(false);
    expect(codeOf(morphine, { controlledRobotTransport: false })).toBe('controlled_substance_barred_from_robot');
    expect(() => assertRobotTransportAllowed(morphine)).toThrow("this site's policy keeps controlled drugs off robots");
    // the site policy does not touch other drugs
    expect(isRobotTransportAllowed({ controlled: false, robotTransportAllowed: true })).toBe(true);
  });

  it('names the drug and the alternative in the message', () => {
    const fentanyl = { id: 'med-9', name: 'Fentanyl 50 mcg/mL', controlled: true, robotTransportAllowed: false };
    expect(() => assertRobotTransportAllowed(fentanyl, ALLOWING_SITE)).toThrow(
      'Fentanyl 50 mcg/mL (med-9) is a controlled substance barred from robot transport; send it by manual courier',
    );
  });
});
