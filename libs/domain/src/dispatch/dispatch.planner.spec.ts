import { describe, expect, it } from '@jest/globals';
import { ValidationError } from '../errors.js';
import { corridorGraph, minutesLater, mission, robot } from './dispatch.fixture.js';
import { compareMissions, planDispatch } from './dispatch.planner.js';
import { capabilityOf } from './robot-capability.js';

const graph = corridorGraph();
const assigned = (plan: ReturnType<typeof planDispatch>) => Object.fromEntries(plan.assignments.map((a) => [a.missionId, a.robotId]));
const reasons = (plan: ReturnType<typeof planDispatch>) => Object.fromEntries(plan.unassigned.map((u) => [u.missionId, u.reason]));

describe('planDispatch: choosing the robot', () => {
  it('takes the robot that reaches the first stop soonest and reports the trip', () => {
    const plan = planDispatch(graph, [mission('m1')], [robot('far', { currentNodeId: 'N30' }), robot('near', { currentNodeId: 'N10' })]);
    expect(plan.unassigned).toEqual([]);
    expect(plan.assignments).toEqual([
      {
        missionId: 'm1',
        robotId: 'near',
        etaFirstStopS: 10,
        approach: { nodes: ['N10', 'P'], edges: [{ id: 'E-P-N10', from: 'N10', to: 'P', lengthM: 10, kind: 'corridor' }], durationS: 10, distanceM: 10 },
        // 10 m to P, 40 m P → S, 10 m S → nearest charger C1
        plannedDistanceM: 60,
        batteryAtChargerPct: 80 - 60 * 0.5,
      },
    ]);
  });

  it('ranks by arrival time, not distance: a faster robot further away can win', () => {
    const robots = [robot('slow-near', { currentNodeId: 'N10', speed: 0.4 }), robot('fast-far', { currentNodeId: 'N30', speed: 2 })];
    const plan = planDispatch(graph, [mission('m1')], robots);
    expect(plan.assignments[0]).toMatchObject({ robotId: 'fast-far', etaFirstStopS: 15 });
  });

  it('breaks arrival ties by fuller battery, then id', () => {
    expect(assigned(planDispatch(graph, [mission('m')], [robot('b', { batteryPct: 70 }), robot('a', { batteryPct: 90 })]))).toEqual({ m: 'a' });
    expect(assigned(planDispatch(graph, [mission('m')], [robot('b'), robot('a')]))).toEqual({ m: 'a' });
  });

  it('gives each robot at most one mission per round', () => {
    const plan = planDispatch(
      graph,
      [mission('m1'), mission('m2', { createdAt: minutesLater(1) })],
      [robot('r1', { currentNodeId: 'P' }), robot('r2', { currentNodeId: 'S' })],
    );
    expect(assigned(plan)).toEqual({ m1: 'r1', m2: 'r2' });
    expect(plan.assignments[1]!.etaFirstStopS).toBe(40);
  });

  it('skips robots that are offline, not AUTOMATIC, faulted, e-stopped or busy, however close', () => {
    const blockedAtP = [
      robot('offline', { currentNodeId: 'P', online: false }),
      robot('manual', { currentNodeId: 'P', operatingMode: 'MANUAL' }),
      robot('service', { currentNodeId: 'P', operatingMode: 'SERVICE' }),
      robot('fatal', { currentNodeId: 'P', hasFatalError: true }),
      robot('estop', { currentNodeId: 'P', eStopActive: true }),
      robot('busy', { currentNodeId: 'P', busy: true }),
    ];
    expect(assigned(planDispatch(graph, [mission('m')], [...blockedAtP, robot('ok', { currentNodeId: 'S' })]))).toEqual({ m: 'ok' });
  });

  it('rejects in-input duplicate robot ids rather than guessing', () => {
    expect(() => planDispatch(graph, [], [robot('r'), robot('r')])).toThrow(ValidationError);
  });
});

describe('planDispatch: battery', () => {
  // From N20: 20 m to P + 40 m to S + 10 m to charger C1 = 70 m × 0.5 %/m = 35 %, + 10 % reserve.
  it('accepts a robot with exactly the energy for the trip to the charger plus reserve', () => {
    expect(assigned(planDispatch(graph, [mission('m')], [robot('r', { batteryPct: 45 })]))).toEqual({ m: 'r' });
  });

  it('counts the leg to the nearest charger: enough for the stops alone is not enough', () => {
    const plan = planDispatch(graph, [mission('m')], [robot('r', { batteryPct: 44 })]);
    expect(plan.unassigned).toEqual([{ missionId: 'm', reason: 'insufficient_battery', detail: expect.stringContaining('1 free robot') }]);
  });

  it('uses each robot energy model and falls back to a later robot with enough charge', () => {
    const robots = [
      robot('near-thirsty', { currentNodeId: 'N10', batteryPct: 60, energy: { pctPerMetre: 1, reservePct: 5 } }),
      robot('far-frugal', { currentNodeId: 'N30', batteryPct: 30, energy: { pctPerMetre: 0.2, reservePct: 10 } }),
    ];
    // near: 60 m × 1 + 5 = 65 > 60; far: 80 m × 0.2 + 10 = 26 ≤ 30
    expect(assigned(planDispatch(graph, [mission('m')], robots))).toEqual({ m: 'far-frugal' });
  });

  it('charges each stop in order: a mission ending far from a charger costs more', () => {
    // Ending at P, the nearest charger is C0 (10 m): 20 + 40 + 40 + 10 = 110 m → 65 %.
    const longTrip = mission('m', { stops: ['S', 'P'] });
    expect(reasons(planDispatch(graph, [longTrip], [robot('r', { batteryPct: 64 })]))).toEqual({ m: 'insufficient_battery' });
    expect(assigned(planDispatch(graph, [longTrip], [robot('r', { batteryPct: 65 })]))).toEqual({ m: 'r' });
  });
});

