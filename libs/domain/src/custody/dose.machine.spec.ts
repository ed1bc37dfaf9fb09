import { describe, expect, it } from '@jest/globals';
import { RuleViolationError } from '../errors.js';
import { analyseMachine } from '../state-machine/analyse.js';
import { assertTransition, canTransition, checkTransition } from '../state-machine/machine.js';
import { DOSE_EPCIS_STEP, DOSE_FHIR_DISPENSE_STATUS, doseMachine, type DoseState } from './dose.machine.js';
import { EPCIS_BIZ_STEPS, EPCIS_DISPOSITIONS, MEDICATION_DISPENSE_STATUSES } from './standards.js';

const states = Object.keys(doseMachine.states) as DoseState[];
const physical: DoseState[] = ['picked', 'checked', 'loaded', 'in_transit', 'arrived', 'received', 'held', 'refused'];

describe('dose machine', () => {
  it('is sound', () => {
    expect(analyseMachine(doseMachine).problems).toEqual([]);
  });

  it('walks the happy path from queue to bedside', () => {
    const path: DoseState[] = ['queued', 'picked', 'checked', 'loaded', 'in_transit', 'arrived', 'received', 'administered'];
    for (let i = 1; i < path.length; i++) {
      expect(() => assertTransition(doseMachine, path[i - 1], path[i])).not.toThrow();
    }
  });

  it.each<[DoseState, DoseState]>([
    ['in_transit', 'escalated_manual'],
    ['escalated_manual', 'received'],
    ['quarantined', 'wasted'],
    ['quarantined', 'returned'],
    ['receipt_discrepancy', 'received'],
    ['receipt_discrepancy', 'lost'],
    ['arrived', 'recalled_returning'],
    ['recalled_returning', 'returned'],
    // the robot refused its order: unloaded at the dock, never in transit
    ['loaded', 'returned'],
    // an order stopped after dispatch, before the robot departed
    ['loaded', 'recalled_returning'],
    ['held', 'administered'],
    ['refused', 'wasted'],
    ['lost', 'quarantined'],
  ])('allows the exception path %s -> %s', (from, to) => {
    expect(() => assertTransition(doseMachine, from, to)).not.toThrow();
  });

  it.each<[DoseState, DoseState]>([
    ['queued', 'loaded'],
    ['picked', 'loaded'],
    ['checked', 'in_transit'],
    ['in_transit', 'received'],
    ['arrived', 'administered'],
    ['picked', 'cancelled'],
    ['lost', 'received'],
    ['administered', 'returned'],
    ['wasted', 'returned'],
  ])('forbids %s -> %s', (from, to) => {
    expect(canTransition(doseMachine, from, to)).toBe(false);
    expect(() => assertTransition(doseMachine, from, to)).toThrow(RuleViolationError);
  });

  it('can quarantine a dose wherever it physically is', () => {
    expect(physical.filter((s) => !canTransition(doseMachine, s, 'quarantined'))).toEqual([]);
  });

  it('names the legal options when a dose skips its receipt scan', () => {
    const result = checkTransition(doseMachine, 'arrived', 'administered');
    expect(result).toMatchObject({
      ok: false,
      code: 'illegal_transition',
      details: { from: 'arrived', to: 'administered', allowed: expect.arrayContaining(['received']) },
    });
  });

  describe('resuming from hold', () => {
    it('resumes to the state the dose was held from', () => {
      expect(() => assertTransition(doseMachine, 'on_hold', 'picked', { heldFrom: 'picked' })).not.toThrow();
    });

    it('refuses to skip the pharmacist check by resuming further along', () => {
      expect(checkTransition(doseMachine, 'on_hold', 'checked', { heldFrom: 'picked' })).toMatchObject({
        ok: false,
        code: 'transition_guard_failed',
        details: { reason: "a dose held from 'picked' must resume to 'picked'" },
      });
    });

    it('refuses to resume when the origin of the hold is unknown', () => {
      expect(() => assertTransition(doseMachine, 'on_hold', 'queued')).toThrow('the state the dose was held from is required');
    });

    it('cancels only a dose that was never picked, and returns only one that was', () => {
      expect(canTransition(doseMachine, 'on_hold', 'cancelled')).toBe(true);
      expect(() => assertTransition(doseMachine, 'on_hold', 'cancelled', { heldFrom: 'queued' })).not.toThrow();
      expect(() => assertTransition(doseMachine, 'on_hold', 'cancelled', { heldFrom: 'checked' })).toThrow('return a picked dose');
      expect(() => assertTransition(doseMachine, 'on_hold', 'returned', { heldFrom: 'checked' })).not.toThrow();
      expect(() => assertTransition(doseMachine, 'on_hold', 'returned', { heldFrom: 'queued' })).toThrow('cancel a dose held before picking');
    });
  });

  describe('mappings', () => {
    it('gives every state a FHIR MedicationDispense.status value', () => {
      for (const state of states) expect(MEDICATION_DISPENSE_STATUSES).toContain(DOSE_FHIR_DISPENSE_STATUS[state]);
      expect(DOSE_FHIR_DISPENSE_STATUS.checked).toBe('preparation');
      expect(DOSE_FHIR_DISPENSE_STATUS.in_transit).toBe('in-progress');
      expect(DOSE_FHIR_DISPENSE_STATUS.received).toBe('completed');
      expect(DOSE_FHIR_DISPENSE_STATUS.quarantined).toBe('on-hold');
    });

    it('gives every physical state an EPCIS step drawn from the vocabulary', () => {
      const withoutEvent = states.filter((s) => DOSE_EPCIS_STEP[s] === null);
      expect(withoutEvent.sort()).toEqual(['cancelled', 'entered_in_error', 'queued']);
      for (const state of states) {
        const step = DOSE_EPCIS_STEP[state];
        if (step === null) continue;
        expect(EPCIS_BIZ_STEPS).toContain(step.bizStep);
        expect(EPCIS_DISPOSITIONS).toContain(step.disposition);
      }
      expect(DOSE_EPCIS_STEP.loaded).toEqual({ bizStep: 'loading', disposition: 'container_closed' });
      expect(DOSE_EPCIS_STEP.wasted).toEqual({ bizStep: 'destroying', disposition: 'destroyed' });
    });
  });
});
