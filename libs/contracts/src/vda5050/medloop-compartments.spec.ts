import { describe, expect, it } from '@jest/globals';
import {
  compartmentInformation,
  compartmentLoad,
  MEDLOOP_ACTION_TYPES,
  readCompartments,
  stringParameter,
  triggerAction,
  unlockCompartmentAction,
  type CompartmentStatus,
} from './medloop-compartments.js';
import { sampleInstantActions, sampleState } from './vda5050.samples.js';
import { orderAcknowledged } from './vda5050.state.js';
import { validateVda } from './vda5050.validator.js';

describe('MedLoop compartment extension', () => {
  const c1: CompartmentStatus = { compartmentId: 'C1', door: 'CLOSED', lock: 'LOCKED', refrigerated: true, loadId: 'dose-1' };
  const c2: CompartmentStatus = { compartmentId: 'C2', door: 'OPEN', lock: 'UNLOCKED' };

  it('round-trips compartments through state.loads and state.information', () => {
    const state = { loads: [c1, c2].map(compartmentLoad).filter((l) => l !== undefined), information: [c1, c2].map(compartmentInformation) };
    expect(state.loads).toEqual([{ loadId: 'dose-1', loadType: 'medloop.dose.refrigerated', loadPosition: 'C1' }]);
    expect(readCompartments(state)).toEqual([{ ...c1, loadType: 'medloop.dose.refrigerated' }, c2]);
  });

  it('reads an unknown lock value as UNLOCKED (fail safe for custody)', () => {
    const info = compartmentInformation(c1);
    info.infoReferences = info.infoReferences!.map((r) => (r.referenceKey === 'lock' ? { ...r, referenceValue: 'JAMMED' } : r));
    expect(readCompartments({ information: [info] })[0]!.lock).toBe('UNLOCKED');
  });

  it('reports a refrigerated compartment temperature as a decimal string and reads it back', () => {
    const cold: CompartmentStatus = { compartmentId: 'C3', door: 'CLOSED', lock: 'LOCKED', refrigerated: true, temperatureC: 4.56 };
    const info = compartmentInformation(cold);
    expect(info.infoReferences).toContainEqual({ referenceKey: 'temperatureC', referenceValue: '4.6' });
    expect(readCompartments({ information: [info] })[0]!.temperatureC).toBe(4.6);
    for (const version of ['2.0.0', '2.1.0'] as const) expect(validateVda('state', { ...sampleState(version), information: [info] }).ok).toBe(true);
  });

  it('ignores a temperature that is not a finite decimal number', () => {
    for (const bad of ['', 'NaN', 'Infinity', '4.6C', 'warm', '1e3', '4,6']) {
      const info = compartmentInformation({ compartmentId: 'C3', door: 'CLOSED', lock: 'LOCKED', refrigerated: true });
      info.infoReferences!.push({ referenceKey: 'temperatureC', referenceValue: bad });
      const [c] = readCompartments({ information: [info] });
      expect({ bad, has: 'temperatureC' in c! }).toEqual({ bad, has: false });
    }
    const negative = compartmentInformation({ compartmentId: 'F1', door: 'CLOSED', lock: 'LOCKED' });
    negative.infoReferences!.push({ referenceKey: 'temperatureC', referenceValue: '-18.5' });
    expect(readCompartments({ information: [negative] })[0]!.temperatureC).toBe(-18.5);
  });

  it('builds custom actions that validate against both official schemas', () => {
    const unlock = unlockCompartmentAction({ actionId: 'u1', compartmentId: 'C1', recipientId: 'nurse-7', unlockToken: 't' });
    expect(unlock.actionType).toBe(MEDLOOP_ACTION_TYPES.unlockCompartment);
    expect(stringParameter(unlock, 'compartmentId')).toBe('C1');
    for (const version of ['2.0.0', '2.1.0'] as const) {
      const msg = { ...sampleInstantActions(version), actions: [unlock, triggerAction({ actionId: 't1', targetActionId: 'w1' })] };
      expect(validateVda('instantActions', msg).ok).toBe(true);
      const state = { ...sampleState(version), information: [compartmentInformation(c1)], loads: [compartmentLoad(c1)!] };
      expect(validateVda('state', state).ok).toBe(true);
    }
  });

  it('omits absent optional parameters', () => {
    expect(triggerAction({ actionId: 't1' })).toEqual({ actionType: 'medloop.trigger', actionId: 't1', blockingType: 'NONE', actionParameters: [] });
  });
});

describe('orderAcknowledged', () => {
  it('is true only when both ids are echoed', () => {
    expect(orderAcknowledged({ orderId: 'o1', orderUpdateId: 2 }, 'o1', 2)).toBe(true);
    expect(orderAcknowledged({ orderId: 'o1', orderUpdateId: 1 }, 'o1', 2)).toBe(false);
    expect(orderAcknowledged({ orderId: 'o0', orderUpdateId: 2 }, 'o1', 2)).toBe(false);
  });
});
