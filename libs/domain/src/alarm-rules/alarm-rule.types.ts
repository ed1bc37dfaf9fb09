/**
 * Alarm rules as data: which device kind and location a rule watches, which metric, the
 * condition, how long it must hold, how far back it must come to clear, and how stale the
 * data may get. The engine (alarm-rule.engine.ts) turns readings into raise/clear decisions.
 */
import { ValidationError } from '../errors.js';
import { ALARM_SEVERITIES, type AlarmSeverity } from '../alarms/alarm.machine.js';

export const COMPARATORS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
export type Comparator = (typeof COMPARATORS)[number];

export interface AlarmRule {
  readonly id: string;
  /** Device kind the rule applies to: 'sensor', 'cabinet', 'robot', 'station'. */
  readonly kind: string;
  /** Ward or location id; absent = every location. */
  readonly location?: string;
  /** e.g. temperatureC, humidityPct, doorOpen, batteryPct. */
  readonly metric: string;
  readonly comparator: Comparator;
  readonly threshold: number | boolean;
  /** Seconds the condition must hold before the alarm is raised (debounce). */
  readonly durationS: number;
  /** How far past the threshold (on the good side) a value must come to clear. Numbers only. */
  readonly hysteresis: number;
  readonly severity: AlarmSeverity;
  /** Raise a staleness alarm when the device sent nothing for this metric for this long. */
  readonly staleAfterS?: number;
  readonly message?: string;
}

export interface MetricReading {
  readonly deviceId: string;
  readonly kind: string;
  readonly location?: string;
  /** Probe or pocket the value came from; one alarm per channel. */
  readonly channel?: string;
  readonly metric: string;
  readonly value: number | boolean;
  readonly at: string;
}

export interface AlarmDecision {
  readonly action: 'raise' | 'clear';
  /** Stable identity of the alarm: `{ruleId}/{deviceId}/{channel|-}` or `{ruleId}/{deviceId}/stale`. */
  readonly key: string;
  readonly ruleId: string;
  readonly deviceId: string;
  readonly channel?: string;
  readonly cause: 'threshold' | 'stale';
  readonly severity: AlarmSeverity;
  readonly at: string;
  readonly value?: number | boolean;
  readonly message: string;
}

/** Rules that apply to a device of this kind at this location. */
export function matchRules(rules: readonly AlarmRule[], device: { kind: string; location?: string }): AlarmRule[] {
  return rules.filter((r) => r.kind === device.kind && (r.location === undefined || r.location === device.location));
}

/** Throws ValidationError naming the first bad field, e.g. `rules[2].threshold`. */
export function validateAlarmRules(rules: readonly AlarmRule[]): readonly AlarmRule[] {
  const ids = new Set<string>();
  rules.forEach((r, i) => {
    const fail = (field: string, why: string) => {
      throw new ValidationError(`alarm rule '${r.id}': ${field} ${why}`, `rules[${i}].${field}`);
    };
    if (!r.id) fail('id', 'must not be empty');
    if (ids.has(r.id)) fail('id', 'is used twice');
    ids.add(r.id);
    if (!(COMPARATORS as readonly string[]).includes(r.comparator)) fail('comparator', `must be one of ${COMPARATORS.join(', ')}`);
    if (!(ALARM_SEVERITIES as readonly string[]).includes(r.severity)) fail('severity', `must be one of ${ALARM_SEVERITIES.join(', ')}`);
    if (typeof r.threshold === 'boolean' && r.comparator !== 'eq' && r.comparator !== 'neq')
      fail('threshold', 'is boolean, so the comparator must be eq or neq');
    if (typeof r.threshold === 'number' && !Number.isFinite(r.threshold)) fail('threshold', 'must be a finite number');
    if (!(r.durationS >= 0)) fail('durationS', 'must not be negative');
    if (!(r.hysteresis >= 0)) fail('hysteresis', 'must not be negative');
    if (r.staleAfterS !== undefined && !(r.staleAfterS > 0)) fail('staleAfterS', 'must be positive');
  });
  return rules;
}
