import { describe, expect, it } from '@jest/globals';
import { robotsNeedingCharge } from './charging.planner.js';
import { corridorGraph, robot } from './dispatch.fixture.js';

// Corridor: C0 ── P ── N10 ── N20 ── N30 ── S ── C1 (10 m apart), ISO unconnected.
const graph = corridorGraph();

describe('robotsNeedingCharge', () => {
  it('sends idle robots below the threshold to the nearest charger, with the route and expected battery', () => {
    const plan = robotsNeedingCharge(graph, [robot('low', { currentNodeId: 'N30', batteryPct: 18 }), robot('fine', { batteryPct: 60 })], 20);
    expect(plan.waiting).toEqual([]);
    expect(plan.assignments).toEqual([
      {
        robotId: 'low',
        chargerNodeId: 'C1',
        route: expect.objectContaining({ nodes: ['N30', 'S', 'C1'], distanceM: 20 }),
        batteryOnArrivalPct: 18 - 20 * 0.5,
      },
    ]);
  });

  it('uses a strict threshold', () => {
    expect(robotsNeedingCharge(graph, [robot('r', { batteryPct: 20 })], 20).assignments).toEqual([]);
  });

  it('lets the lowest battery choose first and never sends two robots to one charger', () => {
    // Both are nearest to C1; the emptier one gets it, the other is sent to C0.
    const robots = [robot('a', { currentNodeId: 'N30', batteryPct: 15 }), robot('b', { currentNodeId: 'S', batteryPct: 9 })];
    const plan = robotsNeedingCharge(graph, robots, 20);
    expect(plan.assignments.map((a) => [a.robotId, a.chargerNodeId])).toEqual([
      ['b', 'C1'],
      ['a', 'C0'],
    ]);
  });

  it('leaves robots that are busy, offline, out of service or already charging alone; a charging robot holds its charger', () => {
    const robots = [
      robot('charging', { currentNodeId: 'C1', batteryPct: 5, charging: true }),
      robot('busy', { batteryPct: 5, busy: true }),
      robot('offline', { batteryPct: 5, online: false }),
      robot('manual', { batteryPct: 5, operatingMode: 'MANUAL' }),
      robot('needy', { currentNodeId: 'S', batteryPct: 10 }),
    ];
    const plan = robotsNeedingCharge(graph, robots, 20);
    expect(plan.assignments.map((a) => [a.robotId, a.chargerNodeId])).toEqual([['needy', 'C0']]);
  });

  it('starts a low robot charging where it stands when it is on a charger already', () => {
    const plan = robotsNeedingCharge(graph, [robot('r', { currentNodeId: 'C0', batteryPct: 12 })], 20);
    expect(plan.assignments).toEqual([
      { robotId: 'r', chargerNodeId: 'C0', route: { nodes: ['C0'], edges: [], durationS: 0, distanceM: 0 }, batteryOnArrivalPct: 12 },
    ]);
  });

  it('reports robots it cannot place: no free charger left, or none reachable', () => {
    const robots = [
      robot('first', { currentNodeId: 'N10', batteryPct: 5 }),
      robot('second', { currentNodeId: 'N30', batteryPct: 6 }),
      robot('third', { currentNodeId: 'N20', batteryPct: 7 }),
    ];
    const plan = robotsNeedingCharge(graph, robots, 20);
    expect(plan.assignments.map((a) => a.chargerNodeId)).toEqual(['C0', 'C1']);
    expect(plan.waiting).toEqual([{ robotId: 'third', reason: 'no_free_charger' }]);

    const stranded = robotsNeedingCharge(graph, [robot('iso', { currentNodeId: 'ISO', batteryPct: 5 })], 20);
    expect(stranded).toEqual({ assignments: [], waiting: [{ robotId: 'iso', reason: 'no_reachable_charger' }] });
  });
});
