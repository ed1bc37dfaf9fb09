/**
 * MedLoop's product extension of VDA 5050 for lockable drug compartments (see EXTENSIONS.md).
 *
 * VDA 5050 has no compartment model, so everything here is expressed with fields the
 * official schemas already allow: custom action types, string action parameters (valid in
 * 2.0 and 2.1), `state.loads[]` for what is inside, and `state.information[]` for door and
 * lock status. A stock VDA 5050 controller therefore still validates and displays our robots.
 */
import type { Action, ActionParameterValue, BlockingType, FactsheetAgvAction, Information, Load, State } from './vda5050.types.js';

export const MEDLOOP_ACTION_TYPES = {
  /** NODE/INSTANT: release the lock of one compartment. */
  unlockCompartment: 'medloop.unlockCompartment',
  /** NODE/INSTANT: lock one compartment; fails while its door is open. */
  lockCompartment: 'medloop.lockCompartment',
  /** NODE: wait until the named recipient identifies at the robot (badge) or a trigger arrives. */
  waitForRecipient: 'medloop.waitForRecipient',
  /** INSTANT: complete a running waitForTrigger / waitForRecipient (remote confirmation). */
  trigger: 'medloop.trigger',
} as const;
export type MedloopActionType = (typeof MEDLOOP_ACTION_TYPES)[keyof typeof MEDLOOP_ACTION_TYPES];

/** Action parameter keys used by the extension (on custom and on standard pick/drop actions). */
export const MEDLOOP_PARAMS = {
  compartmentId: 'compartmentId',
  recipientId: 'recipientId',
  /** Opaque one-time value for the robot's audit log; never echoed in state. */
  unlockToken: 'unlockToken',
  /** On `medloop.trigger`: which waiting action to complete (all waiting ones if absent). */
  actionId: 'actionId',
  /** On waits: fail the action after this many seconds (stuck waits must end). */
  timeoutS: 'timeoutS',
  loadId: 'loadId',
  loadType: 'loadType',
} as const;

export const COMPARTMENT_INFO_TYPE = 'medloop.compartment';
/** information[] entry telling staff why the robot stands still (a running wait action). */
export const WAITING_INFO_TYPE = 'medloop.waiting';

export const MEDLOOP_LOAD_TYPES = {
  dose: 'medloop.dose',
  refrigeratedDose: 'medloop.dose.refrigerated',
} as const;

export const MEDLOOP_ERROR_TYPES = {
  /** Unknown compartment, door open on lock, occupied on pick, … (WARNING). */
  compartment: 'medloop.compartmentError',
  /** A wait action ran past its timeoutS (WARNING). */
  waitTimeout: 'medloop.waitTimeout',
} as const;

export type DoorStatus = 'OPEN' | 'CLOSED';
export type LockStatus = 'LOCKED' | 'UNLOCKED';

export interface CompartmentStatus {
  compartmentId: string;
  door: DoorStatus;
  lock: LockStatus;
  refrigerated?: boolean;
  /** Air temperature in °C (refrigerated compartments report it); absent when not reported or unreadable. */
  temperatureC?: number;
  /** Dose / delivery id of the content; absent when empty. */
  loadId?: string;
  loadType?: string;
}

/** The `state.information[]` entry that reports one compartment's door and lock. */
export function compartmentInformation(c: CompartmentStatus): Information {
  const refs = [
    { referenceKey: 'compartmentId', referenceValue: c.compartmentId },
    { referenceKey: 'door', referenceValue: c.door },
    { referenceKey: 'lock', referenceValue: c.lock },
  ];
  if (c.refrigerated !== undefined) refs.push({ referenceKey: 'refrigerated', referenceValue: String(c.refrigerated) });
  if (c.temperatureC !== undefined && Number.isFinite(c.temperatureC)) refs.push({ referenceKey: 'temperatureC', referenceValue: c.temperatureC.toFixed(1) });
  return {
    infoType: COMPARTMENT_INFO_TYPE,
    infoLevel: 'INFO',
    infoReferences: refs,
    infoDescription: `compartment ${c.compartmentId}: door ${c.door}, ${c.lock}${c.loadId ? `, holds ${c.loadId}` : ', empty'}`,
  };
}

/** The `state.loads[]` entry for an occupied compartment; undefined when it is empty. */
export function compartmentLoad(c: CompartmentStatus): Load | undefined {
  if (!c.loadId) return undefined;
  const loadType = c.loadType ?? (c.refrigerated ? MEDLOOP_LOAD_TYPES.refrigeratedDose : MEDLOOP_LOAD_TYPES.dose);
  return { loadId: c.loadId, loadType, loadPosition: c.compartmentId };
}

/** Read every compartment a state reports (information entries joined with loads). */
export function readCompartments(state: Pick<State, 'information' | 'loads'>): CompartmentStatus[] {
  const result: CompartmentStatus[] = [];
  for (const info of state.information ?? []) {
    if (info.infoType !== COMPARTMENT_INFO_TYPE) continue;
    const ref = (key: string) => info.infoReferences?.find((r) => r.referenceKey === key)?.referenceValue;
    const compartmentId = ref('compartmentId');
    if (!compartmentId) continue;
    const status: CompartmentStatus = {
      compartmentId,
      door: ref('door') === 'OPEN' ? 'OPEN' : 'CLOSED',
      // Anything but an explicit LOCKED is treated as unlocked: the safe reading for custody.
      lock: ref('lock') === 'LOCKED' ? 'LOCKED' : 'UNLOCKED',
    };
    const refrigerated = ref('refrigerated');
    if (refrigerated !== undefined) status.refrigerated = refrigerated === 'true';
    const temperatureC = parseTemperature(ref('temperatureC'));
    if (temperatureC !== undefined) status.temperatureC = temperatureC;
    const load = state.loads?.find((l) => l.loadPosition === compartmentId);
    if (load?.loadId) status.loadId = load.loadId;
    if (load?.loadType) status.loadType = load.loadType;
    result.push(status);
  }
  return result;
}

