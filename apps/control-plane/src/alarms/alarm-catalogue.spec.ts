/**
 * The alarm catalogue against the server's code: every type the server raises is catalogued,
 * every catalogued type clears one way or the other — a person of named roles resolves it, or
 * a piece of the server clears it when its condition ends (the table below names where, and
 * the spec reads that code) — and the wording is rounded and in the site's local time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ALARM_CATALOGUE, ALARM_TYPES, type AlarmType, alarmKey, alarmTitle, DEFAULT_SITE_TIME_ZONE, describeAlarm, localTime, roundNumbersIn } from '#domain';
import { CONDITION_DEADLINES, CONDITION_WATCHES } from './alarm-conditions.service.js';

const SRC = join(process.cwd(), 'apps/control-plane/src');
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [join(dir, e.name)] : [],
  );
const files = new Map(sources(SRC).map((f) => [relative(SRC, f), readFileSync(f, 'utf8')]));

/** `export const NAME = 'x.y'` anywhere in the server: raise calls name some types by constant. */
const constants = new Map<string, string>();
for (const text of files.values()) for (const m of text.matchAll(/export const ([A-Z_]+) = '([a-z_]+\.[a-z_]+)'/g)) constants.set(m[1]!, m[2]!);

type ConditionType = {
  [T in AlarmType]: (typeof ALARM_CATALOGUE)[T]['clears'] extends infer C ? (C extends { by: 'condition' } ? T : never) : never;
}[AlarmType];

/**
 * Where each condition type is cleared outside the alarm feature's listeners: the file, and
 * what its clear call names (the key's text or the constant). Listener-cleared types are read
 * from CONDITION_WATCHES / CONDITION_DEADLINES.
 */
const CLEARED_WHERE_RAISED: Partial<Record<ConditionType, { file: string; names: string }>> = {
  'robot.estop': { file: 'fleet/mission-progress.ts', names: 'robot.estop:' },
  'robot.offline_mid_mission': { file: 'fleet/mission-progress.ts', names: 'robot.offline_mid_mission:' },
  'robot.stale': { file: 'fleet/robot-state.service.ts', names: 'robot.stale:' },
  'robot.message_refused': { file: 'fleet/robot-state.service.ts', names: 'robot.message_refused:' },
  'robot.map_mismatch': { file: 'fleet/robot-map-check.ts', names: 'robot.map_mismatch:' },
  'robot.cannot_charge': { file: 'fleet/robot-charge-check.ts', names: 'robot.cannot_charge:' },
  'custody.receipt_overdue': { file: 'custody/delivery-ward.service.ts', names: 'custody.receipt_overdue:' },
  'custody.override_unreviewed': { file: 'custody/override-review.service.ts', names: 'OVERRIDE_UNREVIEWED_ALARM}:' },
  'custody.dose_late': { file: 'custody/dose-timeliness.service.ts', names: 'DOSE_LATE_ALARM' },
  'cabinet.pocket_left_open': { file: 'cabinets/cabinet-state.service.ts', names: 'cabinet.pocket_left_open:' },
  'cabinet.power_lost': { file: 'cabinets/cabinet-state.service.ts', names: 'cabinet.power_lost:' },
  'cabinet.discrepancy': { file: 'cabinets/pocket-ledger.service.ts', names: 'cabinet.discrepancy:' },
  'sensor.probe_fault': { file: 'sensors/sensor-state.service.ts', names: 'sensor.probe_fault:' },
  // the rule engine's clear decisions, for every device kind and cause
  'sensor.threshold': { file: 'alarm-engine/alarm-rule-evaluator.service.ts', names: 'ruleAlarmType(' },
  'sensor.stale': { file: 'alarm-engine/alarm-rule-evaluator.service.ts', names: 'ruleAlarmType(' },
  'cabinet.threshold': { file: 'alarm-engine/alarm-rule-evaluator.service.ts', names: 'ruleAlarmType(' },
  'cabinet.stale': { file: 'alarm-engine/alarm-rule-evaluator.service.ts', names: 'ruleAlarmType(' },
  'device.threshold': { file: 'alarm-engine/alarm-rule-evaluator.service.ts', names: 'ruleAlarmType(' },
  'device.stale': { file: 'alarm-engine/alarm-rule-evaluator.service.ts', names: 'ruleAlarmType(' },
  'coldchain.excursion': { file: 'cold-chain/cold-chain.service.ts', names: 'EXCURSION_ALARM}:' },
  'coldchain.quarantine': { file: 'cold-chain/cold-chain.service.ts', names: 'QUARANTINE_ALARM}:' },
  'device.input_flood': { file: 'mqtt/device-throttle.reporter.ts', names: 'INPUT_FLOOD_ALARM}:' },
  'device.command_timed_out': { file: 'device-protocol/device-commands.service.ts', names: 'COMMAND_TIMEOUT_ALARM' },
  'device.clock_skew': { file: 'device-protocol/device-clock.service.ts', names: 'CLOCK_SKEW_ALARM}:' },
  'security.sign_in_locked': { file: 'auth/login-attempts.service.ts', names: 'alarmKey(' },
  'audit.anchor_mismatch': { file: 'audit-anchor/audit-anchor.service.ts', names: 'ANCHOR_MISMATCH_ALARM' },
  'audit.checkpoint_write_failed': { file: 'audit-anchor/audit-anchor.service.ts', names: 'CHECKPOINT_WRITE_ALARM' },
  'audit.witness_unreachable': { file: 'audit-anchor/witness-push.service.ts', names: 'WITNESS_UNREACHABLE_ALARM' },
  'audit.witness_conflict': { file: 'audit-anchor/witness-push.service.ts', names: 'WITNESS_CONFLICT_ALARM' },
};

