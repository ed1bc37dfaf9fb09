/**
 * Alarm rules as the engine sees them, and the defaults a fresh installation starts with.
 * Pure: the mapping from configured rules (with a sensor type and a ward) to the domain's
 * AlarmRule and the choice of rules that apply to a device are unit-tested beside this file.
 */
import { type AlarmRule, validateAlarmRules } from '#domain';
import type { AlarmRuleInput, SensorType } from './alarm-rule.dto.js';

export type ConfiguredRule = AlarmRuleInput;

/** What the engine needs to know about the device a reading came from. */
export interface WatchedDevice {
  deviceId: string;
  kind: 'sensor' | 'cabinet';
  sensorType: SensorType | null;
  ward: string | null;
}

/**
 * Fridges: 2–8 °C held 5 min (the cold-chain excursion, with its own alarm, comes at 10 min),
 * a door left open 5 min, a logger silent 15 min. Rooms (medication rooms): 15–25 °C over
 * 15 min, humidity above 65 % for 30 min. Cabinets alarm from their own events (power lost,
 * door forced…); rules on their metrics (onBattery, doorOpen, drawer temperatureC) can be added.
 */
export const DEFAULT_ALARM_RULES: readonly ConfiguredRule[] = [
  rule('fridge-temp-high', 'sensor', 'fridge', 'temperatureC', 'gt', 8, 300, 0.5, 'warning', 'fridge above 8 °C for 5 minutes', 900),
  rule('fridge-temp-low', 'sensor', 'fridge', 'temperatureC', 'lt', 2, 300, 0.5, 'warning', 'fridge below 2 °C for 5 minutes'),
  rule('fridge-door-open', 'sensor', 'fridge', 'doorOpen', 'eq', true, 300, 0, 'warning', 'fridge door open for 5 minutes'),
  rule('room-temp-high', 'sensor', 'room', 'temperatureC', 'gt', 25, 900, 1, 'warning', 'medication room above 25 °C', 1800),
  rule('room-temp-low', 'sensor', 'room', 'temperatureC', 'lt', 15, 900, 1, 'warning', 'medication room below 15 °C'),
  rule('room-humidity-high', 'sensor', 'room', 'humidityPct', 'gt', 65, 1800, 5, 'info', 'medication room humidity above 65 %'),
];

function rule(
  id: string,
  deviceKind: 'sensor' | 'cabinet',
  sensorType: SensorType | undefined,
  metric: string,
  comparator: ConfiguredRule['comparator'],
  threshold: number | boolean,
  durationS: number,
  hysteresis: number,
  severity: ConfiguredRule['severity'],
  message: string,
  staleAfterS?: number,
): ConfiguredRule {
  return {
    id,
    deviceKind,
    ...(sensorType ? { sensorType } : {}),
    metric,
    comparator,
    threshold,
    durationS,
    hysteresis,
    severity,
    message,
    enabled: true,
    ...(staleAfterS ? { staleAfterS } : {}),
  };
}

/** The domain rule (kind = device kind, location = ward); throws ValidationError on a bad one. */
export function toEngineRules(rules: readonly ConfiguredRule[]): AlarmRule[] {
  const out = rules.map((r): AlarmRule => ({
    id: r.id,
    kind: r.deviceKind,
    ...(r.ward !== undefined ? { location: r.ward } : {}),
    metric: r.metric,
    comparator: r.comparator,
    threshold: r.threshold,
    durationS: r.durationS,
    hysteresis: r.hysteresis,
    severity: r.severity,
    ...(r.staleAfterS !== undefined ? { staleAfterS: r.staleAfterS } : {}),
    ...(r.message !== undefined ? { message: r.message } : {}),
  }));
  validateAlarmRules(out);
  return out;
}

/** Enabled rules for this device: same kind, same sensor type (if the rule names one), same ward (if it names one). */
export function rulesFor(rules: readonly ConfiguredRule[], device: WatchedDevice): ConfiguredRule[] {
  return rules.filter(
    (r) =>
      r.enabled &&
      r.deviceKind === device.kind &&
      (r.sensorType === undefined || r.sensorType === device.sensorType) &&
      (r.ward === undefined || r.ward === device.ward),
  );
}