/** A decimal string such as "4.6" or "-18"; anything else (empty, "NaN", "4.6C", "1e3") reads as absent. */
function parseTemperature(value: string | undefined): number | undefined {
  if (value === undefined || !/^-?\d+(\.\d+)?$/.test(value.trim())) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** A parameter's value, or undefined when the action does not carry it. */
export function actionParameter(action: Pick<Action, 'actionParameters'>, key: string): ActionParameterValue | undefined {
  return action.actionParameters?.find((p) => p.key === key)?.value;
}

/** A parameter as a string (numbers are accepted and stringified); undefined otherwise. */
export function stringParameter(action: Pick<Action, 'actionParameters'>, key: string): string | undefined {
  const value = actionParameter(action, key);
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

interface ActionBase {
  actionId: string;
  blockingType?: BlockingType;
  actionDescription?: string;
}

function build(actionType: string, base: ActionBase, params: Record<string, string | number | undefined>): Action {
  const action: Action = { actionType, actionId: base.actionId, blockingType: base.blockingType ?? 'HARD' };
  if (base.actionDescription) action.actionDescription = base.actionDescription;
  action.actionParameters = Object.entries(params)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => ({ key, value }));
  return action;
}

export function unlockCompartmentAction(o: ActionBase & { compartmentId: string; recipientId?: string; unlockToken?: string }): Action {
  return build(MEDLOOP_ACTION_TYPES.unlockCompartment, o, { compartmentId: o.compartmentId, recipientId: o.recipientId, unlockToken: o.unlockToken });
}

export function lockCompartmentAction(o: ActionBase & { compartmentId: string }): Action {
  return build(MEDLOOP_ACTION_TYPES.lockCompartment, o, { compartmentId: o.compartmentId });
}

export function waitForRecipientAction(o: ActionBase & { recipientId: string; compartmentId?: string; timeoutS?: number }): Action {
  return build(MEDLOOP_ACTION_TYPES.waitForRecipient, o, { recipientId: o.recipientId, compartmentId: o.compartmentId, timeoutS: o.timeoutS });
}

/** Instant action completing a wait (e.g. the nurse confirms at the station instead of the robot). */
export function triggerAction(o: ActionBase & { targetActionId?: string }): Action {
  return build(MEDLOOP_ACTION_TYPES.trigger, { ...o, blockingType: o.blockingType ?? 'NONE' }, { actionId: o.targetActionId });
}

/** Standard `pick`: a dose is placed into a compartment (pharmacy loading). */
export function pickIntoCompartmentAction(o: ActionBase & { compartmentId: string; loadId: string; loadType?: string }): Action {
  return build('pick', o, { compartmentId: o.compartmentId, loadId: o.loadId, loadType: o.loadType });
}

/** Standard `drop`: a dose is taken out of a compartment (handover at the bedside/ward). */
export function dropFromCompartmentAction(o: ActionBase & { compartmentId: string; loadId?: string }): Action {
  return build('drop', o, { compartmentId: o.compartmentId, loadId: o.loadId });
}

/** Factsheet declarations of the custom actions (protocolFeatures.agvActions). */
export const MEDLOOP_FACTSHEET_ACTIONS: readonly FactsheetAgvAction[] = [
  {
    actionType: MEDLOOP_ACTION_TYPES.unlockCompartment,
    actionDescription: 'Unlock one drug compartment.',
    actionScopes: ['INSTANT', 'NODE'],
    actionParameters: [
      { key: 'compartmentId', valueDataType: 'STRING', isOptional: false },
      { key: 'recipientId', valueDataType: 'STRING', isOptional: true },
      { key: 'unlockToken', valueDataType: 'STRING', isOptional: true },
    ],
    resultDescription: 'lock UNLOCKED; door status in information[] (infoType medloop.compartment).',
  },
  {
    actionType: MEDLOOP_ACTION_TYPES.lockCompartment,
    actionDescription: 'Lock one drug compartment; fails while its door is open.',
    actionScopes: ['INSTANT', 'NODE'],
    actionParameters: [{ key: 'compartmentId', valueDataType: 'STRING', isOptional: false }],
    resultDescription: 'lock LOCKED.',
  },
  {
    actionType: MEDLOOP_ACTION_TYPES.waitForRecipient,
    actionDescription: 'Wait at the node until the recipient identifies at the robot or a medloop.trigger arrives.',
    actionScopes: ['NODE'],
    actionParameters: [
      { key: 'recipientId', valueDataType: 'STRING', isOptional: false },
      { key: 'compartmentId', valueDataType: 'STRING', isOptional: true },
      { key: 'timeoutS', valueDataType: 'NUMBER', isOptional: true },
    ],
    resultDescription: 'FINISHED when the recipient was identified; FAILED on timeout.',
  },
  {
    actionType: MEDLOOP_ACTION_TYPES.trigger,
    actionDescription: 'Complete a running waitForTrigger / medloop.waitForRecipient.',
    actionScopes: ['INSTANT'],
    actionParameters: [{ key: 'actionId', valueDataType: 'STRING', isOptional: true }],
  },
];
