/**
 * Static soundness analysis of machine definitions, run by each table's spec and at start-up
 * (Vendure's "every state is reachable" check). It owns the graph reasoning; it never looks
 * at guards' logic, only at whether they are attached to transitions that exist.
 */

/**
 * Structural view of a definition. Typed definitions are assignable to it, and it lets the
 * analysis also accept tables that did not go through the compiler (JSON, casts, tests).
 */
export interface MachineShape {
  readonly name: string;
  readonly initial: string;
  readonly states: { readonly [state: string]: { readonly to: readonly string[]; readonly terminal?: boolean } };
  readonly guards?: readonly { readonly from: string; readonly to: string }[];
}

export interface MachineAnalysis {
  readonly machine: string;
  /** False when `initial` is not one of the defined states. */
  readonly initialDefined: boolean;
  /** Defined states that cannot be reached from `initial`. */
  readonly unreachable: readonly string[];
  /** Non-terminal states from which no terminal state can be reached: work would be stranded there. */
  readonly deadEnds: readonly string[];
  /** Targets named in a `to` list that are not defined states. */
  readonly undefinedTargets: readonly { readonly from: string; readonly to: string }[];
  /** Guards attached to a transition the table does not declare: they would never run. */
  readonly strayGuards: readonly { readonly from: string; readonly to: string }[];
  readonly sound: boolean;
  /** One line per problem, suitable for a start-up failure message. */
  readonly problems: readonly string[];
}

/** Thrown at start-up; deliberately not a DomainError, because an unsound table is a bug, not a bad request. */
export class UnsoundMachineError extends Error {
  constructor(readonly analysis: MachineAnalysis) {
    super(`state machine '${analysis.machine}' is unsound:\n  - ${analysis.problems.join('\n  - ')}`);
    this.name = 'UnsoundMachineError';
  }
}

export function analyseMachine(definition: MachineShape): MachineAnalysis {
  const defined = new Set(Object.keys(definition.states));
  const successors = (state: string): readonly string[] => (defined.has(state) ? definition.states[state].to.filter((to) => defined.has(to)) : []);

  const initialDefined = defined.has(definition.initial);
  const reachable = closure(initialDefined ? [definition.initial] : [], successors);
  const unreachable = [...defined].filter((s) => !reachable.has(s));

  // Walk edges backwards from the terminal states: whatever is found can still finish.
  const predecessors = new Map<string, string[]>();
  for (const from of defined) {
    for (const to of successors(from)) predecessors.set(to, [...(predecessors.get(to) ?? []), from]);
  }
  const terminals = [...defined].filter((s) => definition.states[s].terminal === true);
  const canFinish = closure(terminals, (s) => predecessors.get(s) ?? []);
  const deadEnds = [...defined].filter((s) => !canFinish.has(s));

  const undefinedTargets = [...defined].flatMap((from) => definition.states[from].to.filter((to) => !defined.has(to)).map((to) => ({ from, to })));
  const strayGuards = (definition.guards ?? [])
    .filter((g) => !(defined.has(g.from) && definition.states[g.from].to.includes(g.to)))
    .map(({ from, to }) => ({ from, to }));

  const problems = [
    ...(initialDefined ? [] : [`initial state '${definition.initial}' is not defined`]),
    ...(terminals.length === 0 ? ['no state is marked terminal'] : []),
    ...unreachable.map((s) => `'${s}' is unreachable from '${definition.initial}'`),
    ...deadEnds.map((s) => `'${s}' is not terminal and cannot reach a terminal state`),
    ...undefinedTargets.map(({ from, to }) => `'${from}' lists undefined target '${to}'`),
    ...strayGuards.map(({ from, to }) => `guard on '${from}' -> '${to}' is attached to an undeclared transition`),
  ];

  return {
    machine: definition.name,
    initialDefined,
    unreachable,
    deadEnds,
    undefinedTargets,
    strayGuards,
    sound: problems.length === 0,
    problems,
  };
}

export function assertMachineSound(definition: MachineShape): void {
  const analysis = analyseMachine(definition);
  if (!analysis.sound) throw new UnsoundMachineError(analysis);
}

function closure(start: readonly string[], next: (state: string) => readonly string[]): Set<string> {
  const seen = new Set(start);
  const queue = [...start];
  for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
    for (const n of next(state)) {
      if (!seen.has(n)) {
        seen.add(n);
        queue.push(n);
      }
    }
  }
  return seen;
}
