/**
 * The routable view of a hospital site: shortest-time routes for a robot of a given speed,
 * lifts included, plus the lookups dispatch needs (nearest node to a position, nodes by kind,
 * one-search-for-many-robots time trees).
 *
 * Everything that does not depend on the query is computed in the constructor; per-speed arc
 * times are cached because a fleet has only a few distinct robot speeds.
 */
import type { Site, SiteNode, SiteNodeKind } from '#contracts';
import { NotFoundError, RuleViolationError, ValidationError } from '../errors.js';
import { FloorIndex, type NearestNode } from './floor-index.js';
import type { Route, RouteOptions, TimeTree } from './route.types.js';
import { compileSite, type CompiledSite } from './site-graph.build.js';
import { ShortestPathEngine } from './shortest-path.js';
import { routeFromArcs, SnapshotTimeTree } from './time-tree.js';

/** Distinct speeds kept in the arc-time cache; beyond this the cache restarts. */
const SPEED_CACHE_SIZE = 16;

export class SiteGraph {
  readonly site: Site;
  private readonly c: CompiledSite;
  private readonly engine: ShortestPathEngine;
  private readonly floorIndex: FloorIndex;
  private readonly byKind = new Map<string, readonly SiteNode[]>();
  private readonly arcTimeCache = new Map<number, Float64Array>();
  /** Reused flag array for multi-target searches; always all-zero between calls. */
  private readonly targetMask: Uint8Array;

  constructor(site: Site) {
    this.site = site;
    this.c = compileSite(site);
    this.engine = new ShortestPathEngine(this.c);
    this.floorIndex = new FloorIndex(
      site.floors.map((f) => f.mapId),
      site.nodes,
    );
    this.targetMask = new Uint8Array(this.c.nodeCount);
    for (const n of site.nodes) {
      this.addToKindIndex(n.kind, n);
      if (n.ward !== undefined) this.addToKindIndex(kindKey(n.kind, n.ward), n);
    }
  }

  get nodeCount(): number {
    return this.c.nodeCount;
  }

  hasNode(id: string): boolean {
    return this.c.index.has(id);
  }

  /** @throws NotFoundError for an unknown id */
  node(id: string): SiteNode {
    return this.c.nodes[this.indexOf(id)]!;
  }

  /** Nodes of one kind, optionally only those of one ward, in site-file order. */
  nodesOfKind(kind: SiteNodeKind, ward?: string): readonly SiteNode[] {
    return this.byKind.get(ward === undefined ? kind : kindKey(kind, ward)) ?? [];
  }

  /**
   * The node closest (straight line) to a position on a floor: where a robot reporting
   * `agvPosition` is on the graph. The caller decides how far off-graph is too far.
   * @throws NotFoundError for an unknown mapId
   */
  nearestNode(mapId: string, x: number, y: number): NearestNode | undefined {
    if (!this.floorIndex.hasFloor(mapId)) throw new NotFoundError('Floor', mapId);
    return this.floorIndex.nearest(mapId, x, y);
  }

  /**
   * The shortest-time route from one node to another (Dijkstra; stops at the destination).
   * @throws NotFoundError for an unknown node, RuleViolationError `destination_unreachable`
   */
  planRoute(from: string, to: string, options: RouteOptions): Route {
    const s = this.indexOf(from);
    const t = this.indexOf(to);
    const arcTimes = this.arcTimesFor(options.speed);
    if (this.engine.run('forward', [s], arcTimes, t) !== t) throw unreachable(from, to);
    const arcs = this.engine.pathArcs(t, 'forward')!;
    return routeFromArcs(this.c, s, arcs, this.engine.timeOf(t), this.engine.distanceOf(t));
  }

  /**
   * The shortest-time route from `from` to whichever of `candidates` is quickest to reach
   * (e.g. the nearest free charger), or undefined when none is reachable.
   * @throws NotFoundError for an unknown node
   */
  planRouteToNearest(from: string, candidates: readonly string[], options: RouteOptions): Route | undefined {
    const s = this.indexOf(from);
    const targets = candidates.map((id) => this.indexOf(id));
    if (targets.length === 0) return undefined;
    const arcTimes = this.arcTimesFor(options.speed);
    const mask = this.targetMask;
    for (const i of targets) mask[i] = 1;
    let reached: number;
    try {
      reached = this.engine.run('forward', [s], arcTimes, -1, mask);
    } finally {
      for (const i of targets) mask[i] = 0;
    }
    if (reached === -1) return undefined;
    const arcs = this.engine.pathArcs(reached, 'forward')!;
    return routeFromArcs(this.c, s, arcs, this.engine.timeOf(reached), this.engine.distanceOf(reached));
  }

  /**
   * Shortest times from every node *to* the nearest of `roots`, by one backward search over
   * the arcs (one-way edges are followed against their direction, so a node's time is for a
   * drive it can really make). Dispatch uses it to rank all robots for one stop at once.
   * @throws NotFoundError for an unknown root
   */
  timeTreeTo(roots: readonly string[], options: RouteOptions): TimeTree {
    const sources = roots.map((id) => this.indexOf(id));
    this.engine.run('backward', sources, this.arcTimesFor(options.speed));
    return new SnapshotTimeTree(this.c, 'backward', this.engine.snapshot());
  }

  /** Shortest times *from* `root` to every node, by one forward search. */
  timeTreeFrom(root: string, options: RouteOptions): TimeTree {
    this.engine.run('forward', [this.indexOf(root)], this.arcTimesFor(options.speed));
    return new SnapshotTimeTree(this.c, 'forward', this.engine.snapshot());
  }

  private indexOf(id: string): number {
    const i = this.c.index.get(id);
    if (i === undefined) throw new NotFoundError('Site node', id);
    return i;
  }

  /** Travel time per arc at `speed`: length / min(speed, edge maxSpeed) + fixed lift time. */
  private arcTimesFor(speed: number): Float64Array {
    if (!Number.isFinite(speed) || speed <= 0) throw new ValidationError(`speed must be a positive number of m/s, got ${speed}`, 'speed');
    const cached = this.arcTimeCache.get(speed);
    if (cached) return cached;
    const { arcLengthM, arcMaxSpeed, arcFixedS } = this.c;
    const times = new Float64Array(arcLengthM.length);
    for (let a = 0; a < times.length; a++) {
      times[a] = arcLengthM[a]! / Math.min(speed, arcMaxSpeed[a]!) + arcFixedS[a]!;
    }
    if (this.arcTimeCache.size >= SPEED_CACHE_SIZE) this.arcTimeCache.clear();
    this.arcTimeCache.set(speed, times);
    return times;
  }

  private addToKindIndex(key: string, n: SiteNode): void {
    const list = this.byKind.get(key) as SiteNode[] | undefined;
    if (list) list.push(n);
    else this.byKind.set(key, [n]);
  }
}

function kindKey(kind: string, ward: string): string {
  // NUL cannot occur in a kind, so keys never collide with plain kinds.
  return `${kind}\u0000${ward}`;
}

function unreachable(from: string, to: string): RuleViolationError {
  return new RuleViolationError(`no route from '${from}' to '${to}'`, 'destination_unreachable', { from, to });
}
