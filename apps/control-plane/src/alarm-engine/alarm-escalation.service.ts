/**
 * Escalates alarms nobody acknowledged: on a timer, the pure escalation policy
 * (libs/domain/alarm-rules/escalation) says which step is due for each raised alarm, and the
 * AlarmsService records the new level (announced as an `escalated` alarm change with the
 * roles to notify). Acknowledging or clearing an alarm stops its ladder.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { DEFAULT_ESCALATION_POLICY, escalate, type EscalationPolicy } from '#domain';
import { AlarmsService } from '../alarms/alarms.service.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';

/** The policy with every delay divided by `speedup` (drills and tests run it faster). */
export function scaledPolicy(policy: EscalationPolicy, speedup: number): EscalationPolicy {
  if (speedup === 1) return policy;
  const scale = (steps: EscalationPolicy['critical']) => steps.map((s) => ({ ...s, afterS: s.afterS / speedup }));
  return { critical: scale(policy.critical), warning: scale(policy.warning), info: scale(policy.info) };
}

@Injectable()
export class AlarmEscalationService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly policy: EscalationPolicy;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly alarms: AlarmsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.policy = scaledPolicy(DEFAULT_ESCALATION_POLICY, config.alarmEngine.escalationSpeedup);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.check(new Date()), this.config.alarmEngine.escalationCheckMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async check(now: Date): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let escalated = 0;
    try {
      for (const a of this.alarms.openAlarms()) {
        if (a.state !== 'raised') continue;
        const d = escalate(
          this.policy,
          { state: a.state, severity: a.severity, raisedAt: a.raisedAt.toISOString(), notifiedLevel: a.escalationLevel },
          now.toISOString(),
        );
        if (d.level <= a.escalationLevel || d.notify.length === 0) continue;
        const roles = [...new Set(d.notify.flatMap((s) => s.roles))];
        if (await this.alarms.escalate(a.key, d.level, { level: d.level, roles, nextAt: d.nextAt, at: now.toISOString() })) escalated++;
      }
    } catch (err) {
      this.logger.error({ err }, 'alarm escalation check failed');
    } finally {
      this.running = false;
    }
    return escalated;
  }
}
