/**
 * Advances one action through WAITING → INITIALIZING → RUNNING → FINISHED/FAILED using the
 * behaviour table, and completes waits when a trigger or the awaited recipient arrives.
 */
import {
  actionParameter,
  MEDLOOP_ACTION_TYPES,
  MEDLOOP_ERROR_TYPES,
  MEDLOOP_PARAMS,
  stringParameter,
  WAITING_INFO_TYPE,
  type Information,
  type VdaError,
} from '#contracts';
import { ACTION_BEHAVIOURS, isDone, transition, type ActionHost, type TrackedAction } from './actions.js';
import type { RobotEventKind } from './robot-model.js';

export interface ActionRobot extends ActionHost {
  addError(error: VdaError): void;
  emit(kind: RobotEventKind, text: string): void;
  markDirty(): void;
}

const label = (t: TrackedAction) => `${t.action.actionType} ${t.action.actionId}`;

function fail(robot: ActionRobot, t: TrackedAction, reason: string, errorType?: string): void {
  transition(t, 'FAILED', reason);
  const compartmentAction = stringParameter(t.action, MEDLOOP_PARAMS.compartmentId) !== undefined;
  robot.addError({
    errorType: errorType ?? (compartmentAction ? MEDLOOP_ERROR_TYPES.compartment : 'actionFailed'),
    errorLevel: 'WARNING',
    errorDescription: `${label(t)} failed: ${reason}`,
    errorReferences: [
      { referenceKey: 'actionId', referenceValue: t.action.actionId },
      { referenceKey: 'actionType', referenceValue: t.action.actionType },
    ],
  });
  robot.emit('action', `${label(t)} FAILED: ${reason}`);
  robot.markDirty();
}

function finish(robot: ActionRobot, t: TrackedAction): void {
  transition(t, 'FINISHED');
  robot.emit('action', `${label(t)} FINISHED`);
  robot.markDirty();
}

/** Spend dtS simulated seconds on an INITIALIZING or RUNNING action. */
export function progressAction(robot: ActionRobot, t: TrackedAction, dtS: number): void {
  const behaviour = ACTION_BEHAVIOURS[t.action.actionType];
  t.elapsedS += dtS;
  if (t.status === 'INITIALIZING') {
    if (!behaviour) return fail(robot, t, `unsupported action type ${t.action.actionType}`);
    if (t.elapsedS < behaviour.initS) return;
    const failure = behaviour.start?.(robot, t.action);
    if (failure) return fail(robot, t, failure);
    transition(t, 'RUNNING');
    robot.emit('action', `${label(t)} RUNNING`);
    robot.markDirty();
  }
  if (t.status !== 'RUNNING' || !behaviour) return;
  if (behaviour.runS === 'trigger') {
    if (t.triggered) return finish(robot, t);
    const timeout = actionParameter(t.action, MEDLOOP_PARAMS.timeoutS);
    if (typeof timeout === 'number' && t.elapsedS >= timeout) {
      fail(robot, t, `no trigger within ${timeout} s`, MEDLOOP_ERROR_TYPES.waitTimeout);
    }
    return;
  }
  if (t.elapsedS < behaviour.runS) return;
  const failure = behaviour.finish?.(robot, t.action);
  if (failure) fail(robot, t, failure);
  else finish(robot, t);
}

const isWait = (t: TrackedAction) => ACTION_BEHAVIOURS[t.action.actionType]?.runS === 'trigger';

/** Complete waiting actions (all, or the one with `actionId`); returns how many were hit. */
export function triggerWaits(active: readonly TrackedAction[], actionId?: string): number {
  const hits = active.filter((t) => isWait(t) && !isDone(t) && (actionId === undefined || t.action.actionId === actionId));
  for (const t of hits) t.triggered = true;
  return hits.length;
}

/** A person identifies at the robot (badge): completes waitForRecipient for that recipient. */
export function presentBadge(active: readonly TrackedAction[], recipientId: string): number {
  const hits = active.filter(
    (t) => t.action.actionType === MEDLOOP_ACTION_TYPES.waitForRecipient && !isDone(t) && stringParameter(t.action, MEDLOOP_PARAMS.recipientId) === recipientId,
  );
  for (const t of hits) t.triggered = true;
  return hits.length;
}

/** information[] entries explaining running waits, so a nurse station can show why. */
export function waitingInformation(active: readonly TrackedAction[]): Information[] {
  return active
    .filter((t) => isWait(t) && t.status === 'RUNNING')
    .map((t) => {
      const recipient = stringParameter(t.action, MEDLOOP_PARAMS.recipientId);
      const refs = [
        { referenceKey: 'actionId', referenceValue: t.action.actionId },
        { referenceKey: 'actionType', referenceValue: t.action.actionType },
      ];
      if (recipient) refs.push({ referenceKey: 'recipientId', referenceValue: recipient });
      return {
        infoType: WAITING_INFO_TYPE,
        infoLevel: 'INFO',
        infoReferences: refs,
        infoDescription: recipient ? `waiting for recipient ${recipient}` : 'waiting for trigger',
      };
    });
}
