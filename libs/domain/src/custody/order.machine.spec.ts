import { describe, expect, it } from '@jest/globals';
import { RuleViolationError } from '../errors.js';
import { analyseMachine } from '../state-machine/analyse.js';
import { assertTransition, canTransition } from '../state-machine/machine.js';
import { ORDER_FHIR_STATUS, ORDER_HALTED_STATES, orderMachine, type OrderState } from './order.machine.js';
import { MEDICATION_REQUEST_STATUSES } from './standards.js';

const states = Object.keys(orderMachine.states) as OrderState[];

describe('order machine', () => {
  it('is sound', () => {
    expect(analyseMachine(orderMachine).problems).toEqual([]);
  });

  it.each<[OrderState, OrderState]>([
    ['draft', 'active'],
    ['active', 'verified'],
    ['active', 'rejected'],
    ['active', 'on_hold'],
    ['on_hold', 'verified'],
    ['on_hold', 'active'],
    ['verified', 'stopped'],
    ['verified', 'completed'],
    ['completed', 'entered_in_error'],
  ])('allows %s -> %s', (from, to) => {
    expect(() => assertTransition(orderMachine, from, to)).not.toThrow();
  });

  it.each<[OrderState, OrderState, string]>([
    ['draft', 'verified', 'a draft cannot skip submission'],
    ['active', 'completed', 'an unverified order cannot complete'],
    ['rejected', 'verified', 'a rejection is final; the prescriber writes a new order'],
    ['stopped', 'verified', 'a stopped order cannot be resumed'],
    ['entered_in_error', 'active', 'an erroneous record stays erroneous'],
  ])('forbids %s -> %s (%s)', (from, to) => {
    expect(canTransition(orderMachine, from, to)).toBe(false);
    expect(() => assertTransition(orderMachine, from, to)).toThrow(RuleViolationError);
  });

  it('lets a record be marked entered-in-error from every other state', () => {
    const without = states.filter((s) => s !== 'entered_in_error' && !canTransition(orderMachine, s, 'entered_in_error'));
    expect(without).toEqual([]);
  });

  it('maps every state to a FHIR MedicationRequest.status value', () => {
    for (const state of states) expect(MEDICATION_REQUEST_STATUSES).toContain(ORDER_FHIR_STATUS[state]);
    expect(ORDER_FHIR_STATUS.verified).toBe('active');
    expect(ORDER_FHIR_STATUS.on_hold).toBe('on-hold');
    expect(ORDER_FHIR_STATUS.rejected).toBe('cancelled');
  });

  it('halts supply only in states a verified order cannot leave except by correction', () => {
    for (const state of ORDER_HALTED_STATES) {
      expect(canTransition(orderMachine, state, 'verified')).toBe(false);
      expect(canTransition(orderMachine, state, 'active')).toBe(false);
    }
  });
});
