/**
 * The simulated robot's factsheet: a small carrier that declares the standard actions it
 * executes and MedLoop's custom compartment actions, so a controller can check capabilities.
 */
import { MEDLOOP_FACTSHEET_ACTIONS, type Factsheet, type FactsheetAgvAction, type VdaHeader } from '#contracts';
import type { RobotConfig, SimulationSettings } from './config.js';

const STANDARD_ACTIONS: FactsheetAgvAction[] = [
  {
    actionType: 'pick',
    actionScopes: ['NODE'],
    actionParameters: [
      { key: 'compartmentId', valueDataType: 'STRING', isOptional: true },
      { key: 'loadId', valueDataType: 'STRING', isOptional: true },
      { key: 'loadType', valueDataType: 'STRING', isOptional: true },
    ],
  },
  {
    actionType: 'drop',
    actionScopes: ['NODE'],
    actionParameters: [
      { key: 'compartmentId', valueDataType: 'STRING', isOptional: true },
      { key: 'loadId', valueDataType: 'STRING', isOptional: true },
    ],
  },
  { actionType: 'waitForTrigger', actionScopes: ['NODE'], actionParameters: [{ key: 'timeoutS', valueDataType: 'NUMBER', isOptional: true }] },
  { actionType: 'startCharging', actionScopes: ['INSTANT', 'NODE'] },
  { actionType: 'stopCharging', actionScopes: ['INSTANT', 'NODE'] },
  { actionType: 'finePositioning', actionScopes: ['NODE'] },
  { actionType: 'detectObject', actionScopes: ['NODE'] },
  { actionType: 'logReport', actionScopes: ['INSTANT', 'NODE'] },
  { actionType: 'initPosition', actionScopes: ['INSTANT'] },
  { actionType: 'startPause', actionScopes: ['INSTANT'] },
  { actionType: 'stopPause', actionScopes: ['INSTANT'] },
  { actionType: 'cancelOrder', actionScopes: ['INSTANT'] },
  { actionType: 'stateRequest', actionScopes: ['INSTANT'] },
  { actionType: 'factsheetRequest', actionScopes: ['INSTANT'] },
];

export function buildFactsheet(header: VdaHeader, robot: RobotConfig, settings: SimulationSettings): Factsheet {
  return {
    ...header,
    typeSpecification: {
      seriesName: 'MedLoop Sim Courier',
      seriesDescription: 'Simulated drug-delivery robot with lockable compartments',
      agvKinematic: 'DIFF',
      agvClass: 'CARRIER',
      maxLoadMass: 15,
      localizationTypes: ['NATURAL'],
      navigationTypes: ['AUTONOMOUS'],
    },
    physicalParameters: { speedMin: 0, speedMax: robot.speed, accelerationMax: 0.5, decelerationMax: 1, heightMax: 1.3, width: 0.6, length: 0.8 },
    protocolLimits: {
      maxStringLens: {},
      maxArrayLens: {},
      timing: {
        minOrderInterval: 0.5,
        minStateInterval: 0.1,
        defaultStateInterval: settings.stateIntervalS,
        visualizationInterval: settings.visualizationIntervalS,
      },
    },
    protocolFeatures: { optionalParameters: [], agvActions: [...STANDARD_ACTIONS, ...MEDLOOP_FACTSHEET_ACTIONS] },
    agvGeometry: {},
    loadSpecification: {
      loadPositions: robot.compartments.map((c) => c.id),
      loadSets: [{ setName: 'compartments', loadType: 'medloop.dose', loadPositions: robot.compartments.map((c) => c.id) }],
    },
  };
}
