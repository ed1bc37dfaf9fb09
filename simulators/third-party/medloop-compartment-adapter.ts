/**
 * MedLoop's compartment extension (libs/contracts/src/vda5050/EXTENSIONS.md) as an adapter of
 * the open-source `vda-5050-lib` virtual AGV: a subclass of its VirtualAgvAdapter.
 *
 * Only the vehicle behaviour is ours. Everything on the wire (topics, headers, order and
 * instant-action processing, base/horizon stitching, action states, errors, the factsheet
 * message) stays the library's AgvController, unmodified: this is how a robot vendor who
 * built on the library would add our actions, and so it shows what MedLoop must cope with.
 *
 * What it adds to the stock virtual AGV:
 * - the actions `medloop.unlockCompartment`, `medloop.lockCompartment` (NODE, INSTANT),
 *   `medloop.waitForRecipient` (NODE) and `medloop.trigger` (INSTANT), declared executable
 *   through the library's action definitions (isActionExecutable stays the library's);
 * - per compartment a lock and a door, reported in `state.information[]`
 *   (infoType `medloop.compartment`) and its content in `state.loads[]`, always present;
 * - a `medloop.waiting` information entry while a wait runs;
 * - a factsheet (VDA 5050 2.0 has the topic) declaring those actions and the compartments
 *   (loadSpecification.loadPositions), handed to the library's controller and published once,
 *   retained, when the adapter attaches; the library publishes it again on a `factsheetRequest`;
 * - after a lift ride (an edge whose end node lies on another map) it reports the new map:
 *   a real robot relocalises on the floor it arrives at, the stock virtual AGV keeps the map it
 *   started on for its whole life (it only moves x/y).
 *
 * Not modelled: doors opening (no pick/drop into compartments: MedLoop loads through its API and
 * hands over after an unlock; the doors stay CLOSED), refrigeration, badges at the robot.
 */
import {
  type ActionContext,
  ActionStatus,
  type AgvAdapterDebugger,
  type AgvController,
  type AttachContext,
  type DetachContext,
  type Factsheet as LibFactsheet,
  type Headerless,
  type State as LibState,
  Topic,
  type TraverseEdgeContext,
  type VirtualActionDefinition,
  VirtualAgvAdapter,
  type VirtualAgvAdapterOptions,
} from 'vda-5050-lib';
import {
  type CompartmentStatus,
  compartmentInformation,
  compartmentLoad,
  type Information,
  type Load,
  MEDLOOP_ACTION_TYPES,
  MEDLOOP_FACTSHEET_ACTIONS,
  MEDLOOP_PARAMS,
  stringParameter,
  WAITING_INFO_TYPE,
} from '#contracts';

export interface CompartmentSpec {
  compartmentId: string;
  refrigerated?: boolean;
}

export interface MedloopCompartmentAdapterOptions extends VirtualAgvAdapterOptions {
  /** The robot's compartments; C1–C3 (C3 refrigerated) as MedLoop's own simulator when absent. */
  compartments?: CompartmentSpec[];
  /** A wait without `timeoutS` fails after this many (real) seconds; default 600. */
  defaultWaitTimeoutS?: number;
}

export const DEFAULT_COMPARTMENTS: readonly CompartmentSpec[] = [{ compartmentId: 'C1' }, { compartmentId: 'C2' }, { compartmentId: 'C3', refrigerated: true }];

type PartialState = Partial<Headerless<LibState>>;

interface RunningWait {
  context: ActionContext;
  timer: NodeJS.Timeout;
  recipientId: string | undefined;
}

export class MedloopCompartmentAdapter extends VirtualAgvAdapter {
  private readonly compartments = new Map<string, CompartmentStatus>();
  private readonly waits = new Map<string, RunningWait>();
  private readonly waitTimeoutS: number;

  constructor(controller: AgvController, adapterOptions: MedloopCompartmentAdapterOptions, debug: AgvAdapterDebugger) {
    super(controller, adapterOptions, debug);
    for (const c of adapterOptions.compartments ?? DEFAULT_COMPARTMENTS) {
      this.compartments.set(c.compartmentId, { compartmentId: c.compartmentId, door: 'CLOSED', lock: 'LOCKED', refrigerated: c.refrigerated ?? false });
    }
    this.waitTimeoutS = adapterOptions.defaultWaitTimeoutS ?? 600;
  }

  override get name(): string {
    return 'MedloopCompartmentAdapter';
  }

  override attach(context: AttachContext): void {
    super.attach({
      // the compartments are in the very first state, so a controller never sees a robot
      // without them (MedLoop loads only into compartments the robot reports)
      attached: (initialState) => context.attached({ ...initialState, ...this.compartmentState() }),
    });
    // super.attach handed the controller an empty factsheet: ours replaces it, and is published
    // now because MedLoop (like most controllers) does not send a factsheetRequest
    const factsheet = this.factsheet();
    this.controller.updateFactsheet(factsheet);
    this.controller.publish(Topic.Factsheet, factsheet, { retainMessage: true, dropIfOffline: true }).catch((err: unknown) => {
      this.debug('could not publish the factsheet: %s', err);
    });
  }

