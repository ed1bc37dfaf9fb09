import { describe, expect, it } from '@jest/globals';
import { readCompartments, unlockCompartmentAction } from '#contracts';
import { CompartmentBank, FRIDGE_SETPOINT_C } from './compartments.js';
import { applyInstantActions } from './instant-actions.js';
import { RobotModel } from './robot-model.js';

const bank = () => new CompartmentBank([{ id: 'C1' }, { id: 'C3', refrigerated: true }]);

describe('CompartmentBank', () => {
  it('reports a refrigerated compartment near its set point, and a warm excursion until it is cleared', () => {
    const b = bank();
    const read = () => readCompartments({ information: b.information() });
    for (let i = 0; i < 20; i++) {
      const t = read().find((c) => c.compartmentId === 'C3')!.temperatureC!;
      expect(Math.abs(t - FRIDGE_SETPOINT_C)).toBeLessThanOrEqual(0.25);
    }
    // an unrefrigerated compartment reports none
    expect('temperatureC' in read().find((c) => c.compartmentId === 'C1')!).toBe(false);
    b.setTemperature('C3', 12.4);
    expect(read().find((c) => c.compartmentId === 'C3')!.temperatureC).toBe(12.4);
    b.setTemperature('C3', null);
    expect(read().find((c) => c.compartmentId === 'C3')!.temperatureC).toBeLessThan(5);
    expect(() => b.setTemperature('C1', 9)).toThrow(/not refrigerated/);
  });

  it('a jammed lock fails the unlock action with a compartment error naming the action', () => {
    const m = new RobotModel({ version: '2.1.0', initialNode: { nodeId: 'A', x: 0, y: 0, mapId: 'F1' }, speed: 1, compartments: [{ id: 'C1' }] });
    m.compartments.jam('C1', true);
    applyInstantActions(m, [unlockCompartmentAction({ actionId: 'u1', compartmentId: 'C1' })]);
    for (let i = 0; i < 8; i++) m.tick(0.25);
    const s = m.snapshot();
    expect(s.actionStates.find((a) => a.actionId === 'u1')?.actionStatus).toBe('FAILED');
    expect(s.errors).toContainEqual(
      expect.objectContaining({
        errorType: 'medloop.compartmentError',
        errorReferences: expect.arrayContaining([{ referenceKey: 'actionId', referenceValue: 'u1' }]),
      }),
    );
    expect(readCompartments(s)[0]!.lock).toBe('LOCKED');
    m.compartments.jam('C1', false);
    applyInstantActions(m, [unlockCompartmentAction({ actionId: 'u2', compartmentId: 'C1' })]);
    for (let i = 0; i < 8; i++) m.tick(0.25);
    expect(readCompartments(m.snapshot())[0]!.lock).toBe('UNLOCKED');
  });
});
