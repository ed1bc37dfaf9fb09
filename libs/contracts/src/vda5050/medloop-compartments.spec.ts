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
