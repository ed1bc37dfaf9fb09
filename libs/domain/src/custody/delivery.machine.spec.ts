import { describe, expect, it } from '@jest/globals';
import { RuleViolationError } from '../errors.js';
import { analyseMachine } from '../state-machine/analyse.js';
import { assertTransition, canTransition, isTerminal } from '../state-machine/machine.js';
import { DELIVERY_FHIR_TASK_STATUS, deliveryMachine, type DeliveryState } from './delivery.machine.js';
import { TASK_STATUSES } from './standards.js';

const states = Object.keys(deliveryMachine.states) as DeliveryState[];

describe('delivery machine', () => {
  it('is sound', () => {
    expect(analyseMachine(deliveryMachine).problems).toEqual([]);
  });

  it('walks the happy path to completion', () => {
    const path: DeliveryState[] = ['building', 'loaded', 'dispatched', 'in_transit', 'arrived', 'unlocked', 'completed'];
    for (let i = 1; i < path.length; i++) {
      expect(() => assertTransition(deliveryMachine, path[i - 1], path[i])).not.toThrow();
    }
  });

  it.each<[DeliveryState, DeliveryState]>([
    ['in_transit', 'recalled'],
    ['recalled', 'returning'],
    ['returning', 'returned'],
    ['in_transit', 'failed'],
    ['failed', 'escalated_manual'],
    ['escalated_manual', 'completed'],
    ['loaded', 'building'],
    // the robot refused its order before departing: the doses go back into the pharmacy
    ['dispatched', 'returned'],
    // doses that may not ride a robot go by courier straight from the pharmacy
    ['building', 'escalated_manual'],
  ])('allows %s -> %s', (from, to) => {
    expect(() => assertTransition(deliveryMachine, from, to)).not.toThrow();
  });

  it.each<[DeliveryState, DeliveryState]>([
    ['building', 'dispatched'],
    ['in_transit', 'unlocked'],
    ['in_transit', 'cancelled'],
    ['arrived', 'completed'],
    ['completed', 'recalled'],
    ['returned', 'dispatched'],
  ])('forbids %s -> %s', (from, to) => {
    expect(canTransition(deliveryMachine, from, to)).toBe(false);
    expect(() => assertTransition(deliveryMachine, from, to)).toThrow(RuleViolationError);
  });

  it('never lets a mission with doses aboard simply stop at failed', () => {
    expect(isTerminal(deliveryMachine, 'failed')).toBe(false);
    expect(canTransition(deliveryMachine, 'failed', 'escalated_manual')).toBe(true);
  });

  it('maps every state to a FHIR Task.status value', () => {
    for (const state of states) expect(TASK_STATUSES).toContain(DELIVERY_FHIR_TASK_STATUS[state]);
    expect(DELIVERY_FHIR_TASK_STATUS.building).toBe('draft');
    expect(DELIVERY_FHIR_TASK_STATUS.in_transit).toBe('in-progress');
    expect(DELIVERY_FHIR_TASK_STATUS.returned).toBe('cancelled');
    expect(DELIVERY_FHIR_TASK_STATUS.failed).toBe('failed');
  });
});
