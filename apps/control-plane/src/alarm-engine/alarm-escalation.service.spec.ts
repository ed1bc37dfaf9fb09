import { describe, expect, it } from '@jest/globals';
import { DEFAULT_ESCALATION_POLICY, escalate } from '#domain';
import { scaledPolicy } from './alarm-escalation.service.js';

describe('scaledPolicy', () => {
  it('keeps the roles and divides every delay', () => {
    const p = scaledPolicy(DEFAULT_ESCALATION_POLICY, 60);
    expect(p.critical.map((s) => s.afterS)).toEqual([0, 2, 10]);
    expect(p.critical.map((s) => s.roles)).toEqual(DEFAULT_ESCALATION_POLICY.critical.map((s) => s.roles));
    expect(scaledPolicy(DEFAULT_ESCALATION_POLICY, 1)).toBe(DEFAULT_ESCALATION_POLICY);
  });

  it('escalates a raised critical alarm to the charge nurse and pharmacist at the scaled time', () => {
    const p = scaledPolicy(DEFAULT_ESCALATION_POLICY, 60);
    const alarm = { state: 'raised' as const, severity: 'critical' as const, raisedAt: '2025-01-01T00:00:00.000Z', notifiedLevel: 0 };
    expect(escalate(p, alarm, '2025-01-01T00:00:01.000Z').level).toBe(0);
    const d = escalate(p, alarm, '2025-01-01T00:00:02.500Z');
    expect(d.level).toBe(1);
    expect(d.notify.flatMap((s) => s.roles)).toEqual(['charge_nurse', 'pharmacist']);
  });
});