  override detach(context: DetachContext): void {
    for (const w of this.waits.values()) clearTimeout(w.timer);
    this.waits.clear();
    super.detach(context);
  }

  override executeAction(context: ActionContext): void {
    switch (context.action.actionType) {
      case MEDLOOP_ACTION_TYPES.waitForRecipient:
        return this.startWait(context);
      case MEDLOOP_ACTION_TYPES.trigger:
        return this.trigger(context);
      default:
        return super.executeAction(context);
    }
  }

  override cancelAction(context: ActionContext): void {
    const w = this.waits.get(context.action.actionId);
    if (!w) return super.cancelAction(context);
    this.endWait(w, { actionStatus: ActionStatus.Failed, errorDescription: 'wait canceled with the order' });
  }

  override traverseEdge(context: TraverseEdgeContext): void {
    const endMap = context.endNode.nodePosition?.mapId;
    super.traverseEdge({
      ...context,
      edgeTraversed: () => {
        // a lift ride: the robot now stands on the other floor's map; reported before the
        // controller publishes the state that names the end node
        const position = this.vehicleState.position;
        if (endMap !== undefined && position.mapId !== endMap) {
          this.debug('relocalised on map %s (was %s)', endMap, position.mapId);
          (position as { mapId: string }).mapId = endMap;
          const { lastNodeId: _, ...agvPosition } = position;
          this.controller.updateAgvPositionVelocity(agvPosition);
        }
        context.edgeTraversed();
      },
    });
  }

  /** The stock actions plus MedLoop's; the library checks parameters and scopes against them. */
  protected override get actionDefinitions(): VirtualActionDefinition[] {
    const str = (v: unknown) => typeof v === 'string' && v.length > 0;
    const optStr = (v: unknown) => v === undefined || typeof v === 'string';
    const unknown = (action: ActionContext['action']) => {
      const id = stringParameter(action, MEDLOOP_PARAMS.compartmentId);
      return id !== undefined && this.compartments.has(id) ? '' : `unknown compartment ${String(id)}`;
    };
    return [
      ...super.actionDefinitions,
      {
        actionType: MEDLOOP_ACTION_TYPES.unlockCompartment,
        actionScopes: ['instant', 'node'],
        actionParameterConstraints: { compartmentId: str, recipientId: optStr, unlockToken: optStr },
        actionExecutable: (action) => unknown(action),
        transitions: {
          ON_INIT: { next: ActionStatus.Finished },
          [ActionStatus.Finished]: {
            resultDescription: (c) => `compartment ${stringParameter(c.action, MEDLOOP_PARAMS.compartmentId)} unlocked`,
            linkedState: (c) => this.setLock(c.action, 'UNLOCKED'),
          },
          [ActionStatus.Failed]: { errorDescription: () => 'unlock failed' },
        },
      },
      {
        actionType: MEDLOOP_ACTION_TYPES.lockCompartment,
        actionScopes: ['instant', 'node'],
        actionParameterConstraints: { compartmentId: str },
        actionExecutable: (action) => {
          const why = unknown(action);
          if (why) return why;
          const c = this.compartments.get(stringParameter(action, MEDLOOP_PARAMS.compartmentId)!)!;
          return c.door === 'OPEN' ? `compartment ${c.compartmentId} cannot lock: its door is OPEN` : '';
        },
        transitions: {
          ON_INIT: { next: ActionStatus.Finished },
          [ActionStatus.Finished]: {
            resultDescription: (c) => `compartment ${stringParameter(c.action, MEDLOOP_PARAMS.compartmentId)} locked`,
            linkedState: (c) => this.setLock(c.action, 'LOCKED'),
          },
          [ActionStatus.Failed]: { errorDescription: () => 'lock failed' },
        },
      },
      // executed by startWait/trigger below (they end on outside events, not on a duration);
      // declared here so that the library finds them executable and checks their parameters
      {
        actionType: MEDLOOP_ACTION_TYPES.waitForRecipient,
        actionScopes: 'node',
        actionParameterConstraints: {
          recipientId: str,
          compartmentId: optStr,
          timeoutS: (v) => v === undefined || (typeof v === 'number' && v > 0) || (typeof v === 'string' && Number(v) > 0),
        },
        transitions: {
          ON_INIT: { next: ActionStatus.Running },
          [ActionStatus.Finished]: { resultDescription: () => 'recipient confirmed' },
          [ActionStatus.Failed]: { errorDescription: () => 'no recipient' },
        },
      },
      {
        actionType: MEDLOOP_ACTION_TYPES.trigger,
        actionScopes: 'instant',
        actionParameterConstraints: { actionId: optStr },
        transitions: {
          ON_INIT: { next: ActionStatus.Finished },
          [ActionStatus.Finished]: { resultDescription: () => 'triggered' },
          [ActionStatus.Failed]: { errorDescription: () => 'trigger failed' },
        },
      },
    ];
  }

