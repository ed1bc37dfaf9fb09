/**
 * The alarm-rule engine: a pure reducer over readings and clock ticks. It owns debouncing
 * (durationS), hysteresis on clearing and staleness; it does not own the alarm lifecycle
 * (raised → acknowledged → cleared), which the server runs with the alarm machine on the
 * decisions emitted here.
 */
import { matchRules, type AlarmDecision, type AlarmRule, type MetricReading } from './alarm-rule.types.js';

interface SeriesState {
  readonly ruleId: string;
  readonly deviceId: string;
  readonly channel?: string;
  readonly lastAt: string;
  readonly lastValue: number | boolean;
  /** First reading of the current run that met the condition. */
  readonly breachSince: string | null;
  readonly active: boolean;
}

interface FeedState {
  readonly ruleId: string;
  readonly deviceId: string;
  readonly lastAt: string;
  readonly staleActive: boolean;
}

export interface AlarmRuleState {
  readonly series: Readonly<Record<string, SeriesState>>;
  /** Last data per rule and device, for staleness (independent of channels). */
  readonly feeds: Readonly<Record<string, FeedState>>;
}

export const EMPTY_ALARM_RULE_STATE: AlarmRuleState = { series: {}, feeds: {} };

export interface AlarmRuleResult {
  readonly state: AlarmRuleState;
  readonly decisions: readonly AlarmDecision[];
}

/** Rules by id, built once per rule list (a tick looks them up for every device it holds). */
const byIdCache = new WeakMap<readonly AlarmRule[], ReadonlyMap<string, AlarmRule>>();
function rulesById(rules: readonly AlarmRule[]): ReadonlyMap<string, AlarmRule> {
  let m = byIdCache.get(rules);
  if (!m) byIdCache.set(rules, (m = new Map(rules.map((r) => [r.id, r]))));
  return m;
}

const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;
const seriesKey = (ruleId: string, deviceId: string, channel?: string) => `${ruleId}/${deviceId}/${channel ?? '-'}`;
const feedKey = (ruleId: string, deviceId: string) => `${ruleId}/${deviceId}/stale`;

export function breaches(rule: AlarmRule, value: number | boolean): boolean {
  const t = rule.threshold;
  switch (rule.comparator) {
    case 'eq':
      return value === t;
    case 'neq':
      return value !== t;
    case 'gt':
      return typeof value === 'number' && value > (t as number);
    case 'gte':
      return typeof value === 'number' && value >= (t as number);
    case 'lt':
      return typeof value === 'number' && value < (t as number);
    case 'lte':
      return typeof value === 'number' && value <= (t as number);
  }
}

/** Back on the good side by at least the hysteresis; in between, the alarm keeps its state. */
export function clears(rule: AlarmRule, value: number | boolean): boolean {
  if (typeof value !== 'number' || typeof rule.threshold !== 'number' || rule.hysteresis === 0) return !breaches(rule, value);
  const t = rule.threshold;
  switch (rule.comparator) {
    case 'gt':
    case 'gte':
      return value <= t - rule.hysteresis;
    case 'lt':
    case 'lte':
      return value >= t + rule.hysteresis;
    default:
      return !breaches(rule, value);
  }
}

function conditionText(rule: AlarmRule, value: number | boolean): string {
  return rule.message ?? `${rule.metric} ${rule.comparator} ${String(rule.threshold)} (now ${String(value)})`;
}

function decision(rule: AlarmRule, s: { deviceId: string; channel?: string }, action: 'raise' | 'clear', at: string, value: number | boolean) {
  return {
    action,
    key: seriesKey(rule.id, s.deviceId, s.channel),
    ruleId: rule.id,
    deviceId: s.deviceId,
    ...(s.channel !== undefined ? { channel: s.channel } : {}),
    cause: 'threshold' as const,
    severity: rule.severity,
    at,
    value,
    message: conditionText(rule, value),
  };
}

/** Feed one reading; every matching rule for its metric is evaluated. */
export function evaluateReading(rules: readonly AlarmRule[], state: AlarmRuleState, reading: MetricReading): AlarmRuleResult {
  return evaluateReadings(rules, state, [reading]);
}

/**
 * Feed the readings of one message (or any batch), in order: the same as feeding them one by
 * one, with the state copied once for the batch instead of once per reading.
 */
export function evaluateReadings(rules: readonly AlarmRule[], state: AlarmRuleState, readings: readonly MetricReading[]): AlarmRuleResult {
  const series = { ...state.series };
  const feeds = { ...state.feeds };
  const decisions: AlarmDecision[] = [];
  for (const reading of readings) evaluateInto(rules, series, feeds, decisions, reading);
  return { state: { series, feeds }, decisions };
}