describe('planDispatch: queue order', () => {
  it('orders stat before urgent before routine, then oldest first', () => {
    const queue = [
      mission('routine-old', { createdAt: minutesLater(0) }),
      mission('urgent', { priority: 'urgent', createdAt: minutesLater(5) }),
      mission('stat', { priority: 'stat', createdAt: minutesLater(9) }),
      mission('routine-new', { createdAt: minutesLater(1) }),
    ];
    expect([...queue].sort(compareMissions).map((m) => m.id)).toEqual(['stat', 'urgent', 'routine-old', 'routine-new']);
  });

  it('gives the single free robot to the stat mission even though it was queued last', () => {
    const queue = [mission('routine', { createdAt: minutesLater(0) }), mission('stat', { priority: 'stat', createdAt: minutesLater(9) })];
    const plan = planDispatch(graph, queue, [robot('r')]);
    expect(assigned(plan)).toEqual({ stat: 'r' });
    expect(reasons(plan)).toEqual({ routine: 'all_busy' });
  });

  it('gives the closest robot to the most urgent mission, the next to the next', () => {
    const queue = [mission('routine'), mission('urgent', { priority: 'urgent', createdAt: minutesLater(3) })];
    const plan = planDispatch(graph, queue, [robot('far', { currentNodeId: 'S' }), robot('near', { currentNodeId: 'N10' })]);
    expect(assigned(plan)).toEqual({ urgent: 'near', routine: 'far' });
  });

  it('serves older missions of equal priority first', () => {
    const queue = [mission('newer', { createdAt: minutesLater(2) }), mission('older', { createdAt: minutesLater(1) })];
    expect(assigned(planDispatch(graph, queue, [robot('r')]))).toEqual({ older: 'r' });
  });
});

describe('planDispatch: required robot', () => {
  it('uses the required robot even when another is closer', () => {
    const plan = planDispatch(graph, [mission('m', { requiredRobotId: 'far' })], [robot('near', { currentNodeId: 'P' }), robot('far', { currentNodeId: 'S' })]);
    expect(assigned(plan)).toEqual({ m: 'far' });
  });

  it.each([
    ['busy', { busy: true }, "required robot 'x' is busy with another mission"],
    ['offline', { online: false }, "required robot 'x' is offline"],
    ['in manual mode', { operatingMode: 'MANUAL' as const }, "required robot 'x' is in MANUAL mode"],
  ])('reports required_robot_unavailable when it is %s, without taking another robot', (_, overrides, detail) => {
    const plan = planDispatch(graph, [mission('m', { requiredRobotId: 'x' })], [robot('x', overrides), robot('other')]);
    expect(plan.assignments).toEqual([]);
    expect(plan.unassigned).toEqual([{ missionId: 'm', reason: 'required_robot_unavailable', detail }]);
  });

  it('reports a required robot that is unknown or was taken by a more urgent mission', () => {
    const queue = [
      mission('stat', { priority: 'stat' }),
      mission('needs-r', { requiredRobotId: 'r', createdAt: minutesLater(1) }),
      mission('needs-ghost', { requiredRobotId: 'ghost', createdAt: minutesLater(2) }),
    ];
    const plan = planDispatch(graph, queue, [robot('r')]);
    expect(assigned(plan)).toEqual({ stat: 'r' });
    expect(plan.unassigned).toEqual([
      { missionId: 'needs-r', reason: 'required_robot_unavailable', detail: "required robot 'r' is already assigned to a mission ahead in the queue" },
      { missionId: 'needs-ghost', reason: 'required_robot_unavailable', detail: "required robot 'ghost' is not in the fleet" },
    ]);
  });

  it('says insufficient_battery when the required robot is free but too low', () => {
    expect(reasons(planDispatch(graph, [mission('m', { requiredRobotId: 'r' })], [robot('r', { batteryPct: 20 })]))).toEqual({ m: 'insufficient_battery' });
  });
});

