/** The condition table: which bus event ends which alarm, read as plain functions. */
import { describe, expect, it } from '@jest/globals';
import type { State } from '#contracts';
import { CONDITION_DEADLINES, CONDITION_WATCHES } from './alarm-conditions.service.js';

const state = (over: Partial<State>) => ({ orderId: '', orderUpdateId: 0, errors: [], ...over }) as unknown as State;

describe('alarm condition table', () => {
  it('robot.fatal_error ends with a state of that robot without a FATAL error', () => {
    const ends = CONDITION_WATCHES['robot.fatal_error']!['robot.state']!;
    const p = { robot: 'R1', errorType: 'x', errorDescription: null, missionId: 'm1' };
    const fatal = [{ errorType: 'x', errorLevel: 'FATAL' }];
    expect(ends({ deviceId: 'rbt-1', state: state({ errors: fatal as never }) }, p, 'rbt-1')).toBeNull();
    expect(ends({ deviceId: 'rbt-2', state: state({}) }, p, 'rbt-1')).toBeNull();
    expect(ends({ deviceId: 'rbt-1', state: state({ errors: [{ errorType: 'y', errorLevel: 'WARNING' }] as never }) }, p, 'rbt-1')).toMatch(/no FATAL/);
  });

  it('mission.order_unacknowledged ends with a late echo, a later order taken, or the mission ending otherwise — not with its own failure', () => {
    const w = CONDITION_WATCHES['mission.order_unacknowledged']!;
    const p = { robot: 'R1', robotId: 'rbt-1', missionId: 'm1', orderId: 'o1', orderUpdateId: 1, attempts: 2, refusal: null };
    expect(w['robot.state']!({ deviceId: 'rbt-1', state: state({ orderId: '' }) }, p, 'm1')).toBeNull();
    // the robot still runs the order's earlier update: the one that went unanswered is not acknowledged
    expect(w['robot.state']!({ deviceId: 'rbt-1', state: state({ orderId: 'o1', orderUpdateId: 0 }) }, p, 'm1')).toBeNull();
    expect(w['robot.state']!({ deviceId: 'rbt-1', state: state({ orderId: 'o1', orderUpdateId: 1 }) }, p, 'm1')).toMatch(/acknowledged order o1/);
    // a refused order is not taken by echoing it
    expect(w['robot.state']!({ deviceId: 'rbt-1', state: state({ orderId: 'o1', orderUpdateId: 1 }) }, { ...p, refusal: 'no route' }, 'm1')).toBeNull();
    expect(w['mission.changed']!({ missionId: 'm1', status: 'failed', robotId: 'rbt-1' }, p, 'm1')).toBeNull();
    expect(w['mission.changed']!({ missionId: 'm1', status: 'cancelled', robotId: 'rbt-1' }, p, 'm1')).toBe('mission cancelled');
    expect(w['mission.changed']!({ missionId: 'm2', status: 'assigned', robotId: 'rbt-1' }, p, 'm1')).toBeNull();
    expect(w['mission.changed']!({ missionId: 'm2', status: 'running', robotId: 'rbt-1' }, p, 'm1')).toMatch(/mission m2/);
    expect(w['mission.changed']!({ missionId: 'm3', status: 'running', robotId: 'rbt-9' }, p, 'm1')).toBeNull();
  });

  it('custody.robot_lost ends when the delivery is handed over or ended, not when the robot comes back', () => {
    const w = CONDITION_WATCHES['custody.robot_lost']!;
    const p = { deliveryId: 'd1', robotId: 'rbt-1', missionId: 'm1', failure: 'robot offline' };
    expect(w['robot.connection']).toBeUndefined();
    expect(w['custody.delivery_changed']!({ deliveryId: 'd1', ward: 'W', state: 'failed', robotId: 'rbt-1' }, p, 'd1')).toBeNull();
    expect(w['custody.delivery_changed']!({ deliveryId: 'd1', ward: 'W', state: 'escalated_manual', robotId: 'rbt-1' }, p, 'd1')).toMatch(/courier/);
    expect(w['custody.delivery_changed']!({ deliveryId: 'd1', ward: 'W', state: 'returned', robotId: 'rbt-1' }, p, 'd1')).toBe('delivery returned');
  });

  it('a sign-in lock alarm ends at its lockedUntil', () => {
    expect(
      CONDITION_DEADLINES['security.sign_in_locked']!({
        scope: 'username',
        channel: 'http',
        subject: 'bob',
        failures: 5,
        lockedUntil: '2026-12-03T12:00:00Z',
        locks: 1,
      }),
    ).toBe('2026-12-03T12:00:00Z');
  });
});
