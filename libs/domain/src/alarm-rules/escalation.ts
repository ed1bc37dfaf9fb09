/**
 * Escalation of unacknowledged alarms: a pure function of the alarm and the clock, so the
 * server can call it from any timer (or after a restart) and get the same answer. Only a
 * `raised` alarm escalates; acknowledging or clearing it stops the ladder.
 */
import type { AlarmSeverity, AlarmState } from '../alarms/alarm.machine.js';

export const ESCALATION_ROLES = ['nurse', 'charge_nurse', 'pharmacist', 'admin'] as const;
export type EscalationRole = (typeof ESCALATION_ROLES)[number];

export interface EscalationStep {
  /** Seconds after the alarm was raised. */
  readonly afterS: number;
  readonly roles: readonly EscalationRole[];
}

export type EscalationPolicy = Readonly<Record<AlarmSeverity, readonly EscalationStep[]>>;

/** A critical alarm climbs in minutes; an informational one never leaves the ward nurse. */
export const DEFAULT_ESCALATION_POLICY: EscalationPolicy = {
  critical: [
    { afterS: 0, roles: ['nurse'] },
    { afterS: 120, roles: ['charge_nurse', 'pharmacist'] },
    { afterS: 600, roles: ['admin'] },
  ],
  warning: [
    { afterS: 0, roles: ['nurse'] },
    { afterS: 900, roles: ['charge_nurse'] },
    { afterS: 3600, roles: ['admin'] },
  ],
  info: [{ afterS: 0, roles: ['nurse'] }],
};

export interface EscalatableAlarm {
  readonly state: AlarmState;
  readonly severity: AlarmSeverity;
  readonly raisedAt: string;
  /** Index of the last step already notified; -1 before anyone was told. */
  readonly notifiedLevel: number;
}

export interface EscalationDecision {
  /** Highest step due now (never lower than notifiedLevel). */
  readonly level: number;
  /** Steps due now that were not notified yet, in order. */
  readonly notify: readonly EscalationStep[];
  /** When the next step falls due, or null when nothing more will happen. */
  readonly nextAt: string | null;
}

export function escalate(policy: EscalationPolicy, alarm: EscalatableAlarm, now: string): EscalationDecision {
  const steps = policy[alarm.severity];
  if (alarm.state !== 'raised') return { level: alarm.notifiedLevel, notify: [], nextAt: null };
  const elapsedS = (Date.parse(now) - Date.parse(alarm.raisedAt)) / 1000;
  let level = alarm.notifiedLevel;
  const notify: EscalationStep[] = [];
  steps.forEach((step, i) => {
    if (i > alarm.notifiedLevel && step.afterS <= elapsedS) {
      notify.push(step);
      level = i;
    }
  });
  const next = steps.find((step, i) => i > level && step.afterS > elapsedS);
  return { level, notify, nextAt: next ? new Date(Date.parse(alarm.raisedAt) + next.afterS * 1000).toISOString() : null };
}
