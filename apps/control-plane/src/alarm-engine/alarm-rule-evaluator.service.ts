/**
 * Runs the configured alarm rules over device readings with the pure rule engine
 * (`evaluateReadings` / `tickAlarmRules` in libs/domain/alarm-rules: debounce, hysteresis,
 * staleness) and turns its raise/clear decisions into alarms through the AlarmsService.
 * Sensors and cabinets feed it; a clock tick raises staleness alarms and conditions whose
 * duration elapsed between two readings.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  alarmKey,
  alarmSubject,
  EMPTY_ALARM_RULE_STATE,
  evaluateReadings,
  nextTickDueMs,
  tickAlarmRules,
  type AlarmDecision,
  type AlarmRule,
  type AlarmRuleState,
  type MetricReading,
} from '#domain';
import { AlarmsService } from '../alarms/alarms.service.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { rulesFor, toEngineRules, type WatchedDevice } from './alarm-rules.defaults.js';
import { AlarmRulesService } from './alarm-rules.service.js';

/** One value of a device message (the message's instant is given once, beside them). */
export interface ObservedValue {
  channel?: string | undefined;
  metric: string;
  value: number | boolean;
}

/** The catalogue type of a rule-engine alarm: `{device kind}.threshold` or `{device kind}.stale`. */
export function ruleAlarmType(kind: 'sensor' | 'cabinet' | 'device', cause: AlarmDecision['cause']): RuleAlarmType {
  return `${kind}.${cause === 'stale' ? 'stale' : 'threshold'}`;
}
type RuleAlarmType = `${'sensor' | 'cabinet' | 'device'}.${'threshold' | 'stale'}`;
const RULE_ALARM_TYPES: ReadonlySet<string> = new Set(
  (['sensor', 'cabinet', 'device'] as const).flatMap((k) => [ruleAlarmType(k, 'threshold'), ruleAlarmType(k, 'stale')]),
);

@Injectable()
export class AlarmRuleEvaluator implements OnApplicationBootstrap, OnModuleDestroy {
  /**
   * Engine state per device: the pure engine copies the state it is given on every reading,
   * so one state for the whole hospital made each reading cost O(devices).
   */
  private readonly states = new Map<string, AlarmRuleState>();
  /**
   * When a tick could next decide something for a device (epoch ms; absent = only a reading
   * can change it). A tick visits only due devices: thousands of quiet sensors cost it a
   * comparison each instead of a pass over their state.
   */
  private readonly dueAt = new Map<string, number>();
  private readonly devices = new Map<string, WatchedDevice>();
  /**
   * engine rules per (kind, sensor type, ward) and the metrics they watch, built once per rule
   * change, not per reading
   */
  private readonly rulesByClass = new Map<string, { rules: AlarmRule[]; metrics: ReadonlySet<string> }>();
  private enabledRules: AlarmRule[] | null = null;
  /** set when the rules change: the next tick visits every device once */
  private tickAll = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly rules: AlarmRulesService,
    private readonly alarms: AlarmsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.rules.onChange((removed) => {
      this.rulesByClass.clear();
      this.enabledRules = null;
      this.dueAt.clear();
      this.tickAll = true;
      void this.forgetRules(removed);
    });
    this.timer = setInterval(() => this.tick(new Date().toISOString()), this.config.alarmEngine.ruleTickMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /**
   * Feeds the latest values of one device message, measured at `at` (only current, in-order
   * messages).
   */
  observe(device: WatchedDevice, at: string, values: readonly ObservedValue[]): void {
    this.devices.set(device.deviceId, device);
    const { rules, metrics } = this.rulesOf(device);
    const readings: MetricReading[] = [];
    for (const v of values) {
      // a value no rule of this device watches changes nothing: the state is not copied for it
      if (!metrics.has(v.metric)) continue;
      readings.push({
        deviceId: device.deviceId,
        kind: device.kind,
        ...(device.ward ? { location: device.ward } : {}),
        ...(v.channel !== undefined ? { channel: v.channel } : {}),
        metric: v.metric,
        value: v.value,
        at,
      });
    }
    if (readings.length === 0) return;
    const r = evaluateReadings(rules, this.states.get(device.deviceId) ?? EMPTY_ALARM_RULE_STATE, readings);
    this.setState(device.deviceId, r.state, this.enabled());
    this.apply(r.decisions);
  }

  private rulesOf(device: WatchedDevice): { rules: AlarmRule[]; metrics: ReadonlySet<string> } {
    const key = `${device.kind}\u0000${device.sensorType ?? ''}\u0000${device.ward ?? ''}`;
    let entry = this.rulesByClass.get(key);
    if (!entry) {
      const rules = toEngineRules(rulesFor(this.rules.all(), device));
      this.rulesByClass.set(key, (entry = { rules, metrics: new Set(rules.map((r) => r.metric)) }));
    }
    return entry;
  }

  tick(now: string): void {
    const rules = this.enabled();
    const nowMs = Date.parse(now);
    const all = this.tickAll;
    this.tickAll = false;
    for (const [deviceId, state] of this.states) {
      if (!all && !((this.dueAt.get(deviceId) ?? Infinity) <= nowMs)) continue;
      const r = tickAlarmRules(rules, state, now);
      this.setState(deviceId, r.state, rules);
      this.apply(r.decisions);
    }
  }

  private enabled(): AlarmRule[] {
    return (this.enabledRules ??= toEngineRules(this.rules.all().filter((x) => x.enabled)));
  }

  private setState(deviceId: string, state: AlarmRuleState, rules: readonly AlarmRule[]): void {
    this.states.set(deviceId, state);
    const due = nextTickDueMs(rules, state);
    if (due === null) this.dueAt.delete(deviceId);
    else this.dueAt.set(deviceId, due);
  }

  private apply(decisions: readonly AlarmDecision[]): void {
    for (const d of decisions) {
      const device = this.devices.get(d.deviceId);
      const type = ruleAlarmType(device?.kind ?? 'device', d.cause);
      const key = alarmKey(type, d.key);
      const work =
        d.action === 'raise'
          ? this.alarms.raise({
              type,
              subject: d.key,
              params: { deviceId: d.deviceId, channel: d.channel, ruleId: d.ruleId, condition: d.message, value: d.value, severity: d.severity, at: d.at },
              ward: device?.ward ?? null,
              sourceKind: device?.kind ?? 'device',
              sourceId: d.deviceId,
            })
          : this.alarms.clear(key, d.message);
      work.catch((err: unknown) => this.logger.error({ err, key }, 'could not apply an alarm-rule decision'));
    }
  }

  /** A deleted or disabled rule's alarms clear, and the engine forgets its series. */
  private async forgetRules(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const gone = (ruleId: string) => ids.includes(ruleId);
    for (const [deviceId, state] of this.states) {
      this.states.set(deviceId, {
        series: Object.fromEntries(Object.entries(state.series).filter(([, s]) => !gone(s.ruleId))),
        feeds: Object.fromEntries(Object.entries(state.feeds).filter(([, f]) => !gone(f.ruleId))),
      });
    }
    for (const a of this.alarms.openAlarms()) {
      const ruleId = RULE_ALARM_TYPES.has(a.type) ? String(a.details['ruleId'] ?? alarmSubject(a.key).split('/')[0]) : null;
      if (ruleId && gone(ruleId)) await this.alarms.clear(a.key, `rule ${ruleId} removed or disabled`);
    }
  }
}
