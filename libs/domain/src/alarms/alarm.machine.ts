/**
 * Alarm lifecycle (ISA-18.2 in miniature): raised → acknowledged (by a person) → cleared (the
 * condition is gone). An alarm may clear before anyone acknowledges it; it then stays on the
 * list, flagged unacknowledged, until someone does — a nurse must see that it happened.
 */
import { defineMachine, type StateOf } from '../state-machine/machine.js';

export const alarmMachine = defineMachine({
  name: 'alarm',
  initial: 'raised',
  states: {
    raised: { to: ['acknowledged', 'cleared'] },
    acknowledged: { to: ['cleared'] },
    cleared: { to: [], terminal: true },
  },
});

export type AlarmState = StateOf<typeof alarmMachine>;

export const ALARM_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlarmSeverity = (typeof ALARM_SEVERITIES)[number];
export const ALARM_STATES = ['raised', 'acknowledged', 'cleared'] as const;
