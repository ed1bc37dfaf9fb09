import { describe, expect, it } from '@jest/globals';
import { ACTIONS_EVERY_ROBOT_RUNS, capabilityGap, capabilityOf, declaresActionIn, missionNeeds } from './robot-capability.js';

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
    expect(capabilityOf({})).toEqual({ actions: new Set(), scopes: new Map(), compartments: new Set() });
  });

  it("reads each action type's actionScopes; an entry without them (a lenient 2.0 factsheet) leaves the scopes unknown", () => {
    const c = capabilityOf({
      protocolFeatures: {
        agvActions: [
          { actionType: 'medloop.unlockCompartment', actionScopes: ['NODE'] },
          { actionType: 'startCharging', actionScopes: ['INSTANT', 'NODE', 'BOGUS'] },
          { actionType: 'drop' },
          { actionType: 'pick', actionScopes: 'NODE' },
        ],
      },
    })!;
    expect(c.scopes.get('medloop.unlockCompartment')).toEqual(new Set(['NODE']));
    expect(c.scopes.get('startCharging')).toEqual(new Set(['INSTANT', 'NODE']));
    expect(c.scopes.has('drop')).toBe(false);
    expect(c.scopes.has('pick')).toBe(false);
    expect(declaresActionIn(c, 'medloop.unlockCompartment', 'NODE')).toBe(true);
    expect(declaresActionIn(c, 'medloop.unlockCompartment', 'INSTANT')).toBe(false);
    // unknown scopes are accepted, an undeclared type never
    expect(declaresActionIn(c, 'drop', 'INSTANT')).toBe(true);
    expect(declaresActionIn(c, 'pick', 'EDGE')).toBe(true);
    expect(declaresActionIn(c, 'lift', 'NODE')).toBe(false);
  });

  it('refuses a stop action the robot declares only as an instant action (stops send it on a node)', () => {
    const cap = capabilityOf({
      protocolFeatures: {
        agvActions: [
          { actionType: 'startCharging', actionScopes: ['INSTANT'] },
          { actionType: 'drop', actionScopes: ['NODE', 'INSTANT'] },
          { actionType: 'pick' },
        ],
      },
    });
    const gap = capabilityGap(cap, { actions: ['startCharging', 'drop', 'pick'], compartments: [] })!;
    expect(gap).toMatchObject({ noFactsheet: false, missingActions: [], notOnNodes: ['startCharging'] });
    expect(gap.detail).toBe('does not declare the actions startCharging on nodes (factsheet actionScopes without NODE)');
    expect(capabilityGap(cap, { actions: ['drop', 'pick'], compartments: [] })).toBeUndefined();
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
