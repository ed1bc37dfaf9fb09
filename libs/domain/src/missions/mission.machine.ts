/**
 * A transport mission's status as the pharmacist sees it. VDA 5050 has no order status, so
 * the server derives one: queued (waiting for a robot) → assigned → sent → accepted (the
 * robot's state echoes the order) → running ↔ at_stop → finished; failed and cancelled end
 * it early. Pausing (an e-stop or a user's pause) is a flag beside the status, not a status.
 */
import { defineMachine, type StateOf } from '../state-machine/machine.js';

export const missionMachine = defineMachine({
  name: 'mission',
  initial: 'queued',
  states: {
    queued: { to: ['assigned', 'cancelled', 'failed'] },
    // publishing can fail (broker stopping): the mission goes back to the queue
    assigned: { to: ['sent', 'queued', 'failed', 'cancelled'] },
    // a fast robot may report progress before we saw the bare acknowledgement
    sent: { to: ['accepted', 'running', 'at_stop', 'finished', 'failed', 'cancelled'] },
    accepted: { to: ['running', 'at_stop', 'finished', 'failed', 'cancelled'] },
    running: { to: ['at_stop', 'finished', 'failed', 'cancelled'] },
    at_stop: { to: ['running', 'at_stop', 'finished', 'failed', 'cancelled'] },
    finished: { to: [], terminal: true },
    failed: { to: [], terminal: true },
    cancelled: { to: [], terminal: true },
  },
});

export type MissionStatus = StateOf<typeof missionMachine>;
export const MISSION_STATUSES = Object.keys(missionMachine.states) as MissionStatus[];
/** Statuses in which a robot is committed to the mission. */
export const ACTIVE_MISSION_STATUSES: readonly MissionStatus[] = ['assigned', 'sent', 'accepted', 'running', 'at_stop'];
export const MISSION_PRIORITIES = ['stat', 'urgent', 'routine'] as const;
