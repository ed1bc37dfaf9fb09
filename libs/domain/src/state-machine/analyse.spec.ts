import { describe, expect, it } from '@jest/globals';
import { analyseMachine, assertMachineSound, UnsoundMachineError, type MachineShape } from './analyse.js';

const sound: MachineShape = {
  name: 'ticket',
  initial: 'open',
  states: {
    open: { to: ['in_progress', 'closed'] },
    in_progress: { to: ['open', 'closed'] },
    closed: { to: ['reopened'], terminal: true },
    reopened: { to: ['closed'] },
  },
  guards: [{ from: 'in_progress', to: 'closed' }],
};

describe('analyseMachine', () => {
  it('accepts a sound machine, including a terminal state with a correction exit', () => {
    const analysis = analyseMachine(sound);
    expect(analysis).toMatchObject({
      machine: 'ticket',
      initialDefined: true,
      unreachable: [],
      deadEnds: [],
      undefinedTargets: [],
      strayGuards: [],
      sound: true,
      problems: [],
    });
    expect(() => assertMachineSound(sound)).not.toThrow();
  });

  it('finds states unreachable from the initial state', () => {
    const analysis = analyseMachine({
      name: 'm',
      initial: 'a',
      states: { a: { to: ['done'] }, orphan: { to: ['done'] }, done: { to: [], terminal: true } },
    });
    expect(analysis.unreachable).toEqual(['orphan']);
    expect(analysis.sound).toBe(false);
  });

  it('finds non-terminal states that can never reach a terminal state', () => {
    const analysis = analyseMachine({
      name: 'm',
      initial: 'a',
      states: {
        a: { to: ['loop1', 'stuck', 'done'] },
        loop1: { to: ['loop2'] },
        loop2: { to: ['loop1'] },
        stuck: { to: [] },
        done: { to: [], terminal: true },
      },
    });
    expect(analysis.deadEnds).toEqual(['loop1', 'loop2', 'stuck']);
    expect(analysis.unreachable).toEqual([]);
  });

  it('finds targets that are not defined and does not traverse them', () => {
    const analysis = analyseMachine({
      name: 'm',
      initial: 'a',
      states: { a: { to: ['ghost', 'done'] }, done: { to: [], terminal: true } },
    });
    expect(analysis.undefinedTargets).toEqual([{ from: 'a', to: 'ghost' }]);
    expect(analysis.problems).toContain("'a' lists undefined target 'ghost'");
  });

  it('reports an undefined initial state, which makes every state unreachable', () => {
    const analysis = analyseMachine({ name: 'm', initial: 'nope', states: { done: { to: [], terminal: true } } });
    expect(analysis.initialDefined).toBe(false);
    expect(analysis.unreachable).toEqual(['done']);
  });

  it('reports a machine without any terminal state', () => {
    const analysis = analyseMachine({ name: 'm', initial: 'a', states: { a: { to: ['b'] }, b: { to: ['a'] } } });
    expect(analysis.problems).toContain('no state is marked terminal');
    expect(analysis.deadEnds).toEqual(['a', 'b']);
  });

  it('reports guards attached to transitions the table does not declare', () => {
    const analysis = analyseMachine({ ...sound, guards: [{ from: 'open', to: 'reopened' }] });
    expect(analysis.strayGuards).toEqual([{ from: 'open', to: 'reopened' }]);
    expect(analysis.sound).toBe(false);
  });

  it('assertMachineSound throws with every problem listed', () => {
    const broken: MachineShape = {
      name: 'broken',
      initial: 'a',
      states: { a: { to: ['x'] }, b: { to: [] } },
    };
    let thrown: unknown;
    try {
      assertMachineSound(broken);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UnsoundMachineError);
    const error = thrown as UnsoundMachineError;
    expect(error.message).toContain("state machine 'broken' is unsound");
    expect(error.message).toContain("'b' is unreachable from 'a'");
    expect(error.message).toContain("'a' lists undefined target 'x'");
    expect(error.analysis.deadEnds).toEqual(['a', 'b']);
  });
});
