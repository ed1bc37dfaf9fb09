import { describe, expect, it } from '@jest/globals';
import { RuleViolationError } from '../errors.js';
import { analyseMachine } from '../state-machine/analyse.js';
import { assertTransition, canTransition } from '../state-machine/machine.js';
import { ADMINISTRATION_FHIR_STATUS, administrationMachine, OPEN_ADMINISTRATION_STATES, type AdministrationState } from './administration.machine.js';
import { MEDICATION_ADMINISTRATION_STATUSES } from './standards.js';

const states = Object.keys(administrationMachine.states) as AdministrationState[];

describe('administration slot machine', () => {
  it('is sound', () => {
    expect(analyseMachine(administrationMachine).problems).toEqual([]);
  });

  it.each<[AdministrationState, AdministrationState]>([
    ['scheduled', 'due'],
    ['due', 'verifying'],
    ['verifying', 'given'],
    ['verifying', 'infusing'],
    ['infusing', 'completed'],
    ['due', 'missed'],
    ['due', 'held'],
    ['held', 'verifying'],
    ['given', 'entered_in_error'],
  ])('allows %s -> %s', (from, to) => {
    expect(() => assertTransition(administrationMachine, from, to)).not.toThrow();
  });

  it.each<[AdministrationState, AdministrationState]>([
    ['scheduled', 'given'],
    ['due', 'given'],
    ['missed', 'given'],
    ['given', 'held'],
    ['voided', 'due'],
    ['entered_in_error', 'given'],
  ])('forbids %s -> %s', (from, to) => {
    expect(canTransition(administrationMachine, from, to)).toBe(false);
    expect(() => assertTransition(administrationMachine, from, to)).toThrow(RuleViolationError);
  });

  it('requires the scan step before any dose is recorded as given', () => {
    const direct = states.filter((s) => s !== 'verifying' && canTransition(administrationMachine, s, 'given'));
    expect(direct).toEqual([]);
  });

  it('lets only open slots be voided by an order stop', () => {
    const voidable = states.filter((s) => canTransition(administrationMachine, s, 'voided'));
    expect(voidable).toEqual([...OPEN_ADMINISTRATION_STATES]);
  });

  it('maps documented outcomes to FHIR MedicationAdministration.status values', () => {
    for (const state of states) {
      const status = ADMINISTRATION_FHIR_STATUS[state];
      if (status !== null) expect(MEDICATION_ADMINISTRATION_STATUSES).toContain(status);
    }
    expect(ADMINISTRATION_FHIR_STATUS.given).toBe('completed');
    expect(ADMINISTRATION_FHIR_STATUS.refused).toBe('not-done');
    expect(ADMINISTRATION_FHIR_STATUS.missed).toBe('not-done');
    expect(ADMINISTRATION_FHIR_STATUS.scheduled).toBeNull();
  });
});
