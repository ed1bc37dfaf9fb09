import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { RuleViolationError } from '../errors.js';
import { analyseMachine } from '../state-machine/analyse.js';
import { canTransition } from '../state-machine/machine.js';
import {
  evaluateColdChain,
  INITIAL_COLD_CHAIN_STATE,
  releaseQuarantine,
  validateColdChainProfile,
  type ColdChainState,
  type ColdChainTransition,
  type ExposureWindow,
} from './cold-chain.evaluator.js';
import { coldChainMachine, REFRIGERATED_PROFILE, type ColdChainProfile } from './cold-chain.machine.js';

const T0 = Date.UTC(2025, 0, 1, 8, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

/** Feed [secondsFromStart, °C] readings; collect everything emitted. */
function feed(readings: Array<[number, number]>, profile: ColdChainProfile = REFRIGERATED_PROFILE, start: ColdChainState = INITIAL_COLD_CHAIN_STATE) {
  let state = start;
  const transitions: ColdChainTransition[] = [];
  const exposures: ExposureWindow[] = [];
  for (const [s, temperatureC] of readings) {
    const r = evaluateColdChain(profile, state, { temperatureC, at: at(s) });
    state = r.state;
    transitions.push(...r.transitions);
    exposures.push(...r.exposures);
  }
  return { state, transitions, exposures, path: transitions.map((t) => t.to) };
}

/** One reading per minute from `from` to `to` (inclusive) at a constant temperature. */
const minutes = (from: number, to: number, c: number): Array<[number, number]> => Array.from({ length: to - from + 1 }, (_, i) => [(from + i) * 60, c]);

describe('cold-chain machine', () => {
  it('is sound: every status reachable, normal reachable from everywhere', () => {
    expect(analyseMachine(coldChainMachine).problems).toEqual([]);
  });
});

describe('evaluateColdChain', () => {
  it('ignores a single spike: no warning, no excursion', () => {
    const r = feed([...minutes(0, 5, 5), [360, 14], ...minutes(7, 30, 5)]);
    expect(r.transitions).toEqual([]);
    expect(r.state.status).toBe('normal');
  });

  it('warns after minWarningS near a limit and clears with hysteresis', () => {
    const r = feed([...minutes(0, 3, 7.7), [240, 7.2], ...minutes(5, 6, 6.4)]);
    expect(r.path).toEqual(['warning', 'normal']);
    expect(r.transitions[0]).toMatchObject({ from: 'normal', to: 'warning', at: at(120) });
    // 7.2 is below the warning margin (7.5) but not by the hysteresis (7.0): still warning.
    expect(r.transitions[1]!.at).toBe(at(300));
  });

  it('opens an excursion after minExcursionS and dates the exposure from the first out-of-range reading', () => {
    const r = feed([...minutes(0, 2, 5), ...minutes(3, 13, 9.5)]);
    expect(r.path).toEqual(['warning', 'excursion']);
    const excursion = r.transitions.find((t) => t.to === 'excursion')!;
    expect(excursion.at).toBe(at(13 * 60));
    expect(r.exposures).toEqual([{ start: at(180), end: null, minC: 9.5, maxC: 9.5 }]);
  });

  it('does not end an out-of-range run on a reading inside the hysteresis band', () => {
    // 7.8 °C is in range but not back by 0.5 °C: the 10-minute clock keeps running.
    const r = feed([
      [0, 9],
      [240, 7.8],
      [480, 9],
      [600, 9],
    ]);
    expect(r.path).toEqual(['warning', 'excursion']);
    expect(r.exposures[0]!.start).toBe(at(0));
  });

  it('restarts the clock when the temperature is truly back in range', () => {
    const r = feed([
      [0, 9],
      [240, 6],
      [480, 9],
      [600, 9],
    ]);
    expect(r.path).not.toContain('excursion');
  });

  it('quarantines an excursion that lasts quarantineAfterS and never releases by itself', () => {
    const r = feed([...minutes(0, 40, 11), ...minutes(41, 80, 5)]);
    expect(r.path).toEqual(['warning', 'excursion', 'quarantine']);
    expect(r.transitions.at(-1)!.at).toBe(at(30 * 60));
    expect(r.state.status).toBe('quarantine');
    // The window still closes, so the server knows which doses were exposed.
    expect(r.exposures.at(-1)).toEqual({ start: at(0), end: at(41 * 60), minC: 11, maxC: 11 });
  });

  it('recovers to normal after recoverS in band and closes the window', () => {
    const r = feed([...minutes(0, 15, 9), ...minutes(16, 25, 5)]);
    expect(r.path).toEqual(['warning', 'excursion', 'recovering', 'normal']);
    expect(r.exposures.at(-1)).toMatchObject({ start: at(0), end: at(16 * 60), maxC: 9 });
    expect(r.transitions.at(-1)!.at).toBe(at(21 * 60));
  });

  it('goes back to excursion when the temperature leaves the band while recovering', () => {
    const r = feed([...minutes(0, 12, 9), ...minutes(13, 14, 5), ...minutes(15, 16, 9)]);
    expect(r.path).toEqual(['warning', 'excursion', 'recovering', 'excursion']);
    expect(r.exposures).toHaveLength(1);
  });

  it('quarantines at once when quarantineAfterS is 0, and after a long gap', () => {
    expect(feed(minutes(0, 10, 12), { ...REFRIGERATED_PROFILE, quarantineAfterS: 0 }).path).toEqual(['warning', 'excursion', 'quarantine']);
    // Two readings an hour apart, both out: excursion and quarantine in one step.
    expect(
      feed([
        [0, 12],
        [3600, 12],
      ]).path,
    ).toEqual(['excursion', 'quarantine']);
  });

  it('tracks cold excursions (freezing) and records the lowest temperature', () => {
    const r = feed([...minutes(0, 10, 1.5), [660, -0.5]]);
    expect(r.path).toEqual(['warning', 'excursion']);
    expect(r.state.exposure).toMatchObject({ minC: -0.5, maxC: 1.5 });
  });

  it('ignores stale or duplicate readings', () => {
    const first = evaluateColdChain(REFRIGERATED_PROFILE, INITIAL_COLD_CHAIN_STATE, { temperatureC: 5, at: at(60) });
    const again = evaluateColdChain(REFRIGERATED_PROFILE, first.state, { temperatureC: 20, at: at(30) });
    expect(again.ignored).toBe('stale_reading');
    expect(again.state).toBe(first.state);
  });

  it('only emits transitions the machine declares (random readings)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 900 }), fc.double({ min: -5, max: 20, noNaN: true })), { maxLength: 120 }), (steps) => {
        let s = 0;
        const r = feed(steps.map(([dt, c]) => [(s += dt), c]));
        let from = 'normal';
        for (const t of r.transitions) {
          expect(t.from).toBe(from);
          expect(canTransition(coldChainMachine, t.from, t.to)).toBe(true);
          from = t.to;
        }
        expect(r.state.status).toBe(from);
      }),
    );
  });
});

