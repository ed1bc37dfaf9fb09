import { describe, expect, it } from '@jest/globals';
import { DEFAULT_ESCALATION_POLICY, escalate, type EscalatableAlarm } from './escalation.js';

const T0 = Date.UTC(2025, 0, 1, 8, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const alarm = (over: Partial<EscalatableAlarm> = {}): EscalatableAlarm => ({
  state: 'raised',
  severity: 'critical',
  raisedAt: at(0),
  notifiedLevel: -1,
  ...over,
});

describe('escalate', () => {
  it('notifies the nurse at once and says when the next step is due', () => {
    const d = escalate(DEFAULT_ESCALATION_POLICY, alarm(), at(0));
    expect(d.level).toBe(0);
    expect(d.notify.map((s) => s.roles)).toEqual([['nurse']]);
    expect(d.nextAt).toBe(at(120));
  });

  it('climbs to charge nurse and pharmacist, then admin, while unacknowledged', () => {
    expect(escalate(DEFAULT_ESCALATION_POLICY, alarm({ notifiedLevel: 0 }), at(119)).notify).toEqual([]);
    const second = escalate(DEFAULT_ESCALATION_POLICY, alarm({ notifiedLevel: 0 }), at(120));
    expect(second.notify.flatMap((s) => s.roles)).toEqual(['charge_nurse', 'pharmacist']);
    const last = escalate(DEFAULT_ESCALATION_POLICY, alarm({ notifiedLevel: 1 }), at(600));
    expect(last).toEqual({ level: 2, notify: [{ afterS: 600, roles: ['admin'] }], nextAt: null });
  });

  it('catches up on every missed step after a long pause (e.g. server restart)', () => {
    const d = escalate(DEFAULT_ESCALATION_POLICY, alarm(), at(4000));
    expect(d.notify.flatMap((s) => s.roles)).toEqual(['nurse', 'charge_nurse', 'pharmacist', 'admin']);
    expect(d.level).toBe(2);
  });

  it('stops once acknowledged or cleared', () => {
    for (const state of ['acknowledged', 'cleared'] as const) {
      expect(escalate(DEFAULT_ESCALATION_POLICY, alarm({ state, notifiedLevel: 0 }), at(5000))).toEqual({ level: 0, notify: [], nextAt: null });
    }
  });

  it('keeps info alarms with the nurse', () => {
    expect(escalate(DEFAULT_ESCALATION_POLICY, alarm({ severity: 'info', notifiedLevel: 0 }), at(99999)).notify).toEqual([]);
  });
});
