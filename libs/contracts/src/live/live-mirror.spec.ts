import { describe, expect, it } from '@jest/globals';
import { LiveMirror } from './live-mirror.js';
import type { LiveDelta, LiveRobot } from './live.types.js';

const robot = (id: string): LiveRobot => ({
  id,
  manufacturer: 'M',
  serialNumber: id,
  connection: 'ONLINE',
  stale: false,
  position: { x: 0, y: 0, theta: 0, mapId: 'F1' },
  batteryPct: 90,
  charging: false,
  driving: false,
  paused: false,
  operatingMode: 'AUTOMATIC',
  eStop: 'NONE',
  errors: [],
  lastNodeId: null,
  missionId: null,
});
const delta = (seq: number, event: LiveDelta['event'], epoch = 'e'): LiveDelta => ({ room: 'site', epoch, seq, at: '', event });

describe('LiveMirror', () => {
  it('applies deltas in seq order on top of a snapshot and reports gaps, duplicates and other epochs', () => {
    const m = new LiveMirror('site');
    expect(m.apply(delta(1, { type: 'robot', data: robot('a') }))).toBe('gap');
    m.applySnapshot({ room: 'site', epoch: 'e', seq: 5, at: '', robots: [robot('a')], missions: [], alarms: [], sensors: [] });
    expect(m.apply(delta(5, { type: 'robot.left', data: { robotId: 'a' } }))).toBe('duplicate');
    expect(m.robots.has('a')).toBe(true);
    expect(m.apply(delta(6, { type: 'robot', data: robot('b') }))).toBe('applied');
    expect(m.apply(delta(8, { type: 'robot.left', data: { robotId: 'a' } }))).toBe('gap');
    expect(m.apply(delta(7, { type: 'robot.left', data: { robotId: 'a' } }))).toBe('applied');
    expect([...m.robots.keys()]).toEqual(['b']);
    expect(m.apply(delta(8, { type: 'robot.left', data: { robotId: 'b' } }, 'other'))).toBe('gap');
    expect(m.resumeFrom()).toEqual({ epoch: 'e', seq: 7 });
    expect(m.applyPosition({ robotId: 'b', position: { x: 3, y: 4, theta: 1, mapId: 'F1' }, driving: true, at: '' })).toBe(true);
    expect(m.robots.get('b')!.position).toEqual({ x: 3, y: 4, theta: 1, mapId: 'F1' });
    expect(m.applyPosition({ robotId: 'zz', position: { x: 3, y: 4, theta: 1, mapId: 'F1' }, driving: true, at: '' })).toBe(false);
  });

  it('applies a frame of deltas from several rooms: its own in order, others ignored, stops at a gap', () => {
    const m = new LiveMirror('site');
    m.applySnapshot({ room: 'site', epoch: 'e', seq: 2, at: '', robots: [], missions: [], alarms: [], sensors: [] });
    const other: LiveDelta = { ...delta(1, { type: 'robot', data: robot('x') }), room: 'ward:W-CARD' };
    expect(m.applyBatch([other])).toBe('ignored');
    expect(m.applyBatch([delta(2, { type: 'robot', data: robot('a') })])).toBe('duplicate');
    expect(m.applyBatch([delta(3, { type: 'robot', data: robot('a') }), other, delta(4, { type: 'robot', data: robot('b') })])).toBe('applied');
    expect([...m.robots.keys()]).toEqual(['a', 'b']);
    expect(
      m.applyBatch([
        delta(5, { type: 'robot', data: robot('c') }),
        delta(7, { type: 'robot', data: robot('d') }),
        delta(8, { type: 'robot', data: robot('e') }),
      ]),
    ).toBe('gap');
    expect(m.seq).toBe(5);
    expect(m.robots.has('d')).toBe(false);
  });
});
