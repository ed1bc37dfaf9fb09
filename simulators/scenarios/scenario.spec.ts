import { describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { BUNDLED_SCENARIO_DIR, deviceMatches, dueSteps, loadScenario, parseScenario, ScenarioError, scenarioTimeline } from './scenario.js';

describe('scenarios', () => {
  it('loads every bundled scenario', () => {
    const names = readdirSync(BUNDLED_SCENARIO_DIR).filter((f) => f.endsWith('.json'));
    expect(names.length).toBeGreaterThanOrEqual(3);
    for (const f of names) expect(loadScenario(f.replace(/\.json$/, '')).name).toBe(f.replace(/\.json$/, ''));
  });

  it('expands fridge-excursion into door open at 10 min and closed 20 min later', () => {
    expect(scenarioTimeline(loadScenario('fridge-excursion')).map((s) => [s.atS, s.action])).toEqual([
      [600, 'doorOpen'],
      [1800, 'doorClose'],
    ]);
  });

  it('orders steps by time, keeping file order for ties', () => {
    const timeline = scenarioTimeline(
      parseScenario({
        name: 't',
        steps: [
          { atS: 50, device: 'A', action: 'stuck', forS: 100 },
          { atS: 10, device: 'B', action: 'doorOpen' },
          { atS: 150, device: 'C', action: 'doorClose' },
        ],
      }),
    );
    expect(timeline.map((s) => `${s.atS}:${s.device}:${s.action}`)).toEqual(['10:B:doorOpen', '50:A:stuck', '150:A:unstuck', '150:C:doorClose']);
    expect(dueSteps(timeline, -1, 10).map((s) => s.device)).toEqual(['B']);
    expect(dueSteps(timeline, 10, 150)).toHaveLength(3);
    expect(dueSteps(timeline, 150, 1000)).toEqual([]);
  });

  it('rejects bad scenarios naming the field', () => {
    const bad = () => parseScenario({ name: 'x', steps: [{ atS: 0, device: 'A', action: 'drift', forS: 5 }] }, 'x.json');
    expect(bad).toThrow(ScenarioError);
    expect(bad).toThrow(/steps\.0\.forS: 'drift' cannot be held/);
    expect(bad).toThrow(/steps\.0\.cPerHour: drift needs cPerHour/);
    expect(() => parseScenario({ name: 'x', steps: [{ atS: 0, device: 'A', action: 'explode' }] })).toThrow(/steps\.0\.action/);
  });

  it('takes an excursion with a real duration and a temperature, and refuses one without', () => {
    const s = parseScenario({ name: 'x', steps: [{ atS: 60, device: 'CAB-*', action: 'excursion', durationS: 720, temperatureC: 12, drawerId: 'D3' }] });
    expect(s.steps[0]).toMatchObject({ action: 'excursion', durationS: 720, temperatureC: 12 });
    expect(() => parseScenario({ name: 'x', steps: [{ atS: 0, device: 'A', action: 'excursion', durationS: 60 }] })).toThrow(
      /steps\.0: excursion needs durationS \(real seconds\) and temperatureC/,
    );
  });

  it('matches device patterns', () => {
    expect(deviceMatches('FRIDGE-*', 'FRIDGE-0001')).toBe(true);
    expect(deviceMatches('FRIDGE-*', 'ROOM-0001')).toBe(false);
    expect(deviceMatches('A.B', 'AxB')).toBe(false);
    expect(deviceMatches('*', 'anything')).toBe(true);
  });
});
