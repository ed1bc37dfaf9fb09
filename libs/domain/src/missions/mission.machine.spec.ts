import { describe, expect, it } from '@jest/globals';
import { analyseMachine, assertTransition } from '../state-machine/index.js';
import { missionMachine } from './mission.machine.js';

describe('mission machine', () => {
  it('is sound', () => {
    expect(analyseMachine(missionMachine).problems).toEqual([]);
  });

  it('lets a fast robot go from sent straight to finished, and moves between stops', () => {
    expect(() => assertTransition(missionMachine, 'sent', 'finished')).not.toThrow();
    expect(() => assertTransition(missionMachine, 'at_stop', 'at_stop')).not.toThrow();
  });

  it('never leaves an ended mission', () => {
    for (const end of ['finished', 'failed', 'cancelled'] as const) {
      expect(() => assertTransition(missionMachine, end, 'running')).toThrow(/mission/);
    }
  });

  it('does not let a queued mission report progress', () => {
    expect(() => assertTransition(missionMachine, 'queued', 'running')).toThrow(/queued/);
  });
});
