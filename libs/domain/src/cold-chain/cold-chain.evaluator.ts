/**
 * The cold-chain evaluator: a pure reducer fed one reading at a time. It owns the debouncing
 * (minimum durations, hysteresis) and the exposure windows — the interval during which the
 * stored doses were out of range, which the server uses to find and quarantine every dose
 * that was inside the unit at the time, wherever it is now.
 */
import { RuleViolationError, ValidationError } from '../errors.js';
import { assertTransition } from '../state-machine/machine.js';
import { coldChainMachine, type ColdChainProfile, type ColdChainStatus } from './cold-chain.machine.js';

export interface ColdChainReading {
  readonly temperatureC: number;
  /** ISO 8601 time of the measurement (the device's ts). */
  readonly at: string;
}

export interface ExposureWindow {
  /** Time of the first out-of-range reading of the excursion. */
  readonly start: string;
  /** Time of the first reading back in band, once the unit stayed there for recoverS; null while open. */
  readonly end: string | null;
  readonly minC: number;
  readonly maxC: number;
}

export interface ColdChainTransition {
  readonly from: ColdChainStatus;
  readonly to: ColdChainStatus;
  readonly at: string;
  readonly reason: string;
  /** Set on quarantine release: who decided, and what happened to the stock. */
  readonly by?: string;
  readonly disposition?: QuarantineDisposition;
}

export interface ColdChainState {
  readonly status: ColdChainStatus;
  readonly since: string | null;
  readonly lastAt: string | null;
  readonly lastC: number | null;
  /** Start of the current run of out-of-range readings (ended by a reading inside the hysteresis band). */
  readonly outSince: string | null;
  /** Start of the current run of readings outside the comfortable band. */
  readonly edgeSince: string | null;
  /** Start of the current run of readings inside the hysteresis band. */
  readonly inBandSince: string | null;
  readonly exposure: ExposureWindow | null;
}

export interface ColdChainResult {
  readonly state: ColdChainState;
  readonly transitions: readonly ColdChainTransition[];
  /** Exposure windows opened (end null) or closed by this reading. */
  readonly exposures: readonly ExposureWindow[];
  /** Set when the reading was not used: older than (or as old as) the last one. */
  readonly ignored?: 'stale_reading';
}

export const INITIAL_COLD_CHAIN_STATE: ColdChainState = {
  status: 'normal',
  since: null,
  lastAt: null,
  lastC: null,
  outSince: null,
  edgeSince: null,
  inBandSince: null,
  exposure: null,
};

const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

export function validateColdChainProfile(p: ColdChainProfile): ColdChainProfile {
  const fail = (field: keyof ColdChainProfile, why: string) => {
    throw new ValidationError(`cold-chain profile: ${field} ${why}`, field);
  };
  if (!(p.min < p.max)) fail('min', 'must be below max');
  if (!(p.warnMargin >= 0 && 2 * (p.warnMargin + p.hysteresis) < p.max - p.min)) fail('warnMargin', 'and hysteresis must leave a comfortable band');
  if (!(p.hysteresis >= 0)) fail('hysteresis', 'must not be negative');
  for (const f of ['minWarningS', 'minExcursionS', 'quarantineAfterS', 'recoverS'] as const) if (!(p[f] >= 0)) fail(f, 'must not be negative');
  return p;
}

