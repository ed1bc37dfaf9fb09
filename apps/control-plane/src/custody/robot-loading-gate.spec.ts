import { describe, expect, it } from '@jest/globals';
import { compartmentInformation, type Factsheet, MEDLOOP_FACTSHEET_ACTIONS, type State } from '#contracts';
import { createDemoHospitalGraph } from '#domain';
import type { CustodyTx, DeliveryEntity } from '#persistence';
import type { LiveRobot, RobotStateService } from '../fleet/robot-state.service.js';
import type { SiteService } from '../site/site.service.js';
import { RobotLoadingGate } from './robot-loading-gate.js';

const state = (over: Partial<State> = {}): State =>
  ({
    lastNodeId: 'F0-PHARMACY-DOCK',
    driving: false,
    loads: [],
    information: [
      compartmentInformation({ compartmentId: 'C1', door: 'CLOSED', lock: 'LOCKED' }),
      compartmentInformation({ compartmentId: 'C3', door: 'CLOSED', lock: 'LOCKED', refrigerated: true }),
    ],
    ...over,
  }) as State;

const live = (over: Partial<LiveRobot> = {}): LiveRobot =>
  ({
    deviceId: 'r1',
    connection: 'ONLINE',
    stale: false,
    state: state(),
    position: null,
    factsheet: { protocolFeatures: { agvActions: [...MEDLOOP_FACTSHEET_ACTIONS] } } as unknown as Factsheet,
    ...over,
  }) as LiveRobot;

function gate(robot: LiveRobot | undefined) {
  const robots = { get: () => robot } as unknown as RobotStateService;
  const site = { graph: createDemoHospitalGraph() } as unknown as SiteService;
  return new RobotLoadingGate(robots, site);
}

const tx = (deliveries: Partial<DeliveryEntity>[]) => ({ deliveriesOfRobot: async () => deliveries }) as unknown as CustodyTx;

describe('RobotLoadingGate', () => {
  it('summarises the live robot for the loading checks', () => {
    expect(gate(live()).summary('r1')).toEqual({
      robotId: 'r1',
      online: true,
      hasState: true,
      nodeId: 'F0-PHARMACY-DOCK',
      driving: false,
      compartments: [expect.objectContaining({ compartmentId: 'C1' }), expect.objectContaining({ compartmentId: 'C3', refrigerated: true })],
      factsheetActions: expect.arrayContaining(['medloop.waitForRecipient', 'medloop.unlockCompartment', 'medloop.lockCompartment']),
      factsheetScopes: expect.any(Map),
    });
  });

  it('reads the factsheet as dispatch does: a malformed 2.0 agvActions declares nothing instead of failing the loading', () => {
    const odd = live({ factsheet: { version: '2.0.0', protocolFeatures: { agvActions: { actionType: 'x' } } } as unknown as Factsheet });
    expect(gate(odd).summary('r1').factsheetActions).toEqual([]);
    expect(() => gate(odd).assertCanTakeDelivery('r1')).toThrow(expect.objectContaining({ code: 'robot_missing_actions' }));
  });

  it("refuses a robot that declares the nurse's unlock only on nodes (it is sent as an instant action)", () => {
    const agvActions = MEDLOOP_FACTSHEET_ACTIONS.map((a) => (a.actionType === 'medloop.unlockCompartment' ? { ...a, actionScopes: ['NODE'] } : a));
    const nodeOnly = live({ factsheet: { protocolFeatures: { agvActions } } as unknown as Factsheet });
    expect(() => gate(nodeOnly).assertCanTakeDelivery('r1')).toThrow(
      expect.objectContaining({ code: 'robot_missing_actions', details: expect.objectContaining({ missing: ['medloop.unlockCompartment'] }) }),
    );
    expect(() => gate(live()).assertCanTakeDelivery('r1')).not.toThrow();
  });

  it('reads a robot never heard of, or silent past the staleness limit, as unreachable', () => {
    expect(() => gate(undefined).assertCanTakeDelivery('r1')).toThrow(expect.objectContaining({ code: 'robot_unreachable' }));
    expect(() => gate(live({ stale: true })).assertCanTakeDelivery('r1')).toThrow(expect.objectContaining({ code: 'robot_unreachable' }));
  });

  it('places a robot without a lastNodeId by its position, only when it stands on the node', () => {
    const at = (x: number) => live({ state: state({ lastNodeId: '' }), position: { x, y: 8, theta: 0, mapId: 'F0', positionInitialized: true } });
    expect(gate(at(11)).summary('r1').nodeId).toBe('F0-PHARMACY-DOCK');
    expect(gate(at(14)).summary('r1').nodeId).toBeNull();
  });

  it('tells a robot without a factsheet from one whose factsheet lacks the actions', () => {
    expect(gate(live({ factsheet: null })).summary('r1').factsheetActions).toBeNull();
    expect(() => gate(live({ factsheet: null })).assertCanTakeDelivery('r1')).toThrow(expect.objectContaining({ code: 'robot_capabilities_unknown' }));
  });

  it('holds the compartments of the other deliveries aboard, not of the one being loaded', async () => {
    const other = { id: 'd-other', state: 'arrived', compartments: { C1: ['x'] } } as Partial<DeliveryEntity>;
    const self = { id: 'd-self', state: 'loaded', compartments: { C3: ['y'] } } as Partial<DeliveryEntity>;
    const g = gate(live());
    await expect(g.assertLoadable(tx([other, self]), 'r1', 'd-self', [{ compartmentId: 'C3', refrigerated: true }])).resolves.toMatchObject({ robotId: 'r1' });
    await expect(g.assertLoadable(tx([other, self]), 'r1', 'd-self', [{ compartmentId: 'C1', refrigerated: false }])).rejects.toMatchObject({
      code: 'compartment_reserved',
      details: { deliveryId: 'd-other' },
    });
  });
});
