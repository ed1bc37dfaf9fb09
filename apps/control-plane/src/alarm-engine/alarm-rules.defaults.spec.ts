import { describe, expect, it } from '@jest/globals';
import { evaluateReading, EMPTY_ALARM_RULE_STATE } from '#domain';
import { DEFAULT_ALARM_RULES, rulesFor, toEngineRules, type ConfiguredRule } from './alarm-rules.defaults.js';

const fridge = { deviceId: 'F1', kind: 'sensor' as const, sensorType: 'fridge' as const, ward: 'ward-a' };
const room = { deviceId: 'R1', kind: 'sensor' as const, sensorType: 'room' as const, ward: 'ward-a' };

describe('default alarm rules', () => {
  it('are valid engine rules', () => {
    expect(toEngineRules(DEFAULT_ALARM_RULES)).toHaveLength(DEFAULT_ALARM_RULES.length);
  });

  it('watch fridges at 2–8 °C and rooms at their own limits, never each other', () => {
    const f = rulesFor(DEFAULT_ALARM_RULES, fridge).map((r) => r.id);
    const r = rulesFor(DEFAULT_ALARM_RULES, room).map((x) => x.id);
    expect(f).toEqual(expect.arrayContaining(['fridge-temp-high', 'fridge-temp-low', 'fridge-door-open']));
    expect(f.some((id) => id.startsWith('room'))).toBe(false);
    expect(r.some((id) => id.startsWith('fridge'))).toBe(false);
    // a room at 22 °C raises nothing, though it is far above a fridge's 8 °C
    const rules = toEngineRules(rulesFor(DEFAULT_ALARM_RULES, room));
    let state = EMPTY_ALARM_RULE_STATE;
    for (let i = 0; i < 30; i++) {
      const res = evaluateReading(rules, state, {
        deviceId: 'R1',
        kind: 'sensor',
        location: 'ward-a',
        metric: 'temperatureC',
        value: 22,
        at: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString(),
      });
      expect(res.decisions).toEqual([]);
      state = res.state;
    }
  });

  it('applies a ward-scoped rule only in its ward, and skips disabled rules', () => {
    const scoped: ConfiguredRule = { ...DEFAULT_ALARM_RULES[0]!, id: 'icu-only', ward: 'icu' };
    const off: ConfiguredRule = { ...DEFAULT_ALARM_RULES[0]!, id: 'off', enabled: false };
    expect(rulesFor([scoped, off], fridge)).toEqual([]);
    expect(rulesFor([scoped], { ...fridge, ward: 'icu' }).map((r) => r.id)).toEqual(['icu-only']);
  });

  it('names the bad field of an invalid rule', () => {
    expect(() => toEngineRules([{ ...DEFAULT_ALARM_RULES[0]!, durationS: -1 }])).toThrow(expect.objectContaining({ field: 'rules[0].durationS' }));
  });
});
