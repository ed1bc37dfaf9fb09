import { describe, expect, it } from '@jest/globals';
import { analyseMachine, assertTransition } from '../state-machine/index.js';
import { alarmMachine } from './alarm.machine.js';

describe('alarm machine', () => {
  it('is sound: every state reachable, every state can end', () => {
    const a = analyseMachine(alarmMachine);
    expect(a.problems).toEqual([]);
    expect(a.sound).toBe(true);
  });

  it('allows raised → acknowledged → cleared and clearing before acknowledgement', () => {
    expect(() => assertTransition(alarmMachine, 'raised', 'acknowledged')).not.toThrow();
    expect(() => assertTransition(alarmMachine, 'acknowledged', 'cleared')).not.toThrow();
    expect(() => assertTransition(alarmMachine, 'raised', 'cleared')).not.toThrow();
  });

  it('refuses going back, naming the current and allowed states', () => {
    expect(() => assertTransition(alarmMachine, 'cleared', 'raised')).toThrow(/cleared/);
    expect(() => assertTransition(alarmMachine, 'acknowledged', 'raised')).toThrow(/allowed: cleared|cleared/);
  });
});
