/**
 * Action execution as data: the legal status transitions, and per action type how long it
 * initialises and runs and what it does to the robot when it starts and ends. The robot
 * model drives the clock; this module decides nothing about orders or motion.
 */
import { MEDLOOP_ACTION_TYPES as MEDLOOP, MEDLOOP_PARAMS, stringParameter, type Action, type ActionState, type ActionStatus } from '#contracts';
import type { CompartmentBank } from './compartments.js';

export type ActionScope = 'NODE' | 'EDGE' | 'INSTANT';

export const ACTION_TRANSITIONS: Readonly<Record<ActionStatus, readonly ActionStatus[]>> = {
  WAITING: ['INITIALIZING', 'FAILED'],
  INITIALIZING: ['RUNNING', 'FAILED'],
  RUNNING: ['FINISHED', 'FAILED'],
  FINISHED: [],
  FAILED: [],
};

export interface TrackedAction {
  action: Action;
  scope: ActionScope;
  status: ActionStatus;
  /** Simulated seconds spent in the current status. */
  elapsedS: number;
  resultDescription?: string;
  /** Set by a trigger (instant action, badge at the robot) to end a wait. */
  triggered?: boolean;
}

export function track(action: Action, scope: ActionScope): TrackedAction {
  return { action, scope, status: 'WAITING', elapsedS: 0 };
}

export function isDone(t: TrackedAction): boolean {
  return t.status === 'FINISHED' || t.status === 'FAILED';
}

/** Move an action to `to`; an illegal move is a simulator bug, so it throws. */
export function transition(t: TrackedAction, to: ActionStatus, resultDescription?: string): void {
  if (!ACTION_TRANSITIONS[t.status].includes(to)) {
    throw new Error(`illegal action transition ${t.status} -> ${to} for ${t.action.actionId}`);
  }
  t.status = to;
  t.elapsedS = 0;
  if (resultDescription !== undefined) t.resultDescription = resultDescription;
}

export function toActionState(t: TrackedAction): ActionState {
  const s: ActionState = { actionId: t.action.actionId, actionType: t.action.actionType, actionStatus: t.status };
  if (t.action.actionDescription) s.actionDescription = t.action.actionDescription;
  if (t.resultDescription) s.resultDescription = t.resultDescription;
  return s;
}

/** What actions may do to the robot. Implemented by the robot model. */
export interface ActionHost {
  readonly compartments: CompartmentBank;
  atCharger(): boolean;
  setCharging(charging: boolean): void;
}

export interface ActionBehaviour {
  initS: number;
  /** Seconds RUNNING; 'trigger' = until triggered (or timeoutS), 0 = done at once. */
  runS: number | 'trigger';
  /** Called when RUNNING starts; returns a failure reason. */
  start?(host: ActionHost, action: Action): string | undefined;
  /** Called when RUNNING ends normally; returns a failure reason. */
  finish?(host: ActionHost, action: Action): string | undefined;
}

const compartmentOf = (a: Action) => stringParameter(a, MEDLOOP_PARAMS.compartmentId);

export const ACTION_BEHAVIOURS: Readonly<Record<string, ActionBehaviour>> = {
  pick: {
    initS: 0.5,
    runS: 4,
    start: (host, a) => {
      const id = compartmentOf(a);
      return id === undefined ? undefined : host.compartments.open(id);
    },
    finish: (host, a) => {
      const id = compartmentOf(a);
      if (id === undefined) return undefined;
      const failure = host.compartments.place(id, stringParameter(a, MEDLOOP_PARAMS.loadId) ?? a.actionId, stringParameter(a, MEDLOOP_PARAMS.loadType));
      host.compartments.close(id);
      return failure;
    },
  },
  drop: {
    initS: 0.5,
    runS: 4,
    start: (host, a) => {
      const id = compartmentOf(a);
      return id === undefined ? undefined : host.compartments.open(id);
    },
    finish: (host, a) => {
      const id = compartmentOf(a);
      if (id === undefined) return undefined;
      const failure = host.compartments.take(id, stringParameter(a, MEDLOOP_PARAMS.loadId));
      host.compartments.close(id);
      return failure;
    },
  },
  [MEDLOOP.unlockCompartment]: {
    initS: 0.2,
    runS: 0.8,
    start: (host, a) => (compartmentOf(a) === undefined ? 'compartmentId parameter missing' : host.compartments.unlock(compartmentOf(a)!)),
  },
  [MEDLOOP.lockCompartment]: {
    initS: 0.2,
    runS: 0.8,
    finish: (host, a) => (compartmentOf(a) === undefined ? 'compartmentId parameter missing' : host.compartments.lock(compartmentOf(a)!)),
  },
  [MEDLOOP.waitForRecipient]: { initS: 0, runS: 'trigger' },
  waitForTrigger: { initS: 0, runS: 'trigger' },
  startCharging: {
    initS: 1,
    runS: 1,
    start: (host) => (host.atCharger() ? undefined : 'not at a charging station'),
    finish: (host) => {
      host.setCharging(true);
      return undefined;
    },
  },
  stopCharging: {
    initS: 0.5,
    runS: 0.5,
    finish: (host) => {
      host.setCharging(false);
      return undefined;
    },
  },
  finePositioning: { initS: 0.5, runS: 3 },
  detectObject: { initS: 0.2, runS: 1 },
  logReport: { initS: 0, runS: 0 },
};
