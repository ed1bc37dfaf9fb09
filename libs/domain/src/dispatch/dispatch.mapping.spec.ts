import { describe, expect, it } from '@jest/globals';
import type { State } from '#contracts';
import type { Route } from '../site/route.types.js';
import { DEFAULT_PCT_PER_M, DEFAULT_ROBOT_SPEED, joinRoutes, speedOf, toDispatchMission, toDispatchRobot, type RobotReading } from './dispatch.mapping.js';

function state(over: Partial<State> = {}): State {
  return {
    operatingMode: 'AUTOMATIC',
    errors: [],
    safetyState: { eStop: 'NONE', fieldViolation: false },
    batteryState: { batteryCharge: 80, charging: false },
    ...over,
  } as unknown as State;
}

const robot = (over: Partial<RobotReading> = {}): RobotReading => ({
  deviceId: 'r1',
  connection: 'ONLINE',
  stale: false,
  state: state(),
  factsheet: null,
  ...over,
});

describe('dispatch mapping', () => {
  it('reads the cruising speed from the factsheet, or assumes the default', () => {
    expect(speedOf({ factsheet: { physicalParameters: { speedMax: 1.6 } } })).toBe(1.6);
    expect(speedOf({ factsheet: { physicalParameters: { speedMax: 0 } } })).toBe(DEFAULT_ROBOT_SPEED);
    expect(speedOf({ factsheet: null })).toBe(DEFAULT_ROBOT_SPEED);
  });

  it('distils a robot reading into what dispatch plans with', () => {
    expect(toDispatchRobot(robot(), 'N1', false, 20)).toEqual({
      id: 'r1',
      online: true,
      operatingMode: 'AUTOMATIC',
      hasFatalError: false,
      eStopActive: false,
      batteryPct: 80,
      currentNodeId: 'N1',
      busy: false,
      charging: false,
      speed: DEFAULT_ROBOT_SPEED,
      energy: { pctPerMetre: DEFAULT_PCT_PER_M, reservePct: 20 },
      capability: null,
    });
    // stale, without a state, or not ONLINE: not online; no state: MANUAL with an empty battery
    expect(toDispatchRobot(robot({ stale: true }), null, false, 20).online).toBe(false);
    expect(toDispatchRobot(robot({ connection: 'CONNECTIONBROKEN' }), null, false, 20).online).toBe(false);
    expect(toDispatchRobot(robot({ state: null }), null, true, 20)).toMatchObject({ online: false, operatingMode: 'MANUAL', batteryPct: 0, busy: true });
    const bad = state({ errors: [{ errorType: 'x', errorLevel: 'FATAL' }], safetyState: { eStop: 'AUTOACK', fieldViolation: false } } as Partial<State>);
    expect(toDispatchRobot(robot({ state: bad }), null, false, 20)).toMatchObject({ hasFatalError: true, eStopActive: true });
  });

  it('splits a mission into its first stop and the rest', () => {
    const m = { id: 'm', priority: 'stat' as const, createdAt: new Date(0), stops: [{ nodeId: 'A' }, { nodeId: 'B' }, { nodeId: 'C' }], requiredRobotId: null };
    expect(toDispatchMission(m)).toEqual({ id: 'm', priority: 'stat', createdAt: new Date(0), firstStop: 'A', stops: ['B', 'C'] });
    expect(toDispatchMission({ ...m, requiredRobotId: 'r1' }).requiredRobotId).toBe('r1');
  });

  it('carries what the stops need of the robot and what its factsheet declares', () => {
    const m = {
      id: 'm',
      priority: 'stat' as const,
      createdAt: new Date(0),
      stops: [
        { nodeId: 'A', actions: [{ kind: 'pick', compartmentId: 'C1' }] },
        { nodeId: 'B', actions: [{ kind: 'waitForRecipient', parameters: { recipientId: 'n' } }] },
      ],
      requiredRobotId: null,
    };
    expect(toDispatchMission(m).needs).toEqual({ actions: ['pick', 'medloop.waitForRecipient'], compartments: ['C1'] });
    const fs = { protocolFeatures: { agvActions: [{ actionType: 'pick' }] }, loadSpecification: { loadPositions: ['C1'] } };
    const cap = toDispatchRobot(robot({ factsheet: fs }), 'N1', false, 20).capability;
    expect([...cap!.actions]).toEqual(['pick']);
    expect([...cap!.compartments]).toEqual(['C1']);
  });

  it('joins two routes at their shared node', () => {
    const edge = (from: string, to: string) => ({ id: `${from}-${to}`, from, to, lengthM: 10, kind: 'corridor' as const });
    const a: Route = { nodes: ['A', 'B'], edges: [edge('A', 'B')], durationS: 10, distanceM: 10 };
    const b: Route = { nodes: ['B', 'C'], edges: [edge('B', 'C')], durationS: 12, distanceM: 10 };
    expect(joinRoutes(a, b)).toEqual({ nodes: ['A', 'B', 'C'], edges: [edge('A', 'B'), edge('B', 'C')], durationS: 22, distanceM: 20 });
  });
});
