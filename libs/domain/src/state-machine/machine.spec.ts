import { describe, expect, it } from '@jest/globals';
import { RuleViolationError } from '../errors.js';
import { allowedTransitions, assertTransition, canTransition, checkTransition, defineMachine, isTerminal, type StateOf } from './machine.js';

const door = defineMachine({
  name: 'door',
  initial: 'closed',
  states: {
    closed: { to: ['open', 'locked'] },
    open: { to: ['closed'] },
    locked: { to: ['closed', 'scrapped'] },
    scrapped: { to: [], terminal: true },
  },
});

interface Badge {
  readonly holder: string | null;
}

const vault = defineMachine({
  name: 'vault',
  initial: 'locked',
  states: {
    locked: { to: ['open', 'maintenance'] },
    maintenance: { to: ['open'] },
    open: { to: ['locked', 'retired'] },
    retired: { to: [], terminal: true },
  },
  guards: [{ from: 'locked', to: 'open', check: (badge: Badge) => (badge.holder ? null : 'a badge is required') }],
});

function caught(fn: () => void): RuleViolationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RuleViolationError) return error;
    throw error;
  }
  throw new Error('expected a RuleViolationError, nothing was thrown');
}

describe('state machine', () => {
  it('infers the state union from the definition', () => {
    const state: StateOf<typeof door> = 'locked';
    // @ts-expect-error 'ajar' is not a state of the door machine
    const invalid: StateOf<typeof door> = 'ajar';
    expect([state, invalid]).toHaveLength(2);
  });

  it('lists successors and answers structural questions', () => {
    expect(allowedTransitions(door, 'closed')).toEqual(['open', 'locked']);
    expect(canTransition(door, 'closed', 'open')).toBe(true);
    expect(canTransition(door, 'open', 'locked')).toBe(false);
    expect(isTerminal(door, 'scrapped')).toBe(true);
    expect(isTerminal(door, 'closed')).toBe(false);
  });

  it('treats a state it does not know (stale persisted value) as having no exits', () => {
    const stale = 'ajar' as StateOf<typeof door>;
    expect(allowedTransitions(door, stale)).toEqual([]);
    expect(canTransition(door, stale, 'closed')).toBe(false);
    const error = caught(() => assertTransition(door, stale, 'closed'));
    expect(error.message).toContain("'ajar' is not a state of this machine");
  });

  it('does not mistake inherited object keys for states', () => {
    const inherited = 'constructor' as StateOf<typeof door>;
    expect(allowedTransitions(door, inherited)).toEqual([]);
    expect(isTerminal(door, inherited)).toBe(false);
  });

  it('permits a declared transition', () => {
    expect(() => assertTransition(door, 'closed', 'locked')).not.toThrow();
  });

  it('rejects an undeclared transition naming machine, states and alternatives', () => {
    const error = caught(() => assertTransition(door, 'open', 'locked'));
    expect(error.code).toBe('illegal_transition');
    expect(error.kind).toBe('rule');
    expect(error.message).toBe("door: cannot go from 'open' to 'locked'; allowed from 'open': 'closed'");
    expect(error.details).toEqual({ machine: 'door', from: 'open', to: 'locked', allowed: ['closed'] });
  });

  it('says "none" when leaving a terminal state with no exits', () => {
    const error = caught(() => assertTransition(door, 'scrapped', 'closed'));
    expect(error.message).toContain("allowed from 'scrapped': none");
    expect(error.details).toMatchObject({ allowed: [] });
  });

  it('runs the guard of the requested transition and reports its reason', () => {
    const error = caught(() => assertTransition(vault, 'locked', 'open', { holder: null }));
    expect(error.code).toBe('transition_guard_failed');
    expect(error.message).toBe("vault: cannot go from 'locked' to 'open': a badge is required");
    expect(error.details).toEqual({ machine: 'vault', from: 'locked', to: 'open', reason: 'a badge is required' });
    expect(() => assertTransition(vault, 'locked', 'open', { holder: 'nurse-1' })).not.toThrow();
  });

  it('does not run guards of other transitions, even one into the same state', () => {
    expect(() => assertTransition(vault, 'open', 'locked', { holder: null })).not.toThrow();
    expect(() => assertTransition(vault, 'maintenance', 'open', { holder: null })).not.toThrow();
  });

  it('checks the edge before the guard, so an illegal move is never blamed on the guard', () => {
    const result = checkTransition(vault, 'retired', 'open', { holder: 'nurse-1' });
    expect(result).toMatchObject({ ok: false, code: 'illegal_transition' });
  });

  it('reports success without throwing through checkTransition', () => {
    expect(checkTransition(door, 'open', 'closed')).toEqual({ ok: true });
  });
});
