/**
 * Count discrepancies of one pocket. A mismatch opens one; further counts are recorded as
 * recounts (a matching recount does not close it by itself: someone still has to say why the
 * first count was off); only a resolution with a reason closes it.
 */
import { defineMachine, type StateOf } from '../state-machine/machine.js';

export const discrepancyMachine = defineMachine({
  name: 'pocket-discrepancy',
  initial: 'none',
  states: {
    none: { to: ['open'], terminal: true },
    open: { to: ['recounted', 'resolved'] },
    recounted: { to: ['resolved'] },
    resolved: { to: ['open'], terminal: true },
  },
});

export type DiscrepancyStatus = StateOf<typeof discrepancyMachine>;