function evaluateInto(
  rules: readonly AlarmRule[],
  series: Record<string, SeriesState>,
  feeds: Record<string, FeedState>,
  decisions: AlarmDecision[],
  reading: MetricReading,
): void {
  for (const rule of matchRules(rules, reading)) {
    if (rule.metric !== reading.metric) continue;
    const key = seriesKey(rule.id, reading.deviceId, reading.channel);
    const prev = series[key];
    // A late (out-of-order) reading must not overwrite newer knowledge.
    if (prev && Date.parse(reading.at) <= Date.parse(prev.lastAt)) continue;

    const fk = feedKey(rule.id, reading.deviceId);
    const feed = feeds[fk];
    if (feed?.staleActive) decisions.push(staleDecision(rule, reading.deviceId, 'clear', reading.at));
    if (!feed || Date.parse(reading.at) > Date.parse(feed.lastAt))
      feeds[fk] = { ruleId: rule.id, deviceId: reading.deviceId, lastAt: reading.at, staleActive: false };

    let breachSince = prev?.breachSince ?? null;
    let active = prev?.active ?? false;
    if (breaches(rule, reading.value)) {
      breachSince ??= reading.at;
      if (!active && seconds(breachSince, reading.at) >= rule.durationS) {
        active = true;
        decisions.push(decision(rule, reading, 'raise', reading.at, reading.value));
      }
    } else if (clears(rule, reading.value)) {
      breachSince = null;
      if (active) {
        active = false;
        decisions.push(decision(rule, reading, 'clear', reading.at, reading.value));
      }
    }
    series[key] = {
      ruleId: rule.id,
      deviceId: reading.deviceId,
      ...(reading.channel !== undefined ? { channel: reading.channel } : {}),
      lastAt: reading.at,
      lastValue: reading.value,
      breachSince,
      active,
    };
  }
}

/**
 * Clock tick: raises staleness alarms, and raises threshold alarms whose condition still held
 * at the last reading once durationS has passed (a device reporting every 15 min must not
 * delay a 10-min alarm by 5 min).
 */
export function tickAlarmRules(rules: readonly AlarmRule[], state: AlarmRuleState, now: string): AlarmRuleResult {
  const byId = rulesById(rules);
  const decisions: AlarmDecision[] = [];
  let feeds = state.feeds;
  for (const [k, feed] of Object.entries(state.feeds)) {
    const rule = byId.get(feed.ruleId);
    if (!rule?.staleAfterS || feed.staleActive || seconds(feed.lastAt, now) <= rule.staleAfterS) continue;
    feeds = { ...feeds, [k]: { ...feed, staleActive: true } };
    decisions.push(staleDecision(rule, feed.deviceId, 'raise', now, feed.lastAt));
  }
  let series = state.series;
  for (const [k, s] of Object.entries(state.series)) {
    const rule = byId.get(s.ruleId);
    if (!rule || s.active || s.breachSince === null || !breaches(rule, s.lastValue)) continue;
    if (feeds[feedKey(s.ruleId, s.deviceId)]?.staleActive) continue;
    if (seconds(s.breachSince, now) < rule.durationS) continue;
    series = { ...series, [k]: { ...s, active: true } };
    decisions.push(decision(rule, s, 'raise', now, s.lastValue));
  }
  return { state: { series, feeds }, decisions };
}

/**
 * The earliest instant (epoch ms) at which `tickAlarmRules` could decide anything for this
 * state, or null when no tick ever will until the next reading: a feed going stale, or a
 * breach that has not yet lasted its duration. A tick before it is a no-op, so a caller
 * holding many states ticks only those that are due.
 */
export function nextTickDueMs(rules: readonly AlarmRule[], state: AlarmRuleState): number | null {
  const byId = rulesById(rules);
  let due: number | null = null;
  const consider = (t: number) => {
    if (due === null || t < due) due = t;
  };
  for (const feed of Object.values(state.feeds)) {
    const rule = byId.get(feed.ruleId);
    if (rule?.staleAfterS && !feed.staleActive) consider(Date.parse(feed.lastAt) + rule.staleAfterS * 1000);
  }
  for (const s of Object.values(state.series)) {
    const rule = byId.get(s.ruleId);
    if (!rule || s.active || s.breachSince === null || !breaches(rule, s.lastValue)) continue;
    consider(Date.parse(s.breachSince) + rule.durationS * 1000);
  }
  return due;
}

/**
 * Start the staleness clock for a registered device before its first message, so a sensor
 * that never comes up is noticed too.
 */
export function expectDevice(
  rules: readonly AlarmRule[],
  state: AlarmRuleState,
  device: { deviceId: string; kind: string; location?: string; at: string },
): AlarmRuleState {
  const feeds = { ...state.feeds };
  for (const rule of matchRules(rules, device)) {
    const k = feedKey(rule.id, device.deviceId);
    if (rule.staleAfterS && !feeds[k]) feeds[k] = { ruleId: rule.id, deviceId: device.deviceId, lastAt: device.at, staleActive: false };
  }
  return { ...state, feeds };
}

function staleDecision(rule: AlarmRule, deviceId: string, action: 'raise' | 'clear', at: string, lastAt?: string): AlarmDecision {
  return {
    action,
    key: feedKey(rule.id, deviceId),
    ruleId: rule.id,
    deviceId,
    cause: 'stale',
    severity: rule.severity,
    at,
    message: action === 'raise' ? `no ${rule.metric} from ${deviceId} since ${lastAt}` : `${rule.metric} from ${deviceId} resumed`,
  };
}

/** Mutable convenience wrapper for a long-lived process; the functions above stay the source of truth. */
export class AlarmRuleEngine {
  private current: AlarmRuleState = EMPTY_ALARM_RULE_STATE;

  constructor(private readonly rules: readonly AlarmRule[]) {}

  get state(): AlarmRuleState {
    return this.current;
  }

  reading(reading: MetricReading): readonly AlarmDecision[] {
    const r = evaluateReading(this.rules, this.current, reading);
    this.current = r.state;
    return r.decisions;
  }

  tick(now: string): readonly AlarmDecision[] {
    const r = tickAlarmRules(this.rules, this.current, now);
    this.current = r.state;
    return r.decisions;
  }

  expect(device: { deviceId: string; kind: string; location?: string; at: string }): void {
    this.current = expectDevice(this.rules, this.current, device);
  }
}