describe('planDispatch: reasons for unassigned missions', () => {
  it('no_robot_online when the fleet is empty or all offline', () => {
    expect(reasons(planDispatch(graph, [mission('m')], []))).toEqual({ m: 'no_robot_online' });
    expect(reasons(planDispatch(graph, [mission('m')], [robot('r', { online: false })]))).toEqual({ m: 'no_robot_online' });
  });

  it('all_busy when online robots are busy or out of service', () => {
    const robots = [robot('a', { busy: true }), robot('b', { eStopActive: true }), robot('c', { online: false })];
    expect(reasons(planDispatch(graph, [mission('m')], robots))).toEqual({ m: 'all_busy' });
  });

  it('unreachable when the mission stops are not connected or unknown, whatever the fleet', () => {
    const plan = planDispatch(graph, [mission('island', { stops: ['ISO'] }), mission('typo', { stops: ['S', 'NOPE'] })], []);
    expect(plan.unassigned).toEqual([
      { missionId: 'island', reason: 'unreachable', detail: "no route from 'P' to 'ISO'" },
      { missionId: 'typo', reason: 'unreachable', detail: "unknown node 'NOPE'" },
    ]);
  });

  it('unreachable when no free robot can get to the first stop (stranded or lost)', () => {
    const robots = [robot('stranded', { currentNodeId: 'ISO' }), robot('lost', { currentNodeId: null }), robot('ghost-node', { currentNodeId: 'X9' })];
    expect(planDispatch(graph, [mission('m')], robots).unassigned).toEqual([{ missionId: 'm', reason: 'unreachable', detail: "no free robot can reach 'P'" }]);
  });

  it('prefers insufficient_battery over unreachable when some robot could reach it', () => {
    const robots = [robot('stranded', { currentNodeId: 'ISO' }), robot('low', { batteryPct: 5 })];
    expect(reasons(planDispatch(graph, [mission('m')], robots))).toEqual({ m: 'insufficient_battery' });
  });
});

describe('planDispatch: what the robot declares it can do', () => {
  const delivery = { actions: ['medloop.waitForRecipient', 'medloop.unlockCompartment', 'drop', 'medloop.lockCompartment'], compartments: ['C1'] };
  const courier = capabilityOf({
    protocolFeatures: { agvActions: delivery.actions.map((actionType) => ({ actionType })) },
    loadSpecification: { loadPositions: ['C1', 'C2'] },
  });
  const plain = capabilityOf({ protocolFeatures: { agvActions: [{ actionType: 'drop' }] }, loadSpecification: {} });
  const details = (plan: ReturnType<typeof planDispatch>) => Object.fromEntries(plan.unassigned.map((u) => [u.missionId, u.detail]));

  it('offers a mission only to a robot whose factsheet declares its actions and compartments, even a nearer one is passed over', () => {
    const robots = [robot('near-plain', { currentNodeId: 'P', capability: plain }), robot('far-courier', { currentNodeId: 'N30', capability: courier })];
    expect(assigned(planDispatch(graph, [mission('m', { needs: delivery })], robots))).toEqual({ m: 'far-courier' });
    // a plain transport mission still goes to the nearest
    expect(assigned(planDispatch(graph, [mission('m')], robots))).toEqual({ m: 'near-plain' });
  });

  it('gives a robot without a factsheet plain transport missions only', () => {
    const robots = [robot('no-factsheet', { capability: null })];
    expect(assigned(planDispatch(graph, [mission('plain')], robots))).toEqual({ plain: 'no-factsheet' });
    const charge = planDispatch(graph, [mission('charge', { needs: { actions: ['startCharging'], compartments: [] } })], robots);
    expect(reasons(charge)).toEqual({ charge: 'no_capable_robot' });
    expect(details(charge).charge).toMatch(/robot 'no-factsheet' published no factsheet, so it takes plain transport only/);
  });

  it('keeps a mission no online robot can run queued with the reason, and names what each lacks', () => {
    const robots = [
      robot('plain', { capability: plain }),
      robot('small', {
        capability: capabilityOf({
          protocolFeatures: { agvActions: delivery.actions.map((actionType) => ({ actionType })) },
          loadSpecification: { loadPositions: ['C2'] },
        }),
      }),
      robot('busy-courier', { capability: courier, online: false }),
    ];
    const plan = planDispatch(graph, [mission('m', { needs: delivery })], robots);
    expect(plan.assignments).toEqual([]);
    expect(reasons(plan)).toEqual({ m: 'no_capable_robot' });
    expect(details(plan).m).toContain(
      "robot 'plain' does not declare the actions medloop.waitForRecipient, medloop.unlockCompartment, medloop.lockCompartment",
    );
    expect(details(plan).m).toContain("robot 'small' does not declare the compartments C1");
  });

  it('says busy, not incapable, when a robot able to run it is only busy', () => {
    const robots = [robot('plain', { capability: plain }), robot('courier', { capability: courier, busy: true })];
    const plan = planDispatch(graph, [mission('m', { needs: delivery })], robots);
    expect(reasons(plan)).toEqual({ m: 'all_busy' });
    expect(details(plan).m).toMatch(/the free ones cannot: robot 'plain' does not declare/);
  });

  it('reports a required robot that cannot run the mission as such', () => {
    const plan = planDispatch(
      graph,
      [mission('m', { needs: delivery, requiredRobotId: 'plain' })],
      [robot('plain', { capability: plain }), robot('courier', { capability: courier })],
    );
    expect(reasons(plan)).toEqual({ m: 'no_capable_robot' });
    expect(details(plan).m).toMatch(/^required robot 'plain' does not declare/);
  });
});
