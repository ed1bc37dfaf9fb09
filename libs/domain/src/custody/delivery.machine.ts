/**
 * Lifecycle of one robot delivery mission carrying doses in locked compartments (a FHIR Task).
 * Owns the transition table and the FHIR Task.status mapping. Per-dose custody lives in the
 * dose machine; this table is about the mission and who holds the compartments.
 */
import { defineMachine, type StateOf } from '../state-machine/machine.js';
import type { TaskStatus } from './standards.js';

export const deliveryMachine = defineMachine({
  name: 'delivery',
  initial: 'building',
  states: {
    // A delivery whose doses may not ride a robot (a controlled drug under the site's policy)
    // goes by hand: a named courier takes the checked doses straight from the pharmacy.
    building: { to: ['loaded', 'escalated_manual', 'cancelled'] },
    // Compartments locked. Reopening to add or remove a dose goes back to `building`.
    loaded: { to: ['dispatched', 'building', 'escalated_manual', 'cancelled'] },
    // From dispatch on, doses are aboard: the mission can no longer be cancelled, only
    // recalled, failed, or handed to a human. A mission that fails before the robot departs
    // (the robot refused the order) ends the delivery `returned`: the doses never left the
    // pharmacy and are taken back there; failing it would leave it to the lost-delivery timers.
    dispatched: { to: ['in_transit', 'recalled', 'failed', 'escalated_manual', 'returned'] },
    in_transit: { to: ['arrived', 'recalled', 'failed', 'escalated_manual'] },
    // Nobody came to unlock in time, or the order was stopped: the robot is sent back.
    arrived: { to: ['unlocked', 'recalled', 'failed', 'escalated_manual'] },
    // Items left in the compartment after the nurse closes it travel back with the robot.
    unlocked: { to: ['completed', 'recalled', 'failed', 'escalated_manual'] },
    completed: { to: [], terminal: true },

    recalled: { to: ['returning', 'failed', 'escalated_manual'] },
    returning: { to: ['returned', 'failed', 'escalated_manual'] },
    returned: { to: [], terminal: true },
    // A failed mission may still hold doses, so it is not an end: the robot recovers and
    // comes back, or a human takes custody explicitly.
    failed: { to: ['recalled', 'escalated_manual'] },
    escalated_manual: { to: ['completed', 'returned'] },
    cancelled: { to: [], terminal: true },
  },
});

export type DeliveryState = StateOf<typeof deliveryMachine>;

/**
 * Task.businessStatus carries the fine-grained state. A recall is still work in progress
 * until the robot is back; the returned mission then ends as `cancelled` (not completed).
 */
export const DELIVERY_FHIR_TASK_STATUS: Readonly<Record<DeliveryState, TaskStatus>> = {
  building: 'draft',
  loaded: 'ready',
  dispatched: 'accepted',
  in_transit: 'in-progress',
  arrived: 'in-progress',
  unlocked: 'in-progress',
  completed: 'completed',
  recalled: 'in-progress',
  returning: 'in-progress',
  returned: 'cancelled',
  failed: 'failed',
  escalated_manual: 'in-progress',
  cancelled: 'cancelled',
};