/** The text of every `.clear(` call (its arguments up to the closing parenthesis) in a file. */
function clearCalls(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\.clear\(/g)) {
    let depth = 1;
    let i = m.index + m[0].length;
    const start = i;
    while (i < text.length && depth > 0) {
      if (text[i] === '(') depth++;
      if (text[i] === ')') depth--;
      i++;
    }
    out.push(text.slice(start, i - 1));
  }
  return out;
}

describe('alarm catalogue', () => {
  it('has one entry per type, named by its own key', () => {
    for (const type of ALARM_TYPES) {
      expect(ALARM_CATALOGUE[type].type).toBe(type);
      expect(alarmKey(type, 'x')).toBe(`${type}:x`);
    }
  });

  it('knows every alarm type the server raises', () => {
    const raised = new Set<string>();
    for (const [file, text] of files) {
      for (const m of text.matchAll(/\.raise\(\{/g)) {
        // the type of this raise: the first `type:` after the call
        const after = text.slice(m.index, m.index + 1500);
        // the cabinet feature's helper raises `{ ...a, ward, … }`: its callers are read below
        if (/^\.raise\(\{\s*\.\.\.a,/.test(after)) continue;
        const t = /\btype(?::\s*(?:'([a-z_]+\.[a-z_]+)'|([A-Z_]+)\b|(\w+))|(,))/.exec(after);
        expect({ file, found: t !== null }).toEqual({ file, found: true });
        const type = t![1] ?? (t![2] ? constants.get(t![2]) : undefined);
        if (t![3] !== undefined || t![4] !== undefined) {
          // computed: only the rule engine does that (ruleAlarmType, its six types added below)
          expect(file).toBe('alarm-engine/alarm-rule-evaluator.service.ts');
          continue;
        }
        expect({ file, type }).toEqual({ file, type: expect.any(String) });
        raised.add(type!);
      }
    }
    // the cabinet feature raises through a local helper `alarm({ type: … })`
    for (const m of files.get('cabinets/cabinet-state.service.ts')!.matchAll(/await alarm\(\{\s*(?:[\s\S]{0,40}?)type: '([a-z_.]+)'/g)) raised.add(m[1]!);
    for (const k of ['sensor', 'cabinet', 'device']) for (const c of ['threshold', 'stale']) raised.add(`${k}.${c}`);
    expect(raised.size).toBeGreaterThan(20);
    expect([...raised].filter((t) => !ALARM_TYPES.includes(t as AlarmType))).toEqual([]);
    // …and the catalogue lists nothing the server never raises
    expect(ALARM_TYPES.filter((t) => !raised.has(t))).toEqual([]);
  });

  it('every type clears: by a person of named roles, or by the server when its condition ends', () => {
    const listened = new Set<string>([...Object.keys(CONDITION_WATCHES), ...Object.keys(CONDITION_DEADLINES)]);
    const problems: string[] = [];
    for (const type of ALARM_TYPES) {
      const c = ALARM_CATALOGUE[type].clears;
      if (c.by === 'resolution') {
        if (c.roles.length === 0) problems.push(`${type}: resolution by nobody`);
        if (!c.hint) problems.push(`${type}: no hint of what resolving means`);
        if (listened.has(type)) problems.push(`${type}: resolved by a person and also cleared by a listener`);
        continue;
      }
      if (!c.condition) problems.push(`${type}: no condition named`);
      const where = CLEARED_WHERE_RAISED[type as ConditionType];
      if (!listened.has(type) && !where) {
        problems.push(`${type}: nothing clears it`);
        continue;
      }
      if (where) {
        const text = files.get(where.file);
        if (!text) problems.push(`${type}: ${where.file} does not exist`);
        else if (!clearCalls(text).some((call) => call.includes(where.names)) && !(text.includes(where.names) && clearCalls(text).length > 0))
          problems.push(`${type}: ${where.file} has no clear call naming ${where.names}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the six alarms that never cleared now do, each its own way', () => {
    const how = (t: AlarmType) => ALARM_CATALOGUE[t].clears.by;
    expect(how('robot.fatal_error')).toBe('condition');
    expect(how('mission.order_unacknowledged')).toBe('condition');
    expect(how('custody.robot_lost')).toBe('condition');
    for (const t of ['robot.fatal_error', 'mission.order_unacknowledged', 'custody.robot_lost']) expect(Object.keys(CONDITION_WATCHES)).toContain(t);
    for (const t of ['custody.compartment_forced', 'custody.doses_lost', 'custody.receipt_discrepancy'] as const) {
      const c = ALARM_CATALOGUE[t].clears;
      expect(c).toMatchObject({ by: 'resolution', audit: 'custody' });
      expect(c.by === 'resolution' && c.roles).toEqual(expect.arrayContaining(['pharmacist']));
      expect(c.by === 'resolution' && c.roles).not.toContain('nurse');
    }
  });

  it('words a reading rounded, in the site time zone (Asia/Shanghai by default)', () => {
    expect(DEFAULT_SITE_TIME_ZONE).toBe('Asia/Shanghai');
    const d = describeAlarm({
      type: 'coldchain.excursion',
      params: {
        storageId: 'FRIDGE-1',
        excursionId: 'e1',
        minAllowedC: 2,
        maxAllowedC: 8,
        window: { start: '2026-12-03T12:04:00.000Z', end: null },
        nowC: 10.700000000000001,
        minC: 8.2,
        maxC: 10.700000000000001,
      },
    });
    expect(d.severity).toBe('critical');
    expect(d.message).toBe('FRIDGE-1: out of 2–8 °C since 3 Dec 20:04 (now 10.7 °C).');
    expect(d.message).not.toMatch(/\d\.\d{3,}/);
    expect(d.title).toBe('FRIDGE-1: temperature out of range');
    expect(localTime('2026-12-03T23:30:00Z', 'Asia/Shanghai')).toBe('4 Dec 07:30');
    expect(localTime('2026-12-03T23:30:00Z', 'Europe/London')).toBe('3 Dec 23:30');
    expect(roundNumbersIn('temperatureC > 8 (now 10.700000000000001)')).toBe('temperatureC > 8 (now 10.7)');
  });

  it('a rule alarm takes its severity from the rule and rounds the engine text', () => {
    const d = describeAlarm({
      type: 'sensor.threshold',
      params: {
        deviceId: 'S-1',
        channel: 'main',
        ruleId: 'r1',
        condition: 'temperatureC > 8 (now 8.300000000000001)',
        value: 8.3,
        severity: 'warning',
        at: '2026-12-03T00:00:00Z',
      },
    });
    expect(d).toEqual({
      severity: 'warning',
      title: 'Sensor S-1 main: reading out of range',
      message: 'S-1/main: temperatureC > 8 (now 8.3) (since 3 Dec 08:00)',
    });
  });

  it('words every type from sample parameters without leaking undefined, NaN or long decimals', () => {
    const samples: { [T in AlarmType]?: unknown } = {};
    for (const type of ALARM_TYPES) {
      // the wording functions only read what their parameters type says; a generic sample covers them
      const p = new Proxy(
        {},
        {
          get: (_t, k) =>
            k === 'doses' || k === 'missing' || k === 'rights'
              ? ['d1', 'd2']
              : k === 'window'
                ? { start: '2026-12-03T12:00:00Z', end: null }
                : /At$|^at$|Until$|^since$/.test(String(k))
                  ? '2026-12-03T12:00:00Z'
                  : /C$|Pct$|S$|[mM]inutes/.test(String(k))
                    ? 3.14159
                    : /failures|locks|attempts|counted|expected|PerSec|Ms$|droppedWhileThrottled|dosesQuarantined/.test(String(k))
                      ? 3
                      : k === 'severity'
                        ? 'warning'
                        : k === 'scope'
                          ? 'username'
                          : `${String(k)}-x`,
        },
      );
      samples[type] = p;
      const d = describeAlarm({ type, params: p } as never);
      expect(`${type}: ${d.title} / ${d.message}`).not.toMatch(/undefined|NaN|\[object|\d\.\d{3,}/);
      expect(d.message.length).toBeLessThanOrEqual(500);
      expect(alarmTitle(type, p as never)).toBe(d.title);
    }
    expect(Object.keys(samples)).toHaveLength(ALARM_TYPES.length);
    // a stored row of an unknown type still gets a readable title
    expect(alarmTitle('legacy.thing_happened', {})).toBe('Legacy thing happened');
  });
});
