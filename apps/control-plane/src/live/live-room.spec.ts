import { describe, expect, it } from '@jest/globals';
import { LiveRoomLog } from './live-room.js';
import { SampleCoalescer, type Clock } from './live-coalescer.js';
import { assertMayJoin } from './live-access.js';

const ev = (robotId: string) => ({ type: 'robot.left' as const, data: { robotId } });

describe('LiveRoomLog', () => {
  it('numbers events per room and replays what a client missed while it is still in the ring', () => {
    const log = new LiveRoomLog('ward:W-CARD', 'e1', 3);
    for (const id of ['a', 'b', 'c', 'd']) log.append(ev(id));
    expect(log.seq).toBe(4);
    expect(log.since(4)).toEqual([]);
    expect(log.since(2)!.map((d) => [d.seq, d.event.data])).toEqual([
      [3, { robotId: 'c' }],
      [4, { robotId: 'd' }],
    ]);
    expect(log.since(1)!.map((d) => d.seq)).toEqual([2, 3, 4]);
    // seq 1 fell out of a ring of 3: a snapshot is needed
    expect(log.since(0)).toBeNull();
    // a seq from the future (another epoch's numbering) too
    expect(log.since(9)).toBeNull();
  });
});

describe('SampleCoalescer', () => {
  function fakeClock(): Clock & { t: number; run(): void; timers: { at: number; fn: () => void }[] } {
    const c = {
      t: 0,
      timers: [] as { at: number; fn: () => void }[],
      now: () => c.t,
      setTimeout: (fn: () => void, ms: number) => {
        const timer = { at: c.t + ms, fn };
        c.timers.push(timer);
        return timer;
      },
      clearTimeout: (h: unknown) => void c.timers.splice(c.timers.indexOf(h as never), 1),
      run() {
        const due = c.timers.filter((x) => x.at <= c.t);
        c.timers = c.timers.filter((x) => x.at > c.t);
        due.forEach((x) => x.fn());
      },
    };
    return c;
  }

  it('sends the first sample at once, then the latest one per key per interval', () => {
    const clock = fakeClock();
    const sent: [string, number][] = [];
    const co = new SampleCoalescer<number>(500, (k, v) => sent.push([k, v]), clock);
    expect(co.offer('r1', 1)).toBe('sent');
    expect(co.offer('r1', 2)).toBe('deferred');
    expect(co.offer('r1', 3)).toBe('replaced');
    expect(co.offer('r2', 10)).toBe('sent');
    clock.t = 499;
    clock.run();
    expect(sent).toEqual([
      ['r1', 1],
      ['r2', 10],
    ]);
    clock.t = 500;
    clock.run();
    expect(sent.at(-1)).toEqual(['r1', 3]);
    co.offer('r1', 4);
    co.forget('r1');
    clock.t = 2000;
    clock.run();
    expect(sent).toHaveLength(3);
  });

  it('drops a pending sample superseded by a delta, and counts the delta as the last sample sent', () => {
    const clock = fakeClock();
    const sent: [string, number][] = [];
    const co = new SampleCoalescer<number>(500, (k, v) => sent.push([k, v]), clock);
    co.offer('r1', 1);
    co.offer('r1', 2);
    clock.t = 300;
    co.supersede('r1');
    clock.t = 600;
    clock.run();
    expect(sent).toEqual([['r1', 1]]);
    // 600 ms after the first sample but only 300 after the delta: held back
    expect(co.offer('r1', 3)).toBe('deferred');
    clock.t = 800;
    clock.run();
    expect(sent).toEqual([
      ['r1', 1],
      ['r1', 3],
    ]);
  });
});

describe('assertMayJoin', () => {
  const wards = new Set(['W-CARD', 'W-SURG']);
  const nurse = { id: 'n', username: 'n', role: 'nurse' as const, wards: ['W-CARD'] };
  it('lets a nurse into her wards only, and the oversight roles anywhere', () => {
    expect(() => assertMayJoin(nurse, 'ward:W-CARD', wards)).not.toThrow();
    expect(() => assertMayJoin(nurse, 'ward:W-SURG', wards)).toThrow("not assigned to ward 'W-SURG'");
    expect(() => assertMayJoin(nurse, 'site', wards)).toThrow(/whole site/);
    expect(() => assertMayJoin({ ...nurse, role: 'ward_pharmacist', wards: [] }, 'site', wards)).not.toThrow();
    // the safety officer watches every ward and the whole site, like the oversight roles
    expect(() => assertMayJoin({ ...nurse, role: 'safety_officer', wards: [] }, 'site', wards)).not.toThrow();
    expect(() => assertMayJoin({ ...nurse, role: 'safety_officer', wards: [] }, 'ward:W-SURG', wards)).not.toThrow();
    expect(() => assertMayJoin({ ...nurse, role: 'pharmacist', wards: [] }, 'ward:W-X', wards)).toThrow(/not found/);
  });
});
