export { allowedTransitions, assertTransition, canTransition, checkTransition, defineMachine, isTerminal } from './machine.js';
export type { ContextOf, Guard, MachineDefinition, StateNode, StateOf, TransitionCheck, TransitionGuard } from './machine.js';
export { analyseMachine, assertMachineSound, UnsoundMachineError } from './analyse.js';
export type { MachineAnalysis, MachineShape } from './analyse.js';
