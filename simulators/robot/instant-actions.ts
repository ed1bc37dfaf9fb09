/**
 * Handling of instant actions. Quick ones (pause, requests, trigger, initPosition, cancel)
 * take effect at once; the ones with a duration (compartment lock/unlock, charging) join
 * the model's active actions and run on its clock.
 */
import { actionParameter, MEDLOOP_ACTION_TYPES, MEDLOOP_PARAMS, stringParameter, type Action } from '#contracts';
import { ACTION_BEHAVIOURS, track, transition, type TrackedAction } from './actions.js';
import { triggerWaits } from './action-progress.js';
import type { RobotModel } from './robot-model.js';

export interface InstantOutcome {
  stateRequested: boolean;
  factsheetRequested: boolean;
}

function complete(t: TrackedAction, result?: string): void {
  transition(t, 'INITIALIZING');
  transition(t, 'RUNNING');
  transition(t, 'FINISHED', result);
}

function reject(model: RobotModel, t: TrackedAction, errorType: string, reason: string): void {
  transition(t, 'FAILED', reason);
  model.addError({
    errorType,
    errorLevel: 'WARNING',
    errorDescription: reason,
    errorReferences: [{ referenceKey: 'actionId', referenceValue: t.action.actionId }],
  });
}

export function applyInstantActions(model: RobotModel, actions: readonly Action[]): InstantOutcome {
  const outcome: InstantOutcome = { stateRequested: false, factsheetRequested: false };
  for (const action of actions) {
    const t = track(action, 'INSTANT');
    model.addInstantState(t);
    model.emit('action', `instant ${action.actionType} ${action.actionId}`);
    switch (action.actionType) {
      case 'cancelOrder':
        if (model.idle()) reject(model, t, 'noOrderToCancel', 'no active order to cancel');
        else {
          transition(t, 'INITIALIZING');
          transition(t, 'RUNNING');
          model.startCancel(t);
        }
        break;
      case 'startPause':
      case 'stopPause':
        model.paused = action.actionType === 'startPause';
        complete(t);
        break;
      case 'stateRequest':
        outcome.stateRequested = true;
        complete(t);
        break;
      case 'factsheetRequest':
        outcome.factsheetRequested = true;
        complete(t);
        break;
      case 'initPosition':
        initPosition(model, t);
        break;
      case MEDLOOP_ACTION_TYPES.trigger: {
        const target = stringParameter(action, MEDLOOP_PARAMS.actionId);
        if (triggerWaits(model.active, target) === 0) reject(model, t, 'actionFailed', `no waiting action${target ? ` ${target}` : ''} to trigger`);
        else complete(t);
        break;
      }
      default:
        if (ACTION_BEHAVIOURS[action.actionType]) model.active.push(t);
        else reject(model, t, 'actionFailed', `unsupported instant action ${action.actionType}`);
    }
  }
  model.markDirty();
  return outcome;
}

function initPosition(model: RobotModel, t: TrackedAction): void {
  if (!model.idle()) return reject(model, t, 'actionFailed', 'initPosition is refused while an order is active');
  const num = (key: string) => actionParameter(t.action, key);
  const x = num('x');
  const y = num('y');
  const mapId = stringParameter(t.action, 'mapId');
  if (typeof x !== 'number' || typeof y !== 'number' || mapId === undefined) {
    return reject(model, t, 'actionFailed', 'initPosition needs numeric x, y and a mapId');
  }
  const theta = num('theta');
  model.pose = { x, y, mapId, theta: typeof theta === 'number' ? theta : 0 };
  model.positionInitialized = true;
  model.lastNodeId = stringParameter(t.action, 'lastNodeId') ?? '';
  model.lastNodeSequenceId = 0;
  complete(t);
}
