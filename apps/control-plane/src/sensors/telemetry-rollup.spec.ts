import { describe, expect, it } from '@jest/globals';
import { minuteBucket, RollupAccumulator } from './telemetry-rollup.js';

const T0 = Date.UTC(2025, 0, 1, 8, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000);
const r = (s: number, value: number, metric = 'temperatureC') => ({ deviceId: 'F1', channel: 'air', metric, value, at: at(s) });

describe('RollupAccumulator', () => {
  it('keeps min, max, sum and count per series and minute', () => {
    const acc = new RollupAccumulator();
    for (const [s, v] of [
      [0, 4],
      [20, 6],
      [59, 5],
      [60, 9],
    ] as const)
      acc.add(r(s, v), at(60));
    acc.add(r(30, 1, 'doorOpen'), at(60));
    const buckets = acc.takeTouched(at(61));
    expect(buckets).toEqual(
      expect.arrayContaining([
        { deviceId: 'F1', channel: 'air', metric: 'temperatureC', bucket: minuteBucket(at(0)), min: 4, max: 6, sum: 15, count: 3 },
        { deviceId: 'F1', channel: 'air', metric: 'temperatureC', bucket: minuteBucket(at(60)), min: 9, max: 9, sum: 9, count: 1 },
        { deviceId: 'F1', channel: 'air', metric: 'doorOpen', bucket: minuteBucket(at(0)), min: 1, max: 1, sum: 1, count: 1 },
      ]),
    );
    expect(buckets).toHaveLength(3);
  });

  it('returns only buckets touched since the last flush, whole', () => {
    const acc = new RollupAccumulator();
    acc.add(r(0, 4), at(1));
    acc.add(r(70, 5), at(71));
    acc.takeTouched(at(72));
    acc.add(r(10, 8), at(73)); // a late reading for the first minute
    expect(acc.takeTouched(at(74))).toEqual([
      { deviceId: 'F1', channel: 'air', metric: 'temperatureC', bucket: minuteBucket(at(0)), min: 4, max: 8, sum: 12, count: 2 },
    ]);
  });

  it('forgets old buckets and refuses readings for them, retries failed writes', () => {
    const acc = new RollupAccumulator(2);
    acc.add(r(0, 4), at(0));
    acc.takeTouched(at(10 * 60));
    expect(acc.size).toBe(0);
    expect(acc.add(r(5, 4), at(10 * 60))).toBe(false);
    acc.add(r(600, 4), at(600));
    const once = acc.takeTouched(at(600));
    acc.retry(once);
    expect(acc.takeTouched(at(600))).toEqual(once);
  });

  it('can take only the buckets of closed minutes, oldest first and at most so many, and keeps the rest until taken', () => {
    const acc = new RollupAccumulator(2);
    for (const dev of ['A', 'B', 'C']) acc.add({ ...r(0, 4), deviceId: dev }, at(0));
    acc.add(r(70, 5), at(70));
    acc.add(r(130, 6), at(130));
    // at 2:05 the minutes 0:00 and 1:00 are over (5 s of grace), 2:00 is not
    const first = acc.takeTouched(at(125), { closedOnly: true, graceMs: 5000, max: 2 });
    expect(first.map((b) => [b.deviceId, b.bucket])).toEqual([
      ['A', minuteBucket(at(0))],
      ['B', minuteBucket(at(0))],
    ]);
    expect(acc.pending).toBe(3);
    // minute 0:00 is past keepMinutes at 3:00 but C's bucket was never written: it is kept for the next take
    const second = acc.takeTouched(at(180), { closedOnly: true, graceMs: 5000, max: 10 });
    expect(second.map((b) => [b.deviceId, b.bucket])).toEqual([
      ['C', minuteBucket(at(0))],
      ['F1', minuteBucket(at(60))],
    ]);
    expect(acc.takeTouched(at(180))).toEqual([
      { deviceId: 'F1', channel: 'air', metric: 'temperatureC', bucket: minuteBucket(at(120)), min: 6, max: 6, sum: 6, count: 1 },
    ]);
    acc.takeTouched(at(181));
    expect(acc.size).toBe(1); // only the 2:00 bucket is still inside keepMinutes
  });

  it("can take one device's buckets alone, leaving the others touched", () => {
    const acc = new RollupAccumulator();
    acc.add({ ...r(0, 4), deviceId: 'A' }, at(1));
    acc.add({ ...r(0, 5), deviceId: 'B' }, at(1));
    expect(acc.takeTouched(at(2), { deviceId: 'B' }).map((b) => b.deviceId)).toEqual(['B']);
    expect(acc.takeTouched(at(2)).map((b) => b.deviceId)).toEqual(['A']);
  });
});
