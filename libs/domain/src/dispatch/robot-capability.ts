/**
 * What a robot can do, read from its VDA 5050 factsheet, and whether that covers what a
 * mission needs: the action types its stops send, and the compartments those actions name.
 * Dispatch offers a mission only to a robot that covers it; finding out at the ward station,
 * with doses sealed in a robot that cannot open, is what this prevents. Pure.
 */
import { MEDLOOP_PARAMS } from '#contracts';
import { vdaActionType, type StopActionSpec } from '../fleet/stop-actions.js';

/**
 * Stop action types every VDA 5050 robot must run, factsheet or not: none. VDA 5050 2.0.0 and
 * 2.1.0 §6.8 list the predefined actions as those that "must be used by the AGV, if the AGV's
 * capabilities map to the action description": each one (pick, drop, startCharging,
 * waitForTrigger, …) is conditional on the robot having that capability, and only its
 * factsheet (`protocolFeatures.agvActions`) says it has. Driving the released nodes and edges
 * of an order is the one thing every robot does, so a robot without a factsheet gets plain
 * transport missions: stops without actions.
 */
export const ACTIONS_EVERY_ROBOT_RUNS: readonly string[] = [];

/** Where VDA 5050 lets an action be sent (factsheet `agvActions[].actionScopes`). */
export type ActionScope = 'INSTANT' | 'NODE' | 'EDGE';
const SCOPES: ReadonlySet<string> = new Set<ActionScope>(['INSTANT', 'NODE', 'EDGE']);

/** What the robot declares; null when it published no factsheet. */
export interface RobotCapability {
  /** `protocolFeatures.agvActions[].actionType` */
  actions: ReadonlySet<string>;
  /**
   * `agvActions[].actionScopes` per action type: where the robot accepts it (INSTANT: as an
   * instant action, NODE: on an order's node). Both schemas (2.0.0, 2.1.0) require the field,
   * but the 2.0.0 schema is checked only at the top level: an action type whose entry carries
   * no scope list has no entry here, and counts as accepted everywhere (unknown, not refused).
   */
  scopes: ReadonlyMap<string, ReadonlySet<ActionScope>>;
  /**
   * `loadSpecification.loadPositions`: MedLoop's compartment ids (EXTENSIONS.md). VDA 5050
   * makes these the valid `state.loads[].loadPosition` values, which is where a robot reports
   * a compartment's content.
   */
  compartments: ReadonlySet<string>;
}

/** What a mission's stops will send a robot. */
export interface MissionNeeds {
  /** VDA 5050 action types, in first-use order */
  actions: readonly string[];
  /** compartment ids the actions name (`compartmentId`), in first-use order */
  compartments: readonly string[];
}

export const NO_NEEDS: MissionNeeds = { actions: [], compartments: [] };

/** A stop action as a mission row stores it (a StopActionSpec whose kind was checked at creation). */
export interface StoredStopAction {
  kind: string;
  actionType?: string | undefined;
  compartmentId?: string | undefined;
  parameters?: Record<string, string | number | boolean> | undefined;
}

/** Where a robot falls short of a mission; undefined when it covers it. */
export interface CapabilityGap {
  /** no factsheet: nothing beyond plain transport may be sent */
  noFactsheet: boolean;
  missingActions: string[];
  /** declared, but with actionScopes that leave out NODE: a stop's action goes on a node */
  notOnNodes: string[];
  missingCompartments: string[];
  /** for people: what exactly the robot lacks */
  detail: string;
}

/**
 * The robot's capability from a factsheet as received (2.0.0 or 2.1.0; schema-validated at the
 * edge, but the 2.0.0 schema checks only top-level keys, so every part is read defensively).
 */
