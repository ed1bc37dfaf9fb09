/**
 * Generic state machine whose states are data (the Vendure pattern): a definition lists each
 * state's permitted successors, and optional guards veto individual transitions given a
 * caller-supplied context. This module owns the definition types and the run-time checks;
 * it performs no side effects — those belong to the service that persists the new state.
 */
import { RuleViolationError } from '../errors.js';

export interface StateNode<S extends string> {
  readonly to: readonly S[];
  /**
   * A state where the lifecycle may legitimately end. Terminal states may still have exits
   * (typically `entered_in_error` for corrections), so "terminal" means "accepting", not "frozen".
   */
  readonly terminal?: boolean;
}

/** Returns null when the transition may proceed, or a human-readable reason that blocks it. */
export type Guard<Ctx> = (ctx: Ctx) => string | null;

export interface TransitionGuard<S extends string, Ctx> {
  readonly from: S;
  readonly to: S;
  readonly check: Guard<Ctx>;
}

/**
 * `NoInfer` makes the `states` keys the single source of the State union, so a typo in
 * `initial`, a `to` list or a guard is a compile error rather than a silently widened union.
 */
export interface MachineDefinition<S extends string, Ctx = undefined> {
  readonly name: string;
  readonly initial: NoInfer<S>;
  readonly states: { readonly [K in S]: StateNode<NoInfer<S>> };
  readonly guards?: readonly TransitionGuard<NoInfer<S>, Ctx>[];
}

export type StateOf<M> = M extends MachineDefinition<infer S, infer _Ctx> ? S : never;
export type ContextOf<M> = M extends MachineDefinition<infer _S, infer Ctx> ? Ctx : never;

/** Callers may omit the context only when the machine's guards accept `undefined`. */
type ContextArgs<Ctx> = undefined extends Ctx ? [ctx?: Ctx] : [ctx: Ctx];

export type TransitionCheck =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly code: 'illegal_transition' | 'transition_guard_failed';
      readonly message: string;
      readonly details: Readonly<Record<string, unknown>>;
    };

/** Identity at run time; exists so the State union and guard context are inferred from the literal. */
export function defineMachine<const S extends string, Ctx = undefined>(definition: MachineDefinition<S, Ctx>): MachineDefinition<S, Ctx> {
  return definition;
}

/**
 * Successors declared for `from`. Persisted states come from storage and may be stale or
 * corrupt, so an unknown `from` yields no successors instead of throwing a TypeError.
 */
export function allowedTransitions<S extends string, Ctx>(machine: MachineDefinition<S, Ctx>, from: S): readonly S[] {
  return Object.hasOwn(machine.states, from) ? machine.states[from].to : [];
}

/** Structural check only (the edge exists); guards are evaluated by `checkTransition`. */
export function canTransition<S extends string, Ctx>(machine: MachineDefinition<S, Ctx>, from: S, to: S): boolean {
  return allowedTransitions(machine, from).includes(to);
}

export function isTerminal<S extends string, Ctx>(machine: MachineDefinition<S, Ctx>, state: S): boolean {
  return Object.hasOwn(machine.states, state) && machine.states[state].terminal === true;
}

/** Non-throwing form of `assertTransition`, for callers that need to explain why an action is unavailable. */
export function checkTransition<S extends string, Ctx>(machine: MachineDefinition<S, Ctx>, from: S, to: S, ...[ctx]: ContextArgs<Ctx>): TransitionCheck {
  const allowed = allowedTransitions(machine, from);
  if (!allowed.includes(to)) {
    const options = allowed.length > 0 ? allowed.map((s) => `'${s}'`).join(', ') : 'none';
    const known = Object.hasOwn(machine.states, from) ? '' : ` ('${from}' is not a state of this machine)`;
    return {
      ok: false,
      code: 'illegal_transition',
      message: `${machine.name}: cannot go from '${from}' to '${to}'${known}; allowed from '${from}': ${options}`,
      details: { machine: machine.name, from, to, allowed: [...allowed] },
    };
  }
  for (const guard of machine.guards ?? []) {
    if (guard.from !== from || guard.to !== to) continue;
    const reason = guard.check(ctx as Ctx);
    if (reason !== null) {
      return {
        ok: false,
        code: 'transition_guard_failed',
        message: `${machine.name}: cannot go from '${from}' to '${to}': ${reason}`,
        details: { machine: machine.name, from, to, reason },
      };
    }
  }
  return { ok: true };
}

/** Throws RuleViolationError (`illegal_transition` or `transition_guard_failed`) unless the move is permitted. */
export function assertTransition<S extends string, Ctx>(machine: MachineDefinition<S, Ctx>, from: S, to: S, ...ctx: ContextArgs<Ctx>): void {
  const result = checkTransition(machine, from, to, ...ctx);
  if (!result.ok) throw new RuleViolationError(result.message, result.code, { ...result.details });
}
