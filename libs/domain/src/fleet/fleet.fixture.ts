/**
 * Shared test data for the fleet specs: a delivery on the demo hospital (pharmacy dock on F0,
 * oncology station on F2, cardiology station on F1, lifts in between) and helpers to wrap
 * order bodies into full messages and to fake robot states.
 */
import type { Order, State, VdaVersion } from '#contracts';
import { createDemoHospitalGraph } from '../site/demo-hospital.site.js';
import type { Route } from '../site/route.types.js';
import type { MissionOrderPlan, MissionStop, OrderBody } from './order-builder.js';
import type { StopActionSpec } from './stop-actions.js';

export const graph = createDemoHospitalGraph();

export const DOCK = 'F0-PHARMACY-DOCK';
export const ONC = 'F2-ONC-STATION';
export const CARD = 'F1-CARD-STATION';

/** One route through legs that meet end to start. */
export function joinRoutes(...legs: Route[]): Route {
  const [first, ...rest] = legs;
  const route: Route = { ...first!, nodes: [...first!.nodes], edges: [...first!.edges] };
  for (const leg of rest) {
    if (leg.nodes[0] !== route.nodes[route.nodes.length - 1]) throw new Error('legs do not meet');
    route.nodes.push(...leg.nodes.slice(1));
    route.edges.push(...leg.edges);
    route.durationS += leg.durationS;
    route.distanceM += leg.distanceM;
  }
  return route;
}

export function routeThrough(...nodeIds: string[]): Route {
  const legs = nodeIds.slice(1).map((to, i) => graph.planRoute(nodeIds[i]!, to, { speed: 1 }));
  return legs.length > 0 ? joinRoutes(...legs) : { nodes: [nodeIds[0]!], edges: [], durationS: 0, distanceM: 0 };
}

export function handover(nodeId: string, compartmentId: string, recipientId: string): MissionStop {
  return {
    nodeId,
    actions: [
      { kind: 'waitForRecipient', compartmentId, parameters: { recipientId, timeoutS: 600 } },
      { kind: 'unlockCompartment', compartmentId, parameters: { recipientId } },
      { kind: 'drop', compartmentId, parameters: { loadId: `dose-${compartmentId}` } },
      { kind: 'lockCompartment', compartmentId },
    ],
  };
}

/** Load two doses at the dock, hand them over on oncology (F2), then on cardiology (F1). */
export function deliveryPlan(overrides: Partial<MissionOrderPlan> = {}): MissionOrderPlan {
  return {
    orderId: 'mission-7',
    route: routeThrough(DOCK, ONC, CARD),
    graph,
    stops: [
      {
        nodeId: DOCK,
        // pick needs the compartment unlocked, and a robot must not drive with one open
        actions: ['C1', 'C2'].flatMap((compartmentId): StopActionSpec[] => [
          { kind: 'unlockCompartment', compartmentId },
          { kind: 'pick', compartmentId, parameters: { loadId: `dose-${compartmentId}` } },
          { kind: 'lockCompartment', compartmentId },
        ]),
      },
      handover(ONC, 'C1', 'nurse-7'),
      handover(CARD, 'C2', 'nurse-9'),
    ],
    ...overrides,
  };
}

export function withHeader(body: OrderBody, version: VdaVersion, headerId = 1): Order {
  return { headerId, timestamp: '2026-03-11T11:40:03.12Z', version, manufacturer: 'MedLoop', serialNumber: 'R-0001', ...body };
}

/** An idle robot's state; override what the scenario needs. */
export function robotState(patch: Partial<State> = {}): State {
  return {
    headerId: 1,
    timestamp: '2026-03-11T11:40:03.12Z',
    version: '2.1.0',
    manufacturer: 'MedLoop',
    serialNumber: 'R-0001',
    orderId: '',
    orderUpdateId: 0,
    lastNodeId: DOCK,
    lastNodeSequenceId: 0,
    driving: false,
    operatingMode: 'AUTOMATIC',
    nodeStates: [],
    edgeStates: [],
    actionStates: [],
    batteryState: { batteryCharge: 80, charging: false },
    errors: [],
    safetyState: { eStop: 'NONE', fieldViolation: false },
    ...patch,
  };
}