  /** What this robot reports about its compartments right now (state.information and loads). */
  compartmentStatus(): CompartmentStatus[] {
    return [...this.compartments.values()].map((c) => ({ ...c }));
  }

  private startWait(context: ActionContext): void {
    const { action } = context;
    const timeoutS = Number(stringParameter(action, MEDLOOP_PARAMS.timeoutS) ?? this.waitTimeoutS);
    const w: RunningWait = {
      context,
      recipientId: stringParameter(action, MEDLOOP_PARAMS.recipientId),
      timer: setTimeout(() => this.endWait(w, { actionStatus: ActionStatus.Failed, errorDescription: `no recipient within ${timeoutS} s` }), timeoutS * 1000),
    };
    this.waits.set(action.actionId, w);
    context.updateActionStatus({ actionStatus: ActionStatus.Running, linkedState: this.compartmentState() });
  }

  private trigger(context: ActionContext): void {
    const target = stringParameter(context.action, MEDLOOP_PARAMS.actionId);
    const released = [...this.waits.values()].filter((w) => target === undefined || w.context.action.actionId === target);
    context.updateActionStatus({ actionStatus: ActionStatus.Finished, resultDescription: `released ${released.length} wait(s)` });
    for (const w of released) this.endWait(w, { actionStatus: ActionStatus.Finished, resultDescription: 'recipient confirmed' });
  }

  private endWait(w: RunningWait, change: { actionStatus: ActionStatus; resultDescription?: string; errorDescription?: string }): void {
    clearTimeout(w.timer);
    if (!this.waits.delete(w.context.action.actionId)) return;
    w.context.updateActionStatus({ ...change, linkedState: this.compartmentState() });
  }

  private setLock(action: ActionContext['action'], lock: 'LOCKED' | 'UNLOCKED'): PartialState {
    const c = this.compartments.get(stringParameter(action, MEDLOOP_PARAMS.compartmentId)!);
    if (c) c.lock = lock;
    return this.compartmentState();
  }

  private compartmentState(): PartialState {
    const information: Information[] = [...this.compartments.values()].map(compartmentInformation);
    for (const w of this.waits.values()) {
      information.push({
        infoType: WAITING_INFO_TYPE,
        infoLevel: 'INFO',
        infoReferences: [
          { referenceKey: 'actionId', referenceValue: w.context.action.actionId },
          { referenceKey: 'actionType', referenceValue: w.context.action.actionType },
          ...(w.recipientId ? [{ referenceKey: 'recipientId', referenceValue: w.recipientId }] : []),
        ],
        infoDescription: `waiting for recipient ${w.recipientId ?? '(any)'}`,
      });
    }
    const loads = [...this.compartments.values()].map(compartmentLoad).filter((l): l is Load => l !== undefined);
    // MedLoop's contract types spell enums as string literals, the library's as TS enums with
    // the same values: the JSON is identical
    return { information, loads } as unknown as PartialState;
  }

  private factsheet(): Headerless<LibFactsheet> {
    const ids = [...this.compartments.keys()];
    const standard = super.actionDefinitions.map((d) => ({
      actionType: d.actionType,
      actionScopes: (Array.isArray(d.actionScopes) ? d.actionScopes : [d.actionScopes]).map((s) => s.toUpperCase()),
    }));
    const sheet = {
      typeSpecification: {
        seriesName: 'vda-5050-lib VirtualAgv + MedLoop compartments',
        seriesDescription: 'The virtual AGV of vda-5050-lib with MedLoop lockable drug compartments',
        agvKinematic: 'DIFF',
        agvClass: 'CARRIER',
        maxLoadMass: 15,
        localizationTypes: ['NATURAL'],
        navigationTypes: ['AUTONOMOUS'],
      },
      physicalParameters: { speedMin: 0, speedMax: this.options.vehicleSpeed, accelerationMax: 1, decelerationMax: 1, heightMax: 1.3, width: 0.6, length: 0.8 },
      protocolLimits: { maxStringLens: {}, maxArrayLens: {}, timing: { minOrderInterval: 0.1, minStateInterval: 0.1 } },
      protocolFeatures: { optionalParameters: [], agvActions: [...standard, ...MEDLOOP_FACTSHEET_ACTIONS] },
      agvGeometry: {},
      loadSpecification: {
        loadPositions: ids,
        loadSets: [{ setName: 'compartments', loadType: 'medloop.dose', loadPositions: ids }],
      },
    };
    return sheet as unknown as Headerless<LibFactsheet>;
  }
}
