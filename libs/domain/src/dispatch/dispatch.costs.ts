/**
 * Travel costs for dispatch, computed lazily and cached. Everything here depends only on the
 * (immutable) site graph, so one instance may serve many rounds.
 *
 * The expensive part of dispatch is "how far is every robot from this mission's first stop".
 * Instead of one route per robot, one backward search from the first stop times every node
 * at once; robots then read their node's entry in O(1). A tree is valid for one robot speed
 * (speed limits change which way is fastest), so trees are keyed by (first stop, speed):
 * a fleet has few speeds and most missions start at the same pharmacy dock, so a round with
 * hundreds of missions typically builds a handful of trees.
 */
import { DomainError } from '../errors.js';
import type { TimeTree } from '../site/route.types.js';
import type { SiteGraph } from '../site/site-graph.js';
import type { DispatchMission } from './dispatch.types.js';

/** The robot-independent part of a mission: first stop → stops → nearest charger. */
export type MissionLegs = { ok: true; distanceM: number; chargerId: string } | { ok: false; detail: string };

export class DispatchCosts {
  private readonly chargerIds: string[];
  private readonly approachTrees = new Map<string, TimeTree>();
  private readonly chargerTrees = new Map<number, TimeTree>();
  /** Per speed, per `from\0to`: the leg's distance, or why it cannot be driven. */
  private readonly legCache = new Map<number, Map<string, number | string>>();

  constructor(readonly graph: SiteGraph) {
    this.chargerIds = graph.nodesOfKind('charger').map((n) => n.id);
  }

  /** Times from every node to `firstStop` at `speed` (one backward search, then cached). */
  approachTree(firstStop: string, speed: number): TimeTree {
    // NUL cannot occur in a VDA id, so the key is unambiguous.
    const key = `${speed}\u0000${firstStop}`;
    let tree = this.approachTrees.get(key);
    if (!tree) {
      tree = this.graph.timeTreeTo([firstStop], { speed });
      this.approachTrees.set(key, tree);
    }
    return tree;
  }

  /**
   * Distance from the first stop through all stops to the nearest charger, at `speed`. Legs
   * are cached by (from, to, speed): missions mostly run pharmacy → ward station, so the
   * same few legs recur all round.
   */
  missionLegs(mission: DispatchMission, speed: number): MissionLegs {
    const path = [mission.firstStop, ...mission.stops];
    const unknown = path.find((id) => !this.graph.hasNode(id));
    if (unknown !== undefined) return { ok: false, detail: `unknown node '${unknown}'` };

    let distanceM = 0;
    for (let i = 1; i < path.length; i++) {
      const leg = this.leg(path[i - 1]!, path[i]!, speed);
      if (typeof leg === 'string') return { ok: false, detail: leg };
      distanceM += leg;
    }
    // The robot must still be able to get to a charger after the last stop, or it strands there.
    const last = path[path.length - 1]!;
    const toCharger = this.chargerTree(speed);
    const chargerId = toCharger?.rootOf(last);
    if (!toCharger || chargerId === undefined) return { ok: false, detail: `no charger reachable from '${last}'` };
    return { ok: true, distanceM: distanceM + toCharger.distanceM(last), chargerId };
  }

  private leg(from: string, to: string, speed: number): number | string {
    let bySpeed = this.legCache.get(speed);
    if (!bySpeed) {
      bySpeed = new Map();
      this.legCache.set(speed, bySpeed);
    }
    const key = `${from}\u0000${to}`;
    let leg = bySpeed.get(key);
    if (leg === undefined) {
      try {
        leg = this.graph.planRoute(from, to, { speed }).distanceM;
      } catch (e) {
        if (!(e instanceof DomainError && e.code === 'destination_unreachable')) throw e;
        leg = e.message;
      }
      bySpeed.set(key, leg);
    }
    return leg;
  }

  /** Times from every node to its nearest charger (one multi-root backward search). */
  private chargerTree(speed: number): TimeTree | undefined {
    if (this.chargerIds.length === 0) return undefined;
    let tree = this.chargerTrees.get(speed);
    if (!tree) {
      tree = this.graph.timeTreeTo(this.chargerIds, { speed });
      this.chargerTrees.set(speed, tree);
    }
    return tree;
  }
}