export function evaluateColdChain(profile: ColdChainProfile, state: ColdChainState, reading: ColdChainReading): ColdChainResult {
  const { temperatureC: t, at } = reading;
  if (!Number.isFinite(t) || Number.isNaN(Date.parse(at)))
    throw new ValidationError('cold-chain reading needs a finite temperatureC and an ISO time', 'temperatureC');
  if (state.lastAt !== null && Date.parse(at) <= Date.parse(state.lastAt)) return { state, transitions: [], exposures: [], ignored: 'stale_reading' };

  const { min, max, warnMargin: w, hysteresis: h } = profile;
  const out = t < min || t > max;
  const backIn = t >= min + h && t <= max - h;
  const edge = out || t < min + w || t > max - w;
  const comfortable = t >= min + w + h && t <= max - w - h;

  // Runs: each starts at its first qualifying reading and ends only on the opposite condition,
  // so readings inside a hysteresis band neither start nor end them.
  const outSince = out ? (state.outSince ?? at) : backIn ? null : state.outSince;
  const edgeSince = edge ? (state.edgeSince ?? at) : comfortable ? null : state.edgeSince;
  const inBandSince = backIn ? (state.inBandSince ?? at) : null;

  const exposures: ExposureWindow[] = [];
  let exposure = state.exposure;
  // Extremes of the window only: readings back in band come after its end.
  if (exposure && !backIn) exposure = { ...exposure, minC: Math.min(exposure.minC, t), maxC: Math.max(exposure.maxC, t) };
  if (!exposure && outSince !== null && seconds(outSince, at) >= profile.minExcursionS) {
    exposure = { start: outSince, end: null, minC: Math.min(t, state.lastC ?? t), maxC: Math.max(t, state.lastC ?? t) };
    exposures.push(exposure);
  }
  let closed = false;
  if (exposure && inBandSince !== null && seconds(inBandSince, at) >= profile.recoverS) {
    exposures.push({ ...exposure, end: inBandSince });
    exposure = null;
    closed = true;
  }

  const transitions: ColdChainTransition[] = [];
  let status = state.status;
  let since = state.since;
  const go = (to: ColdChainStatus, reason: string) => {
    assertTransition(coldChainMachine, status, to);
    transitions.push({ from: status, to, at, reason });
    status = to;
    since = at;
  };

  // Several steps may follow from one reading (e.g. after a long gap: normal → excursion →
  // quarantine); each is a separate, table-checked transition.
  const warned = edgeSince !== null && seconds(edgeSince, at) >= profile.minWarningS;
  for (let step = nextStep(); step; step = nextStep()) go(step[0], step[1]);

  function nextStep(): [ColdChainStatus, string] | null {
    switch (status) {
      case 'normal':
      case 'warning':
        if (exposure) return ['excursion', `out of ${min}–${max} °C since ${exposure.start}`];
        if (status === 'normal' && warned) return ['warning', `near a limit since ${edgeSince}`];
        if (status === 'warning' && edgeSince === null) return ['normal', 'back in the comfortable band'];
        return null;
      case 'excursion':
        if (exposure && out && seconds(exposure.start, at) >= profile.quarantineAfterS)
          return ['quarantine', `excursion since ${exposure.start} reached ${profile.quarantineAfterS} s`];
        if (inBandSince !== null) return ['recovering', 'back inside the hysteresis band'];
        return null;
      case 'recovering':
        if (closed) return warned ? ['warning', 'recovered, still near a limit'] : ['normal', `in band since ${inBandSince}`];
        if (out) return ['excursion', 'out of range again'];
        return null;
      case 'quarantine':
        return null;
    }
  }

  const next: ColdChainState = { status, since, lastAt: at, lastC: t, outSince, edgeSince, inBandSince, exposure };
  return { state: next, transitions, exposures };
}

export const QUARANTINE_DISPOSITIONS = ['released', 'destroyed'] as const;
export type QuarantineDisposition = (typeof QUARANTINE_DISPOSITIONS)[number];

/**
 * A pharmacist ends a quarantine: the stock is released back to use or destroyed, and the
 * unit returns to service. Refused while the unit is still out of range, because the exposure
 * window (and so the list of affected doses) is not final yet.
 */
export function releaseQuarantine(
  state: ColdChainState,
  decision: { readonly at: string; readonly by: string; readonly disposition: QuarantineDisposition },
): { state: ColdChainState; transition: ColdChainTransition } {
  assertTransition(coldChainMachine, state.status, 'normal');
  if (state.exposure !== null) {
    throw new RuleViolationError('the unit is still in an excursion; release it once the temperature has recovered', 'cold_chain_still_out_of_range', {
      exposureStart: state.exposure.start,
    });
  }
  if (!decision.by) throw new ValidationError('a quarantine release names the pharmacist', 'by');
  const transition: ColdChainTransition = {
    from: 'quarantine',
    to: 'normal',
    at: decision.at,
    reason: `quarantine ${decision.disposition}`,
    by: decision.by,
    disposition: decision.disposition,
  };
  return { state: { ...state, status: 'normal', since: decision.at, edgeSince: null }, transition };
}
