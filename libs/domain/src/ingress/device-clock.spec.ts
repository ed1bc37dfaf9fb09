import { describe, expect, it } from '@jest/globals';
import { DeviceClocks, judgeDeviceTime, type DeviceClockPolicy } from './device-clock.js';

const POLICY: DeviceClockPolicy = { maxSkewMs: 30_000, streak: 3 };
const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);
const s = (n: number) => n * 1000;

describe('judgeDeviceTime', () => {
  it('takes the receipt time for the first message of a device, whatever its stamp says', () => {
    expect(judgeDeviceTime(undefined, T0 - s(3600), T0, POLICY)).toMatchObject({ judgedAt: T0, backfill: false, skew: 'past' });
    expect(judgeDeviceTime(undefined, T0 + s(3600), T0, POLICY)).toMatchObject({ judgedAt: T0, backfill: false, skew: 'future' });
    expect(judgeDeviceTime(undefined, T0 - 50, T0, POLICY)).toMatchObject({ judgedAt: T0, skew: null });
  });

  it("keeps a live device's own time, inside (last heard, now]", () => {
    const first = judgeDeviceTime(undefined, T0, T0, POLICY).next;
    const j = judgeDeviceTime(first, T0 + s(60) - 40, T0 + s(60), POLICY);
    expect(j).toMatchObject({ judgedAt: T0 + s(60) - 40, backfill: false, skew: null });
  });

  it('clamps a future stamp to the receipt time and counts it as skew beyond the allowance', () => {
    const first = judgeDeviceTime(undefined, T0, T0, POLICY).next;
    expect(judgeDeviceTime(first, T0 + s(61), T0 + s(60), POLICY)).toMatchObject({ judgedAt: T0 + s(60), skew: null });
    expect(judgeDeviceTime(first, T0 + s(600), T0 + s(60), POLICY)).toMatchObject({ judgedAt: T0 + s(60), skew: 'future', offsetMs: s(540) });
  });

  it('puts backdated readings from a device heard a moment ago inside that moment: 36 minutes sent in a second last a second', () => {
    let state = judgeDeviceTime(undefined, T0 - s(36 * 60), T0, POLICY).next;
    const judged = [T0];
    for (let i = 1; i <= 36; i++) {
      const j = judgeDeviceTime(state, T0 - s(36 * 60) + s(60 * i), T0 + i * 25, POLICY);
      judged.push(j.judgedAt);
      state = j.next;
    }
    expect(Math.max(...judged) - Math.min(...judged)).toBeLessThanOrEqual(1000);
    // strictly after the previous one, so the cold chain never drops them as stale
    for (let i = 1; i < judged.length; i++) expect(judged[i]!).toBeGreaterThan(judged[i - 1]!);
  });

  it('lets a device that was silent for a gap backfill inside it, message after message, until it is live again', () => {
    const heard = judgeDeviceTime(undefined, T0, T0, POLICY).next;
    const back = T0 + s(600); // silent for 10 minutes
    let state = heard;
    for (const [i, minute] of [1, 2, 5, 9].entries()) {
      const j = judgeDeviceTime(state, T0 + s(60 * minute), back + i * 10, POLICY);
      expect(j).toMatchObject({ judgedAt: T0 + s(60 * minute), backfill: true, skew: null });
      state = j.next;
    }
    // before the gap: not explained by it, so just after the last message heard, and counted as skew
    expect(judgeDeviceTime(state, T0 - s(60), back + 100, POLICY)).toMatchObject({ judgedAt: back + 31, backfill: false, skew: 'past' });
    // a live message closes the gap; a later stamp inside it is clamped
    const live = judgeDeviceTime(state, back + 200, back + 200, POLICY);
    expect(live).toMatchObject({ judgedAt: back + 200, backfill: false, skew: null });
    expect(live.next.gap).toBeNull();
    expect(judgeDeviceTime(live.next, T0 + s(300), back + 300, POLICY)).toMatchObject({ judgedAt: back + 201, backfill: false, skew: 'past' });
  });

  it('reports a persistent skew after `streak` skewed messages, and its end after `streak` good ones; backfill counts neither way', () => {
    let state = judgeDeviceTime(undefined, T0, T0, POLICY).next;
    const changes: (string | null)[] = [];
    const send = (ts: number, at: number) => {
      const j = judgeDeviceTime(state, ts, at, POLICY);
      state = j.next;
      changes.push(j.persistent);
      return j;
    };
    for (let i = 1; i <= 4; i++) send(T0 + s(i) + s(3600), T0 + s(i)); // an hour ahead
    expect(changes).toEqual([null, null, 'start', null]);
    expect(state.persistent).toBe(true);
    changes.length = 0;
    send(T0 + s(5), T0 + s(5));
    send(T0 + s(6), T0 + s(6));
    // a gap, then a backfill: neither breaks nor continues the good run
    expect(send(T0 + s(40), T0 + s(100)).backfill).toBe(true);
    send(T0 + s(101), T0 + s(101));
    expect(changes).toEqual([null, null, null, 'end']);
    expect(state.persistent).toBe(false);
  });

  it('a lag a few allowances long is counted but never alarms (under load it is the server backlog); one ten allowances behind does', () => {
    let state = judgeDeviceTime(undefined, T0, T0, POLICY).next;
    const run = (lagMs: number) =>
      Array.from({ length: 4 }, () => {
        const at = state.heardAt + 1000;
        const j = judgeDeviceTime(state, at - lagMs, at, POLICY);
        state = j.next;
        return [j.skew, j.persistent];
      });
    expect(run(s(90))).toEqual(Array(4).fill(['past', null]));
    expect(state.persistent).toBe(false);
    expect(run(s(600))).toEqual([
      ['past', null],
      ['past', null],
      ['past', 'start'],
      ['past', null],
    ]);
  });
});

describe('DeviceClocks', () => {
  it('keeps one entry per device, dropping the least recently heard past its bound', () => {
    const clocks = new DeviceClocks(POLICY, 2);
    clocks.judge('a', T0, T0);
    clocks.judge('b', T0, T0);
    clocks.judge('a', T0 + 1, T0 + 1);
    clocks.judge('c', T0 + 2, T0 + 2);
    expect(clocks.size).toBe(2);
    expect(clocks.stateOf('b')).toBeUndefined();
    expect(clocks.stateOf('a')?.heardAt).toBe(T0 + 1);
    clocks.forget('a');
    expect(clocks.stateOf('a')).toBeUndefined();
  });

  it('refuses a policy it cannot apply', () => {
    expect(() => new DeviceClocks({ maxSkewMs: -1, streak: 5 })).toThrow(/maxSkewMs/);
    expect(() => new DeviceClocks({ maxSkewMs: 1000, streak: 0 })).toThrow(/streak/);
  });
});
