/**
 * Valid sample messages for both 2.x versions, used by specs here and elsewhere as a
 * starting point (copy, then break one field). Not exported from the package index.
 */
import {
  compartmentInformation,
  compartmentLoad,
  lockCompartmentAction,
  MEDLOOP_FACTSHEET_ACTIONS,
  unlockCompartmentAction,
  waitForRecipientAction,
} from './medloop-compartments.js';
import type { Connection, Factsheet, InstantActions, Order, State, VdaHeader, VdaVersion, Visualization } from './vda5050.types.js';

export function sampleHeader(version: VdaVersion, headerId = 1): VdaHeader {
  return { headerId, timestamp: '2026-03-11T11:40:03.12Z', version, manufacturer: 'MedLoop', serialNumber: 'R-0001' };
}

export function sampleOrder(version: VdaVersion): Order {
  return {
    ...sampleHeader(version),
    orderId: 'order-1',
    orderUpdateId: 0,
    nodes: [
      { nodeId: 'pharmacy', sequenceId: 0, released: true, nodePosition: { x: 0, y: 0, theta: 0, mapId: 'F1' }, actions: [] },
      {
        nodeId: 'lift-F1',
        sequenceId: 2,
        released: true,
        nodePosition: { x: 10, y: 0, mapId: 'F1', allowedDeviationTheta: 0.1 },
        actions: [],
      },
      {
        nodeId: 'ward-3',
        sequenceId: 4,
        released: false,
        nodePosition: { x: 10, y: 5, theta: 1.57, mapId: 'F3' },
        actions: [
          waitForRecipientAction({ actionId: 'a-wait', recipientId: 'nurse-7', timeoutS: 600 }),
          unlockCompartmentAction({ actionId: 'a-unlock', compartmentId: 'C1', recipientId: 'nurse-7' }),
          { actionId: 'a-drop', actionType: 'drop', blockingType: 'HARD', actionParameters: [{ key: 'compartmentId', value: 'C1' }] },
          lockCompartmentAction({ actionId: 'a-lock', compartmentId: 'C1' }),
        ],
      },
    ],
    edges: [
      { edgeId: 'e1', sequenceId: 1, released: true, startNodeId: 'pharmacy', endNodeId: 'lift-F1', maxSpeed: 1.2, actions: [] },
      { edgeId: 'e2', sequenceId: 3, released: false, startNodeId: 'lift-F1', endNodeId: 'ward-3', actions: [] },
    ],
  };
}

export function sampleInstantActions(version: VdaVersion): InstantActions {
  return {
    ...sampleHeader(version),
    actions: [
      { actionId: 'ia-1', actionType: 'cancelOrder', blockingType: 'HARD' },
      unlockCompartmentAction({ actionId: 'ia-2', compartmentId: 'C2', unlockToken: 'tok-123' }),
    ],
  };
}

export function sampleState(version: VdaVersion): State {
  const c1 = { compartmentId: 'C1', door: 'CLOSED', lock: 'LOCKED', refrigerated: false, loadId: 'dose-42' } as const;
  const c2 = { compartmentId: 'C2', door: 'OPEN', lock: 'UNLOCKED', refrigerated: true } as const;
  return {
    ...sampleHeader(version),
    orderId: 'order-1',
    orderUpdateId: 0,
    lastNodeId: 'pharmacy',
    lastNodeSequenceId: 0,
    driving: true,
    paused: false,
    newBaseRequest: false,
    distanceSinceLastNode: 1.5,
    operatingMode: 'AUTOMATIC',
    nodeStates: [{ nodeId: 'lift-F1', sequenceId: 2, released: true, nodePosition: { x: 10, y: 0, theta: 0, mapId: 'F1' } }],
    edgeStates: [{ edgeId: 'e1', sequenceId: 1, released: true }],
    agvPosition: { x: 1.5, y: 0, theta: 0, mapId: 'F1', positionInitialized: true },
    velocity: { vx: 1, vy: 0, omega: 0 },
    loads: [compartmentLoad(c1)!],
    actionStates: [{ actionId: 'a-wait', actionType: 'medloop.waitForRecipient', actionStatus: 'WAITING' }],
    batteryState: { batteryCharge: 87.5, batteryVoltage: 26.1, charging: false, reach: 4000 },
    errors: [],
    information: [compartmentInformation(c1), compartmentInformation(c2)],
    safetyState: { eStop: 'NONE', fieldViolation: false },
  };
}

export function sampleConnection(version: VdaVersion): Connection {
  return { ...sampleHeader(version), connectionState: 'ONLINE' };
}

export function sampleVisualization(version: VdaVersion): Visualization {
  return { ...sampleHeader(version), agvPosition: { x: 1, y: 2, theta: 0, mapId: 'F1', positionInitialized: true }, velocity: { vx: 1 } };
}

export function sampleFactsheet(version: VdaVersion): Factsheet {
  return {
    ...sampleHeader(version),
    typeSpecification: {
      seriesName: 'MedLoop Courier',
      agvKinematic: 'DIFF',
      agvClass: 'CARRIER',
      maxLoadMass: 10,
      localizationTypes: ['NATURAL'],
      navigationTypes: ['AUTONOMOUS'],
    },
    physicalParameters: { speedMin: 0, speedMax: 1.5, accelerationMax: 0.5, decelerationMax: 1, heightMax: 1.3, width: 0.6, length: 0.8 },
    protocolLimits: { maxStringLens: {}, maxArrayLens: {}, timing: { minOrderInterval: 0.5, minStateInterval: 0.1, defaultStateInterval: 30 } },
    protocolFeatures: { optionalParameters: [], agvActions: [...MEDLOOP_FACTSHEET_ACTIONS] },
    agvGeometry: {},
    loadSpecification: { loadPositions: ['C1', 'C2'] },
  };
}