export function capabilityOf(factsheet: unknown): RobotCapability | null {
  if (factsheet === null || typeof factsheet !== 'object') return null;
  const f = factsheet as { protocolFeatures?: { agvActions?: unknown }; loadSpecification?: { loadPositions?: unknown } };
  const actions = new Set<string>();
  const scopes = new Map<string, Set<ActionScope>>();
  /** action types with an entry that lists no scopes: unknown wins over what another entry says */
  const unscoped = new Set<string>();
  const declared = f.protocolFeatures?.agvActions;
  if (Array.isArray(declared)) {
    for (const a of declared as unknown[]) {
      const entry = a as { actionType?: unknown; actionScopes?: unknown } | null;
      const t = entry?.actionType;
      if (typeof t !== 'string' || !t) continue;
      actions.add(t);
      const listed = entry?.actionScopes;
      if (!Array.isArray(listed)) {
        unscoped.add(t);
        continue;
      }
      const set = scopes.get(t) ?? new Set<ActionScope>();
      for (const sc of listed as unknown[]) if (typeof sc === 'string' && SCOPES.has(sc)) set.add(sc as ActionScope);
      scopes.set(t, set);
    }
  }
  for (const t of unscoped) scopes.delete(t);
  const compartments = new Set<string>();
  const positions = f.loadSpecification?.loadPositions;
  if (Array.isArray(positions)) for (const p of positions as unknown[]) if (typeof p === 'string' && p) compartments.add(p);
  return { actions, scopes, compartments };
}

/**
 * The robot declares the action type for that scope: declared, and its actionScopes list the
 * scope or are unknown (absent in a leniently read 2.0.0 factsheet: accepted, see `scopes`).
 */
export function declaresActionIn(capability: RobotCapability, actionType: string, scope: ActionScope): boolean {
  if (!capability.actions.has(actionType)) return false;
  const s = capability.scopes.get(actionType);
  return s === undefined || s.has(scope);
}

/**
 * The action types and compartments a mission's stops need. A stop action that does not map
 * to a VDA 5050 type was refused when the mission was created; one found here is skipped.
 */
export function missionNeeds(stops: readonly { actions?: readonly StoredStopAction[] | null }[]): MissionNeeds {
  const actions = new Set<string>();
  const compartments = new Set<string>();
  for (const stop of stops) {
    for (const spec of stop.actions ?? []) {
      let type: string;
      try {
        type = vdaActionType(spec as StopActionSpec);
      } catch {
        continue;
      }
      actions.add(type);
      const c = spec.compartmentId ?? spec.parameters?.[MEDLOOP_PARAMS.compartmentId];
      if (c !== undefined && c !== '') compartments.add(String(c));
    }
  }
  return { actions: [...actions], compartments: [...compartments] };
}

/** Undefined when the robot declares everything the mission needs. */
export function capabilityGap(capability: RobotCapability | null | undefined, needs: MissionNeeds): CapabilityGap | undefined {
  if (!capability) {
    const missingActions = needs.actions.filter((a) => !ACTIONS_EVERY_ROBOT_RUNS.includes(a));
    if (missingActions.length === 0 && needs.compartments.length === 0) return undefined;
    return {
      noFactsheet: true,
      missingActions,
      notOnNodes: [],
      missingCompartments: [...needs.compartments],
      detail: `published no factsheet, so it takes plain transport only (the mission needs ${[...missingActions, ...needs.compartments.map((c) => `compartment ${c}`)].join(', ')})`,
    };
  }
  // a mission's actions ride on its stops' nodes: an action the robot takes only as an
  // instant action would be refused in the order (vda-5050-lib checks the scope)
  const missingActions = needs.actions.filter((a) => !capability.actions.has(a));
  const notOnNodes = needs.actions.filter((a) => capability.actions.has(a) && !declaresActionIn(capability, a, 'NODE'));
  const missingCompartments = needs.compartments.filter((c) => !capability.compartments.has(c));
  if (missingActions.length === 0 && notOnNodes.length === 0 && missingCompartments.length === 0) return undefined;
  const parts = [
    ...(missingActions.length > 0 ? [`the actions ${missingActions.join(', ')}`] : []),
    ...(notOnNodes.length > 0 ? [`the actions ${notOnNodes.join(', ')} on nodes (factsheet actionScopes without NODE)`] : []),
    ...(missingCompartments.length > 0 ? [`the compartments ${missingCompartments.join(', ')} (factsheet loadSpecification.loadPositions)`] : []),
  ];
  return { noFactsheet: false, missingActions, notOnNodes, missingCompartments, detail: `does not declare ${parts.join(' nor ')}` };
}
