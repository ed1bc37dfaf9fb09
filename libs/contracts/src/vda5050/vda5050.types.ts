/**
 * TypeScript shapes of the VDA 5050 2.x MQTT messages (2.0.0 and 2.1.0).
 *
 * They mirror the official JSON schemas in `libs/contracts/vda5050/<version>/`, which stay
 * the source of truth at runtime (see `vda5050.validator.ts`). Fields that only exist in
 * 2.1 are optional here and marked `@since 2.1`. Where the schema and the prose of the
 * standard disagree, the type follows the schema, because that is what gets validated.
 */

export type VdaVersion = '2.0.0' | '2.1.0';
export const VDA_VERSIONS: readonly VdaVersion[] = ['2.0.0', '2.1.0'];

/** Fields every message carries. `headerId` counts per topic and sender. */
export interface VdaHeader {
  headerId: number;
  /** ISO 8601, UTC, e.g. `2026-03-11T11:40:03.12Z`. */
  timestamp: string;
  /** The protocol version `[major].[minor].[patch]` the sender speaks. */
  version: string;
  manufacturer: string;
  serialNumber: string;
}

export type BlockingType = 'NONE' | 'SOFT' | 'HARD';

/** Parameter values: 2.0 allows array/boolean/number/string, 2.1 also object. */
export type ActionParameterValue = string | number | boolean | unknown[] | Record<string, unknown>;

export interface ActionParameter {
  key: string;
  value: ActionParameterValue;
}

export interface Action {
  actionType: string;
  actionId: string;
  actionDescription?: string;
  blockingType: BlockingType;
  actionParameters?: ActionParameter[];
}

/** Action types predefined by the standard; custom (vendor) types are plain strings. */
export const VDA_ACTION_TYPES = {
  startPause: 'startPause',
  stopPause: 'stopPause',
  startCharging: 'startCharging',
  stopCharging: 'stopCharging',
  initPosition: 'initPosition',
  stateRequest: 'stateRequest',
  logReport: 'logReport',
  pick: 'pick',
  drop: 'drop',
  detectObject: 'detectObject',
  finePositioning: 'finePositioning',
  waitForTrigger: 'waitForTrigger',
  cancelOrder: 'cancelOrder',
  factsheetRequest: 'factsheetRequest',
} as const;

export interface NodePosition {
  x: number;
  y: number;
  /** Radians, -π..π. */
  theta?: number;
  allowedDeviationXY?: number;
  allowedDeviationTheta?: number;
  /** Each floor has its own map; a node on another map means a lift ride. */
  mapId: string;
  mapDescription?: string;
}

export interface Trajectory {
  degree: number;
  knotVector: number[];
  controlPoints: Array<{ x: number; y: number; weight?: number }>;
}

export interface OrderNode {
  nodeId: string;
  /** Even numbers: 0, 2, 4, … */
  sequenceId: number;
  nodeDescription?: string;
  /** true = base (may be driven), false = horizon (planned, not yet released). */
  released: boolean;
  nodePosition?: NodePosition;
  actions: Action[];
}

export interface OrderEdge {
  edgeId: string;
  /** Odd numbers: 1, 3, 5, … */
  sequenceId: number;
  edgeDescription?: string;
  released: boolean;
  startNodeId: string;
  endNodeId: string;
  maxSpeed?: number;
  maxHeight?: number;
  minHeight?: number;
  orientation?: number;
  /** @since 2.1 */
  orientationType?: string;
  direction?: string;
  rotationAllowed?: boolean;
  maxRotationSpeed?: number;
  length?: number;
  trajectory?: Trajectory;
  /** @since 2.1 */
  corridor?: { leftWidth: number; rightWidth: number; corridorRefPoint?: 'KINEMATICCENTER' | 'CONTOUR' };
  actions: Action[];
}

export interface Order extends VdaHeader {
  orderId: string;
  orderUpdateId: number;
  zoneSetId?: string;
  nodes: OrderNode[];
  edges: OrderEdge[];
}

export interface InstantActions extends VdaHeader {
  actions: Action[];
  /**
   * The same list under the name the VDA 5050 2.0 document text uses (its JSON schema says
   * `actions`); MedLoop sends both to 2.0 robots, see vda5050.dialect.ts. Readers use `actions`.
   */
  instantActions?: Action[];
}

export type OperatingMode = 'AUTOMATIC' | 'SEMIAUTOMATIC' | 'MANUAL' | 'SERVICE' | 'TEACHIN';
/**
 * The prose of the standard also lists PAUSED, but neither official 2.x schema allows it,
 * so a schema-valid robot never sends it.
 */
export type ActionStatus = 'WAITING' | 'INITIALIZING' | 'RUNNING' | 'FINISHED' | 'FAILED';
export type EStop = 'AUTOACK' | 'MANUAL' | 'REMOTE' | 'NONE';
export type ErrorLevel = 'WARNING' | 'FATAL';
export type InfoLevel = 'INFO' | 'DEBUG';
export type ConnectionState = 'ONLINE' | 'OFFLINE' | 'CONNECTIONBROKEN';

export interface NodeState {
  nodeId: string;
  sequenceId: number;
  nodeDescription?: string;
  released: boolean;
  /** 2.0 requires theta when nodePosition is present. */
  nodePosition?: { x: number; y: number; theta?: number; mapId: string };
}

