/**
 * Cold-chain status of one storage unit (fridge, refrigerated cabinet drawer, robot
 * compartment) as data, so the soundness check covers it. `normal` is the accepting state:
 * a unit's life "ends well" whenever it is back in range with nothing pending.
 *
 *   normal ⇄ warning            near a limit for minWarningS (not an alarm)
 *   normal|warning → excursion  out of range for minExcursionS (alarm, exposure window opens)
 *   excursion ⇄ recovering      back inside the hysteresis band / out again
 *   recovering → normal|warning in band for recoverS (exposure window closes)
 *   excursion → quarantine      excursion lasted quarantineAfterS (stock locked)
 *   quarantine → normal         only by a pharmacist (release or destroy), never by itself
 */
import { defineMachine, type StateOf } from '../state-machine/machine.js';

export const coldChainMachine = defineMachine({
  name: 'cold-chain',
  initial: 'normal',
  states: {
    normal: { to: ['warning', 'excursion'], terminal: true },
    warning: { to: ['normal', 'excursion'] },
    excursion: { to: ['recovering', 'quarantine'] },
    recovering: { to: ['excursion', 'normal', 'warning'] },
    quarantine: { to: ['normal'] },
  },
});

export type ColdChainStatus = StateOf<typeof coldChainMachine>;
export const COLD_CHAIN_STATUSES = Object.keys(coldChainMachine.states) as ColdChainStatus[];

export interface ColdChainProfile {
  /** °C, inclusive limits of the storage range. */
  readonly min: number;
  readonly max: number;
  /** °C inside a limit that counts as "close to the edge" (warning). */
  readonly warnMargin: number;
  /** °C a reading must be back inside a limit to count as recovered; stops flapping at the edge. */
  readonly hysteresis: number;
  /** Seconds near an edge before `warning`. */
  readonly minWarningS: number;
  /** Seconds continuously out of range before `excursion`: one noisy reading or a door opened for a pick does not alarm. */
  readonly minExcursionS: number;
  /** Seconds from the excursion's start until `quarantine`; 0 = quarantine as soon as an excursion is confirmed. */
  readonly quarantineAfterS: number;
  /** Seconds continuously back in band before the excursion is over. */
  readonly recoverS: number;
}

/**
 * 2–8 °C refrigerated storage. 10 minutes out of range is a real excursion (door left open,
 * compressor failure) rather than a pick; after 30 minutes stability can no longer be assumed
 * and the stock is locked for a pharmacist's decision.
 */
export const REFRIGERATED_PROFILE: ColdChainProfile = {
  min: 2,
  max: 8,
  warnMargin: 0.5,
  hysteresis: 0.5,
  minWarningS: 120,
  minExcursionS: 600,
  quarantineAfterS: 1800,
  recoverS: 300,
};
