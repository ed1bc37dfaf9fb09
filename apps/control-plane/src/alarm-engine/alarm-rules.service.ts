/**
 * The configured alarm rules: persisted, cached in memory for the evaluator, seeded with the
 * defaults on a fresh database, and changed by admins and pharmacists over REST.
 */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { NotFoundError } from '#domain';
import { SensorRepository, type SensorAlarmRuleEntity } from '#persistence';
import type { AlarmRuleInput } from './alarm-rule.dto.js';
import { DEFAULT_ALARM_RULES, toEngineRules, type ConfiguredRule } from './alarm-rules.defaults.js';

export type AlarmRuleView = ConfiguredRule & { updatedAt: string };

@Injectable()
export class AlarmRulesService implements OnModuleInit {
  private rules: AlarmRuleView[] = [];
  private readonly listeners: ((removed: string[]) => void)[] = [];

  constructor(private readonly repo: SensorRepository) {}

  async onModuleInit(): Promise<void> {
    if ((await this.repo.countRules()) === 0) await this.repo.saveRules(DEFAULT_ALARM_RULES.map((r) => toEntity(r, new Date())));
    await this.reload();
  }

  all(): readonly AlarmRuleView[] {
    return this.rules;
  }

  /** Told after every change, with the ids of rules that no longer exist or are disabled. */
  onChange(listener: (removed: string[]) => void): void {
    this.listeners.push(listener);
  }

  /** Creates or replaces rules by id (validated as engine rules together with the others first). */
  async save(input: AlarmRuleInput[]): Promise<AlarmRuleView[]> {
    const byId = new Map<string, ConfiguredRule>(this.rules.map((r) => [r.id, r]));
    for (const r of input) byId.set(r.id, r);
    toEngineRules([...byId.values()]);
    const now = new Date();
    await this.repo.saveRules(input.map((r) => toEntity(r, now)));
    await this.reload(input.filter((r) => !r.enabled).map((r) => r.id));
    return this.rules.filter((r) => input.some((i) => i.id === r.id));
  }

  async remove(id: string): Promise<void> {
    if (!(await this.repo.deleteRule(id))) throw new NotFoundError('Alarm rule', id);
    await this.reload([id]);
  }

  private async reload(removed: string[] = []): Promise<void> {
    this.rules = (await this.repo.allRules()).map(toView);
    for (const l of this.listeners) l(removed);
  }
}

function toEntity(r: ConfiguredRule, now: Date): SensorAlarmRuleEntity {
  return {
    id: r.id,
    deviceKind: r.deviceKind,
    sensorType: r.sensorType ?? null,
    ward: r.ward ?? null,
    metric: r.metric,
    comparator: r.comparator,
    threshold: r.threshold,
    durationS: r.durationS,
    hysteresis: r.hysteresis,
    severity: r.severity,
    staleAfterS: r.staleAfterS ?? null,
    message: r.message ?? null,
    enabled: r.enabled,
    updatedAt: now,
  };
}

function toView(e: SensorAlarmRuleEntity): AlarmRuleView {
  return {
    id: e.id,
    deviceKind: e.deviceKind as ConfiguredRule['deviceKind'],
    ...(e.sensorType ? { sensorType: e.sensorType as NonNullable<ConfiguredRule['sensorType']> } : {}),
    ...(e.ward ? { ward: e.ward } : {}),
    metric: e.metric,
    comparator: e.comparator,
    threshold: e.threshold,
    durationS: e.durationS,
    hysteresis: e.hysteresis,
    severity: e.severity,
    ...(e.staleAfterS !== null ? { staleAfterS: e.staleAfterS } : {}),
    ...(e.message ? { message: e.message } : {}),
    enabled: e.enabled,
    updatedAt: e.updatedAt.toISOString(),
  };
}
