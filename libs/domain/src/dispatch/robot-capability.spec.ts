import { describe, expect, it } from '@jest/globals';
import { ACTIONS_EVERY_ROBOT_RUNS, capabilityGap, capabilityOf, missionNeeds } from './robot-capability.js';

const factsheet = (actions: string[], loadPositions?: string[]) => ({
  version: '2.0.0',
  protocolFeatures: { optionalParameters: [], agvActions: actions.map((actionType) => ({ actionType, actionScopes: ['NODE'] })) },
  loadSpecification: loadPositions ? { loadPositions } : {},
});

describe('robot capability', () => {
  it('reads the declared action types and the compartments (loadPositions) of a 2.0 or 2.1 factsheet', () => {
    const c = capabilityOf(factsheet(['pick', 'medloop.unlockCompartment'], ['C1', 'C2']))!;
    expect([...c.actions]).toEqual(['pick', 'medloop.unlockCompartment']);
    expect([...c.compartments]).toEqual(['C1', 'C2']);
    expect(capabilityOf(null)).toBeNull();
    expect(capabilityOf(undefined)).toBeNull();
  });

  it('reads a factsheet with missing or malformed parts as declaring nothing there (the 2.0 schema checks only top-level keys)', () => {
    const c = capabilityOf({
      protocolFeatures: { agvActions: [{ actionType: 7 }, null, { actionType: 'drop' }] },
      loadSpecification: { loadPositions: 'C1' },
    })!;
    expect([...c.actions]).toEqual(['drop']);
    expect(c.compartments.size).toBe(0);
    expect(capabilityOf({})).toEqual({ actions: new Set(), compartments: new Set() });
  });

  it('collects the action types and the compartments a mission stops send, each once', () => {
    const needs = missionNeeds([
      {
        actions: [
          { kind: 'unlockCompartment', compartmentId: 'C1' },
          { kind: 'pick', parameters: { compartmentId: 'C2', loadId: 'd' } },
        ],
      },
      { actions: [] },
      {
        actions: [
          { kind: 'custom', actionType: 'beep' },
          { kind: 'lockCompartment', compartmentId: 'C1' },
          { kind: 'pick', compartmentId: 'C1' },
        ],
      },
      {},
    ]);
    expect(needs).toEqual({ actions: ['medloop.unlockCompartment', 'pick', 'beep', 'medloop.lockCompartment'], compartments: ['C1', 'C2'] });
    expect(missionNeeds([{ actions: [] }, { actions: null }])).toEqual({ actions: [], compartments: [] });
  });

  it('lets a robot without a factsheet take plain transport only: the standard requires no action of every robot', () => {
    expect(ACTIONS_EVERY_ROBOT_RUNS).toEqual([]);
    expect(capabilityGap(null, { actions: [], compartments: [] })).toBeUndefined();
    const gap = capabilityGap(null, { actions: ['startCharging'], compartments: [] })!;
    expect(gap).toMatchObject({ noFactsheet: true, missingActions: ['startCharging'] });
    expect(gap.detail).toMatch(/published no factsheet.*plain transport only.*startCharging/);
    expect(capabilityGap(undefined, { actions: [], compartments: ['C1'] })).toMatchObject({ noFactsheet: true, missingCompartments: ['C1'] });
  });

  it('names the actions and compartments a factsheet does not declare', () => {
    const cap = capabilityOf(factsheet(['pick', 'drop'], ['C1']));
    expect(capabilityGap(cap, { actions: ['pick'], compartments: ['C1'] })).toBeUndefined();
    const gap = capabilityGap(cap, { actions: ['pick', 'medloop.unlockCompartment'], compartments: ['C1', 'C9'] })!;
    expect(gap).toMatchObject({ noFactsheet: false, missingActions: ['medloop.unlockCompartment'], missingCompartments: ['C9'] });
    expect(gap.detail).toBe('does not declare the actions medloop.unlockCompartment nor the compartments C9 (factsheet loadSpecification.loadPositions)');
    // an empty factsheet is still a factsheet: it declares nothing, so plain transport only
    expect(capabilityGap(capabilityOf(factsheet([])), { actions: [], compartments: [] })).toBeUndefined();
    expect(capabilityGap(capabilityOf(factsheet([])), { actions: ['drop'], compartments: [] })?.missingActions).toEqual(['drop']);
  });
});