export interface EdgeState {
  edgeId: string;
  sequenceId: number;
  edgeDescription?: string;
  released: boolean;
  trajectory?: Trajectory;
}

export interface AgvPosition {
  x: number;
  y: number;
  theta: number;
  mapId: string;
  mapDescription?: string;
  positionInitialized: boolean;
  localizationScore?: number;
  deviationRange?: number;
}

export interface Velocity {
  vx?: number;
  vy?: number;
  omega?: number;
}

export interface Load {
  loadId?: string;
  loadType?: string;
  loadPosition?: string;
  boundingBoxReference?: { x: number; y: number; z: number; theta?: number };
  loadDimensions?: { length: number; width: number; height?: number };
  weight?: number;
}

export interface ActionState {
  actionId: string;
  actionType?: string;
  actionDescription?: string;
  actionStatus: ActionStatus;
  resultDescription?: string;
}

export interface BatteryState {
  /** Percent, 0..100. */
  batteryCharge: number;
  batteryVoltage?: number;
  batteryHealth?: number;
  charging: boolean;
  /** Metres the robot can still drive. */
  reach?: number;
}

export interface Reference {
  referenceKey: string;
  referenceValue: string;
}

export interface VdaError {
  errorType: string;
  errorReferences?: Reference[];
  errorDescription?: string;
  /** @since 2.1 */
  errorHint?: string;
  errorLevel: ErrorLevel;
}

export interface Information {
  infoType: string;
  infoReferences?: Reference[];
  infoDescription?: string;
  infoLevel: InfoLevel;
}

export interface SafetyState {
  eStop: EStop;
  fieldViolation: boolean;
}

/** @since 2.1 */
export interface MapInfo {
  mapId: string;
  mapVersion: string;
  mapDescription?: string;
  mapStatus: 'ENABLED' | 'DISABLED';
}

export interface State extends VdaHeader {
  /** @since 2.1 */
  maps?: MapInfo[];
  /** Current or last order; "" when none yet. */
  orderId: string;
  /** 0 when none yet. */
  orderUpdateId: number;
  zoneSetId?: string;
  /** Last reached node (or the node the robot stands on); "" when unknown. */
  lastNodeId: string;
  lastNodeSequenceId: number;
  driving: boolean;
  paused?: boolean;
  newBaseRequest?: boolean;
  distanceSinceLastNode?: number;
  operatingMode: OperatingMode;
  /** Nodes still to traverse; empty when idle. */
  nodeStates: NodeState[];
  edgeStates: EdgeState[];
  agvPosition?: AgvPosition;
  velocity?: Velocity;
  loads?: Load[];
  actionStates: ActionState[];
  batteryState: BatteryState;
  errors: VdaError[];
  information?: Information[];
  safetyState: SafetyState;
}

export interface Connection extends VdaHeader {
  connectionState: ConnectionState;
}

export interface Visualization extends Partial<VdaHeader> {
  agvPosition?: Omit<AgvPosition, 'mapDescription'>;
  velocity?: Velocity;
}

/** One action the robot declares it can perform (factsheet `protocolFeatures.agvActions`). */
export interface FactsheetAgvAction {
  actionType: string;
  actionDescription?: string;
  actionScopes: Array<'INSTANT' | 'NODE' | 'EDGE'>;
  actionParameters?: Array<{
    key: string;
    valueDataType: 'BOOL' | 'NUMBER' | 'INTEGER' | 'FLOAT' | 'STRING' | 'OBJECT' | 'ARRAY';
    description?: string;
    isOptional?: boolean;
  }>;
  resultDescription?: string;
}

/**
 * The factsheet, loosely typed: the sections the control plane reads are spelled out, the
 * rest is left open. Header fields other than version/manufacturer/serialNumber are optional.
 */
export interface Factsheet extends Partial<VdaHeader> {
  version: string;
  manufacturer: string;
  serialNumber: string;
  typeSpecification: {
    seriesName: string;
    seriesDescription?: string;
    agvKinematic: 'DIFF' | 'OMNI' | 'THREEWHEEL';
    agvClass: 'FORKLIFT' | 'CONVEYOR' | 'TUGGER' | 'CARRIER';
    maxLoadMass: number;
    localizationTypes: string[];
    navigationTypes: string[];
  };
  physicalParameters: Record<string, number>;
  protocolLimits: {
    maxStringLens: Record<string, number | boolean>;
    maxArrayLens: Record<string, number>;
    timing: { minOrderInterval: number; minStateInterval: number; defaultStateInterval?: number; visualizationInterval?: number };
  };
  protocolFeatures: {
    optionalParameters: Array<{ parameter: string; support: 'SUPPORTED' | 'REQUIRED'; description?: string }>;
    agvActions: FactsheetAgvAction[];
  };
  agvGeometry: Record<string, unknown>;
  loadSpecification: { loadPositions?: string[]; loadSets?: Array<Record<string, unknown>> };
  /** @since 2.1 */
  vehicleConfig?: Record<string, unknown>;
  [extra: string]: unknown;
}

/** Message type carried by each topic. */
export interface VdaMessageByTopic {
  order: Order;
  instantActions: InstantActions;
  state: State;
  visualization: Visualization;
  connection: Connection;
  factsheet: Factsheet;
}
