/**
 * Which robots a pharmacist may seal a delivery into, read by the rules the server's loading
 * gate applies (RobotLoadingGate over libs/domain/src/custody/loading-checks.ts): online and not
 * silent, a state heard, standing (not driving) at a pharmacy dock, a factsheet that declares
 * the delivery's compartment actions, and compartments that are empty, not held by another
 * delivery still aboard, and refrigerated where a dose needs 2–8 °C. GET /api/robots gives no
 * verdict of its own, so the page applies those rules to what it reports; the server checks
 * again when the pharmacist seals, and its refusal is shown as sent.
 *
 * One rule more than the gate: a robot running a mission is not offered. It may be standing at
 * the dock on its way through (a mission's first stop is the dock), and the delivery's mission
 * would wait behind the one it is on with the doses sealed inside.
 */
import { MEDLOOP_ACTION_TYPES } from '../../../libs/contracts/src/vda5050/medloop-compartments';
import type { Delivery, RobotSummary } from '../../../libs/contracts/src/custody/custody.views';
import type { Site } from './site';

/** The fields of GET /api/robots (RobotView) the rules read beyond the contract's RobotSummary. */
export type FleetRobot = RobotSummary & {
  factsheetActions?: string[] | null;
  position?: { x: number; y: number; mapId: string } | null;
  lastStateAt?: string | null;
};

/** the actions a delivery sends (loading-checks.ts DELIVERY_REQUIRED_ACTIONS) */
const REQUIRED_ACTIONS = [MEDLOOP_ACTION_TYPES.waitForRecipient, MEDLOOP_ACTION_TYPES.unlockCompartment, MEDLOOP_ACTION_TYPES.lockCompartment];
/** delivery states whose doses may still sit in the robot (robot-loading-gate.ts HOLDS_COMPARTMENTS) */
const HOLDS_COMPARTMENTS = new Set(['loaded', 'dispatched', 'in_transit', 'arrived', 'unlocked', 'recalled', 'returning', 'failed']);
/** how far (m) a robot without a known `lastNodeId` may stand from a node and be at it (the gate's AT_NODE_M) */
const AT_NODE_M = 0.5;

export interface FreeCompartment {
  compartmentId: string;
  refrigerated: boolean;
}
export interface LoadableRobot {
  robot: FleetRobot;
  /** empty and not held by another delivery still aboard */
  free: FreeCompartment[];
}
/** Why a robot is not offered (`load.why.*` in the catalogues). */
export type NotLoadable = 'offline' | 'no_state' | 'not_at_dock' | 'driving' | 'on_mission' | 'no_factsheet' | 'missing_actions' | 'no_free' | 'no_cold';

/** Compartment ids of each robot held by a delivery other than `deliveryId`. */
export function heldCompartments(deliveries: readonly Delivery[], deliveryId: string): Map<string, Set<string>> {
  const held = new Map<string, Set<string>>();
  for (const d of deliveries) {
    if (d.id === deliveryId || !d.robotId || !HOLDS_COMPARTMENTS.has(d.state)) continue;
    const set = held.get(d.robotId) ?? new Set<string>();
    for (const c of Object.keys(d.compartments)) set.add(c);
    held.set(d.robotId, set);
  }
  return held;
}

/** The node the robot stands at, as the gate reads it: its `lastNodeId` when the site knows it, else the node within 0.5 m. */
function nodeOf(r: FleetRobot, site: Site): string | null {
  if (r.lastNodeId && site.nodes.some((n) => n.id === r.lastNodeId)) return r.lastNodeId;
  const p = r.position;
  if (!p) return null;
  const near = site.nodes.filter((n) => n.floor === p.mapId && Math.hypot(n.x - p.x, n.y - p.y) <= AT_NODE_M);
  return near[0]?.id ?? null;
}

/** The verdict on one robot: loadable with its free compartments, or the first reason it is not. */
export function loadability(
  r: FleetRobot,
  site: Site,
  held: ReadonlyMap<string, ReadonlySet<string>>,
  needsCold: boolean,
): { ok: true; value: LoadableRobot } | { ok: false; why: NotLoadable } {
  if (r.connection !== 'ONLINE' || r.stale) return { ok: false, why: 'offline' };
  if (r.battery === null && !r.lastStateAt) return { ok: false, why: 'no_state' };
  const node = nodeOf(r, site);
  const docks = new Set(site.nodes.filter((n) => n.kind === 'pharmacy_dock').map((n) => n.id));
  if (!node || !docks.has(node)) return { ok: false, why: 'not_at_dock' };
  if (r.driving) return { ok: false, why: 'driving' };
  if (r.mission) return { ok: false, why: 'on_mission' };
  if (r.factsheetActions === null || r.factsheetActions === undefined) return { ok: false, why: 'no_factsheet' };
  if (REQUIRED_ACTIONS.some((a) => !r.factsheetActions!.includes(a))) return { ok: false, why: 'missing_actions' };
  const taken = held.get(r.id);
  const free = r.compartments
    .filter((c) => !c.loadId && !taken?.has(c.compartmentId))
    .map((c) => ({ compartmentId: c.compartmentId, refrigerated: c.refrigerated === true }));
  if (free.length === 0) return { ok: false, why: 'no_free' };
  if (needsCold && !free.some((c) => c.refrigerated)) return { ok: false, why: 'no_cold' };
  return { ok: true, value: { robot: r, free } };
}