describe('releaseQuarantine', () => {
  const quarantined = feed([...minutes(0, 31, 11), ...minutes(32, 40, 5)]).state;

  it('returns the unit to normal with who and what was decided', () => {
    const { state, transition } = releaseQuarantine(quarantined, { at: at(3000), by: 'pharm-7', disposition: 'destroyed' });
    expect(state.status).toBe('normal');
    expect(transition).toMatchObject({ from: 'quarantine', to: 'normal', by: 'pharm-7', disposition: 'destroyed' });
  });

  it('is refused while still out of range, and outside quarantine', () => {
    const stillOut = feed(minutes(0, 35, 11)).state;
    expect(() => releaseQuarantine(stillOut, { at: at(3000), by: 'p', disposition: 'released' })).toThrow(
      expect.objectContaining({ code: 'cold_chain_still_out_of_range' }),
    );
    expect(() => releaseQuarantine(INITIAL_COLD_CHAIN_STATE, { at: at(1), by: 'p', disposition: 'released' })).toThrow(RuleViolationError);
  });
});

describe('validateColdChainProfile', () => {
  it('accepts the default and names the bad field', () => {
    expect(validateColdChainProfile(REFRIGERATED_PROFILE)).toBe(REFRIGERATED_PROFILE);
    expect(() => validateColdChainProfile({ ...REFRIGERATED_PROFILE, min: 9 })).toThrow(expect.objectContaining({ field: 'min' }));
    expect(() => validateColdChainProfile({ ...REFRIGERATED_PROFILE, warnMargin: 3 })).toThrow(expect.objectContaining({ field: 'warnMargin' }));
  });
});
