import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  AlarmRuleEngine,
  EMPTY_ALARM_RULE_STATE,
  evaluateReading,
  evaluateReadings,
  expectDevice,
  nextTickDueMs,
  tickAlarmRules,
  type AlarmRuleState,
} from './alarm-rule.engine.js';
import { matchRules, validateAlarmRules, type AlarmRule, type MetricReading } from './alarm-rule.types.js';

const T0 = Date.UTC(2025, 0, 1, 8, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

const fridgeHigh: AlarmRule = {
  id: 'fridge-high',
  kind: 'sensor',
  location: 'ward-4W',
  metric: 'temperatureC',
  comparator: 'gt',
  threshold: 8,
  durationS: 300,
  hysteresis: 0.5,
  severity: 'critical',
  staleAfterS: 900,
};
const doorOpen: AlarmRule = {
  id: 'door',
  kind: 'sensor',
  metric: 'doorOpen',
  comparator: 'eq',
  threshold: true,
  durationS: 120,
  hysteresis: 0,
  severity: 'warning',
};
const cabinetTemp: AlarmRule = { ...fridgeHigh, id: 'cab-high', kind: 'cabinet', location: undefined, staleAfterS: undefined };
const RULES = validateAlarmRules([fridgeHigh, doorOpen, cabinetTemp]);

const temp = (s: number, value: number, extra: Partial<MetricReading> = {}): MetricReading => ({
  deviceId: 'F1',
  kind: 'sensor',
  location: 'ward-4W',
  channel: 'air',
  metric: 'temperatureC',
  value,
  at: at(s),
  ...extra,
});

describe('alarm rules', () => {
  it('matches rules by device kind and location (absent location = everywhere)', () => {
    expect(matchRules(RULES, { kind: 'sensor', location: 'ward-4W' }).map((r) => r.id)).toEqual(['fridge-high', 'door']);
    expect(matchRules(RULES, { kind: 'sensor', location: 'ward-5E' }).map((r) => r.id)).toEqual(['door']);
    expect(matchRules(RULES, { kind: 'cabinet' }).map((r) => r.id)).toEqual(['cab-high']);
  });

  it('raises only after the condition held for durationS, and once', () => {
    const engine = new AlarmRuleEngine(RULES);
    expect(engine.reading(temp(0, 9))).toEqual([]);
    expect(engine.reading(temp(120, 9.5))).toEqual([]);
    const raised = engine.reading(temp(300, 9.2));
    expect(raised).toEqual([
      expect.objectContaining({ action: 'raise', key: 'fridge-high/F1/air', cause: 'threshold', severity: 'critical', at: at(300), value: 9.2 }),
    ]);
    expect(engine.reading(temp(360, 9.9))).toEqual([]);
  });

  it('does not alarm on a short spike', () => {
    const engine = new AlarmRuleEngine(RULES);
    expect([...engine.reading(temp(0, 12)), ...engine.reading(temp(60, 5)), ...engine.reading(temp(400, 12))]).toEqual([]);
  });

  it('clears only past the hysteresis band', () => {
    const engine = new AlarmRuleEngine(RULES);
    engine.reading(temp(0, 9));
    engine.reading(temp(300, 9));
    expect(engine.reading(temp(360, 7.8))).toEqual([]);
    expect(engine.reading(temp(420, 7.5))).toEqual([expect.objectContaining({ action: 'clear', key: 'fridge-high/F1/air' })]);
  });

  it('keeps channels and devices apart', () => {
    const engine = new AlarmRuleEngine(RULES);
    engine.reading(temp(0, 9));
    engine.reading(temp(0, 9, { channel: 'product' }));
    engine.reading(temp(0, 9, { deviceId: 'F2' }));
    const keys = [temp(300, 9), temp(300, 9, { channel: 'product' }), temp(300, 9, { deviceId: 'F2' })].flatMap((r) => engine.reading(r).map((d) => d.key));
    expect(keys).toEqual(['fridge-high/F1/air', 'fridge-high/F1/product', 'fridge-high/F2/air']);
  });

  it('evaluates boolean rules (door left open)', () => {
    const engine = new AlarmRuleEngine(RULES);
    const door = (s: number, value: boolean) => temp(s, 0, { metric: 'doorOpen', value, location: 'ward-9' });
    expect(engine.reading(door(0, true))).toEqual([]);
    expect(engine.reading(door(150, true))).toEqual([expect.objectContaining({ action: 'raise', key: 'door/F1/air', severity: 'warning' })]);
    expect(engine.reading(door(200, false))).toEqual([expect.objectContaining({ action: 'clear' })]);
  });

  it('ignores out-of-order readings', () => {
    const engine = new AlarmRuleEngine(RULES);
    engine.reading(temp(300, 5));
    expect(engine.reading(temp(0, 20))).toEqual([]);
    expect(engine.reading(temp(600, 20))).toEqual([]);
  });

  it('raises and clears staleness on tick, per device', () => {
    const engine = new AlarmRuleEngine(RULES);
    engine.reading(temp(0, 5));
    expect(engine.tick(at(900))).toEqual([]);
    expect(engine.tick(at(901))).toEqual([expect.objectContaining({ action: 'raise', key: 'fridge-high/F1/stale', cause: 'stale' })]);
    expect(engine.tick(at(2000))).toEqual([]);
    expect(engine.reading(temp(2100, 5))).toEqual([expect.objectContaining({ action: 'clear', key: 'fridge-high/F1/stale' })]);
  });

  it('notices a registered device that never reports', () => {
    const state = expectDevice(RULES, EMPTY_ALARM_RULE_STATE, { deviceId: 'F9', kind: 'sensor', location: 'ward-4W', at: at(0) });
    expect(tickAlarmRules(RULES, state, at(1000)).decisions).toEqual([expect.objectContaining({ key: 'fridge-high/F9/stale' })]);
  });

  it('raises on tick when a slow reporter stayed out past durationS', () => {
    let state = evaluateReading(RULES, EMPTY_ALARM_RULE_STATE, temp(0, 9)).state;
    const early = tickAlarmRules(RULES, state, at(200));
    expect(early.decisions).toEqual([]);
    const due = tickAlarmRules(RULES, early.state, at(300));
    expect(due.decisions).toEqual([expect.objectContaining({ action: 'raise', at: at(300) })]);
    state = due.state;
    expect(evaluateReading(RULES, state, temp(400, 9)).decisions).toEqual([]);
  });

  it('validates rules and names the field at fault', () => {
    expect(() => validateAlarmRules([fridgeHigh, fridgeHigh])).toThrow(expect.objectContaining({ field: 'rules[1].id' }));
    expect(() => validateAlarmRules([{ ...doorOpen, comparator: 'gt' }])).toThrow(expect.objectContaining({ field: 'rules[0].threshold' }));
    expect(() => validateAlarmRules([{ ...fridgeHigh, durationS: -1 }])).toThrow(expect.objectContaining({ field: 'rules[0].durationS' }));
  });

  it('evaluates a batch of readings exactly as one by one', () => {
    const readings = [temp(0, 9), { ...temp(0, 1), metric: 'doorOpen', value: true }, temp(400, 9.2), temp(500, 7)];
    let one: AlarmRuleState = EMPTY_ALARM_RULE_STATE;
    const decisions = [];
    for (const r of readings) {
      const x = evaluateReading(RULES, one, r);
      one = x.state;
      decisions.push(...x.decisions);
    }
    const batch = evaluateReadings(RULES, EMPTY_ALARM_RULE_STATE, readings);
    expect(batch.state).toEqual(one);
    expect(batch.decisions).toEqual(decisions);
    expect(decisions.map((d) => d.action)).toEqual(['raise', 'clear']);
  });

  it('names when a tick is next due: no tick before it decides anything (random readings and ticks)', () => {
    const reading = fc.record({
      s: fc.integer({ min: 0, max: 3000 }),
      door: fc.boolean(),
      value: fc.oneof(fc.double({ min: 0, max: 12, noNaN: true }), fc.boolean()),
    });
    fc.assert(
      fc.property(fc.array(reading, { maxLength: 12 }), fc.array(fc.integer({ min: 0, max: 6000 }), { minLength: 1, maxLength: 6 }), (rs, ticks) => {
        let state = expectDevice(RULES, EMPTY_ALARM_RULE_STATE, { deviceId: 'F1', kind: 'sensor', location: 'ward-4W', at: at(0) });
        for (const r of [...rs].sort((a, b) => a.s - b.s)) {
          const m = r.door ? { metric: 'doorOpen', value: r.value } : { metric: 'temperatureC', value: typeof r.value === 'number' ? r.value : 5 };
          state = evaluateReading(RULES, state, { ...temp(r.s, 0), ...m }).state;
        }
        for (const t of [...ticks].sort((a, b) => a - b)) {
          const due = nextTickDueMs(RULES, state);
          const r = tickAlarmRules(RULES, state, at(t));
          if (due === null || T0 + t * 1000 < due) expect(r.decisions).toEqual([]);
          state = r.state;
        }
      }),
      { numRuns: 500 },
    );
    // and it is not vacuous: a breach held past its duration is due, and then decides
    const breach = evaluateReading(RULES, EMPTY_ALARM_RULE_STATE, temp(0, 9.5)).state;
    expect(nextTickDueMs(RULES, breach)).toBe(T0 + 300_000);
    expect(tickAlarmRules(RULES, breach, at(300)).decisions).toEqual([expect.objectContaining({ action: 'raise', ruleId: 'fridge-high' })]);
  });
});
