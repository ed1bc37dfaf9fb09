import { beforeEach, describe, expect, it } from '@jest/globals';
import { newTestService, type TestService } from '#testing';
import { ConflictError, type MissionStatus, RuleViolationError } from '#domain';
import { type MissionEntity, MissionsRepository, newQueuedMission } from '#persistence';
import { EventBus } from '../common/events.js';
import { MissionLifecycle, type NewMission } from './mission-lifecycle.js';

const FIELDS: NewMission = {
  kind: 'transport',
  priority: 'urgent',
  stops: [
    { nodeId: 'F0-PHARMACY-DOCK', actions: [] },
    { nodeId: 'F1-CARD-STATION', actions: [{ kind: 'drop' }] },
  ],
  requiredRobotId: null,
  cargo: null,
  createdBy: 'ph.li',
};

function missionIn(status: MissionStatus, robotId: string | null = status === 'queued' ? null : 'robot-1'): MissionEntity {
  return Object.assign(newQueuedMission(FIELDS, new Date('2025-01-01T00:00:00Z')), { status, robotId });
}

describe('MissionLifecycle', () => {
  let t: TestService<MissionLifecycle>;
  /** what the repository and the bus were called with, in the order it happened */
  let calls: { what: 'save' | 'emit'; status: string; event?: string; payload?: unknown }[];

  beforeEach(() => {
    t = newTestService(MissionLifecycle);
    calls = [];
    t.mock(MissionsRepository).save.mockImplementation(async (m: MissionEntity, event: string) => {
      calls.push({ what: 'save', status: m.status, event });
    });
    t.mock(EventBus).emit.mockImplementation((_type, payload) => {
      calls.push({ what: 'emit', status: (payload as { status: string }).status, payload });
    });
  });

  it('queues a new mission: saved with its created line, then announced once', async () => {
    const m = await t.sut.create(FIELDS, { by: 'ph.li', stops: 2 });
    expect(m).toMatchObject({ status: 'queued', robotId: null, paused: false, createdBy: 'ph.li' });
    expect(t.mock(MissionsRepository).save).toHaveBeenCalledWith(m, 'created', { by: 'ph.li', stops: 2 });
    expect(calls.map((c) => c.what)).toEqual(['save', 'emit']);
    expect(t.mock(EventBus).emit).toHaveBeenCalledTimes(1);
    expect(t.mock(EventBus).emit).toHaveBeenCalledWith('mission.changed', { missionId: m.id, status: 'queued', robotId: null });
  });

  const moves: [MissionStatus, MissionStatus, string][] = [
    ['queued', 'assigned', 'assigned'],
    ['assigned', 'sent', 'sent'],
    ['sent', 'accepted', 'accepted'],
    ['accepted', 'running', 'running'],
    ['running', 'at_stop', 'arrived_at_stop'],
    ['at_stop', 'at_stop', 'arrived_at_stop'],
    ['at_stop', 'finished', 'finished'],
    ['running', 'failed', 'failed'],
    ['sent', 'cancelled', 'cancelled'],
    ['queued', 'cancelled', 'cancelled'],
  ];

  it.each(moves)('%s → %s: persists with its history line, then announces once', async (from, to, event) => {
    const m = missionIn(from);
    const before = m.updatedAt;
    await t.sut.transition(m, to, event, { stop: 1 }, { currentStop: 1 });
    expect(m.status).toBe(to);
    expect(m.currentStop).toBe(1);
    expect(m.updatedAt.getTime()).toBeGreaterThan(before.getTime());
    expect(t.mock(MissionsRepository).save).toHaveBeenCalledTimes(1);
    // conditional on the status it moved from
    expect(t.mock(MissionsRepository).save).toHaveBeenCalledWith(m, event, { stop: 1 }, { status: from });
    // the status saved is the new one, and the announcement comes after the save
    expect(calls).toEqual([
      { what: 'save', status: to, event },
      { what: 'emit', status: to, payload: { missionId: m.id, status: to, robotId: m.robotId } },
    ]);
    expect(t.mock(EventBus).emit).toHaveBeenCalledWith('mission.changed', expect.anything());
  });

  it('sets the paused flag without changing the status, saved then announced', async () => {
    const m = missionIn('running');
    await t.sut.setPaused(m, true, 'paused', { reason: 'estop', pausedBy: ['estop'] });
    expect(m).toMatchObject({ status: 'running', paused: true });
    expect(t.mock(MissionsRepository).save).toHaveBeenCalledWith(m, 'paused', { reason: 'estop', pausedBy: ['estop'] });
    expect(calls.map((c) => [c.what, c.status])).toEqual([
      ['save', 'running'],
      ['emit', 'running'],
    ]);
  });

  it('refuses an illegal move (finished → running) with the domain error, touching and announcing nothing', async () => {
    const m = missionIn('finished');
    const err = await t.sut.transition(m, 'running', 'running', {}, { currentStop: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuleViolationError);
    expect(err).toMatchObject({ code: 'illegal_transition', details: { machine: 'mission', from: 'finished', to: 'running' } });
    expect(m.status).toBe('finished');
    expect(m.currentStop).toBeNull();
    expect(t.mock(MissionsRepository).save).not.toHaveBeenCalled();
    expect(t.mock(EventBus).emit).not.toHaveBeenCalled();
  });

  it('refuses to skip ahead from the queue (queued → running)', async () => {
    await expect(t.sut.transition(missionIn('queued'), 'running', 'running')).rejects.toMatchObject({ code: 'illegal_transition' });
    expect(t.mock(EventBus).emit).not.toHaveBeenCalled();
  });

  it('announces nothing when the save throws, and leaves the mission in memory as the database has it', async () => {
    t.mock(MissionsRepository).save.mockRejectedValue(new Error('database is locked'));
    const running = missionIn('running');
    const { updatedAt, failureReason } = running;
    await expect(t.sut.transition(running, 'failed', 'failed', {}, { failureReason: 'robot offline' })).rejects.toThrow('database is locked');
    expect(running).toMatchObject({ status: 'running', updatedAt, failureReason });
    await expect(t.sut.create(FIELDS)).rejects.toThrow('database is locked');
    await expect(t.sut.setPaused(missionIn('running'), true, 'paused')).rejects.toThrow('database is locked');
    expect(t.mock(EventBus).emit).not.toHaveBeenCalled();
  });

  it('cancels a queued mission by id, with who did it', async () => {
    const m = missionIn('queued');
    t.mock(MissionsRepository).findById.mockResolvedValue(m);
    const out = await t.sut.cancelQueued(m.id, 'ph.li');
    expect(out).toBe(m);
    expect(m.status).toBe('cancelled');
    expect(t.mock(MissionsRepository).save).toHaveBeenCalledWith(m, 'cancelled', { by: 'ph.li' }, { status: 'queued' });
    expect(calls.map((c) => [c.what, c.status])).toEqual([
      ['save', 'cancelled'],
      ['emit', 'cancelled'],
    ]);
  });

  it('will not cancel by id a mission that has ended or vanished', async () => {
    t.mock(MissionsRepository).findById.mockResolvedValueOnce(missionIn('finished'));
    const ended = await t.sut.cancelQueued('m-1', 'ph.li').catch((e: unknown) => e);
    expect(ended).toBeInstanceOf(ConflictError);
    expect(ended).toMatchObject({ code: 'mission_ended', details: { status: 'finished' } });
    t.mock(MissionsRepository).findById.mockResolvedValueOnce(null);
    await expect(t.sut.cancelQueued('m-2', 'ph.li')).rejects.toMatchObject({ code: 'mission_not_found' });
    expect(t.mock(MissionsRepository).save).not.toHaveBeenCalled();
    expect(t.mock(EventBus).emit).not.toHaveBeenCalled();
  });

  it('saves a note (order resent, progress) without announcing it', async () => {
    const m = missionIn('running');
    const before = m.updatedAt;
    await t.sut.note(m, 'order_resent', { attempt: 2 });
    expect(m.updatedAt).toBe(before);
    await t.sut.note(m, 'progress', { stop: 1 }, { currentStop: 1 });
    expect(m).toMatchObject({ status: 'running', currentStop: 1 });
    expect(m.updatedAt.getTime()).toBeGreaterThan(before.getTime());
    expect(calls.map((c) => [c.what, c.event])).toEqual([
      ['save', 'order_resent'],
      ['save', 'progress'],
    ]);
  });

  it('announces a queued mission whose derived view changed without saving it', () => {
    const m = missionIn('queued');
    t.sut.announce(m);
    expect(t.mock(MissionsRepository).save).not.toHaveBeenCalled();
    expect(t.mock(EventBus).emit).toHaveBeenCalledWith('mission.changed', { missionId: m.id, status: 'queued', robotId: null });
  });
});
