/**
 * What a robot does at a mission stop, in the control plane's words, and its VDA 5050 action.
 *
 * pick / drop / startCharging are predefined VDA 5050 action types. Waiting for the recipient
 * and the compartment lock are MedLoop's custom actions (libs/contracts/src/vda5050/
 * EXTENSIONS.md). A robot without `medloop.waitForRecipient` in its factsheet can be given the
 * standard 2.1 `waitForTrigger` instead through `kind: 'custom'`; we do not substitute it
 * automatically because 2.0 robots do not know it and it cannot carry the recipient.
 */
import { type Action, type ActionParameter, type BlockingType, MEDLOOP_ACTION_TYPES, MEDLOOP_PARAMS, VDA_ACTION_TYPES } from '#contracts';
import { ValidationError } from '../errors.js';

export type StopActionKind = 'pick' | 'drop' | 'waitForRecipient' | 'unlockCompartment' | 'lockCompartment' | 'startCharging' | 'custom';

export interface StopActionSpec {
  kind: StopActionKind;
  /** The VDA 5050 actionType; only (and always) for `kind: 'custom'`. */
  actionType?: string;
  /** Sent as the `compartmentId` parameter; required for unlock/lock. */
  compartmentId?: string;
  /** Further action parameters, e.g. recipientId, loadId, timeoutS, unlockToken. */
  parameters?: Record<string, string | number | boolean>;
  /** Default HARD: a robot must not drive, or do anything else, with a compartment open. */
  blocking?: BlockingType;
  actionDescription?: string;
}

const ACTION_TYPES: Record<Exclude<StopActionKind, 'custom'>, string> = {
  pick: VDA_ACTION_TYPES.pick,
  drop: VDA_ACTION_TYPES.drop,
  startCharging: VDA_ACTION_TYPES.startCharging,
  waitForRecipient: MEDLOOP_ACTION_TYPES.waitForRecipient,
  unlockCompartment: MEDLOOP_ACTION_TYPES.unlockCompartment,
  lockCompartment: MEDLOOP_ACTION_TYPES.lockCompartment,
};

/**
 * Parameters the factsheet declares non-optional. Checked here because a robot would only
 * fail the action at the ward, in front of the nurse, long after the order was accepted.
 */
const REQUIRED_PARAMS: Partial<Record<StopActionKind, readonly string[]>> = {
  waitForRecipient: [MEDLOOP_PARAMS.recipientId],
  unlockCompartment: [MEDLOOP_PARAMS.compartmentId],
  lockCompartment: [MEDLOOP_PARAMS.compartmentId],
};

/** The VDA 5050 action type a stop action is sent as. */
export function vdaActionType(spec: StopActionSpec, field = 'actionType'): string {
  if (spec.kind === 'custom') {
    if (!spec.actionType) throw new ValidationError("a 'custom' stop action needs an actionType", field);
    return spec.actionType;
  }
  if (spec.actionType !== undefined) throw new ValidationError(`actionType is only for 'custom' stop actions, not '${spec.kind}'`, field);
  const type = ACTION_TYPES[spec.kind];
  if (!type) throw new ValidationError(`unknown stop action kind '${String(spec.kind)}'`, field);
  return type;
}

/**
 * One stop action as a VDA 5050 action with the given id. Parameters are sorted by key so
 * the same spec always serialises to the same bytes, whatever order its object was built in.
 * @param field path of the spec for error messages, e.g. `stops[1].actions[0]`
 */
export function stopActionToVda(spec: StopActionSpec, actionId: string, field = 'action'): Action {
  const actionType = vdaActionType(spec, `${field}.actionType`);
  const params: Record<string, string | number | boolean> = { ...spec.parameters };
  if (spec.compartmentId !== undefined) {
    const given = params[MEDLOOP_PARAMS.compartmentId];
    if (given !== undefined && given !== spec.compartmentId) {
      throw new ValidationError(`compartmentId '${spec.compartmentId}' contradicts parameters.compartmentId '${String(given)}'`, `${field}.compartmentId`);
    }
    params[MEDLOOP_PARAMS.compartmentId] = spec.compartmentId;
  }
  for (const key of REQUIRED_PARAMS[spec.kind] ?? []) {
    const value = params[key];
    if (value === undefined || value === '') throw new ValidationError(`'${spec.kind}' needs the parameter ${key}`, `${field}.${key}`);
  }
  const action: Action = { actionType, actionId, blockingType: spec.blocking ?? 'HARD' };
  if (spec.actionDescription) action.actionDescription = spec.actionDescription;
  const keys = Object.keys(params).sort();
  if (keys.length > 0) action.actionParameters = keys.map((key): ActionParameter => ({ key, value: params[key]! }));
  return action;
}
