/**
 * Nearest-node lookup per floor, for placing a robot on the graph from its reported
 * `agvPosition` (x, y, mapId). Nodes of each floor are sorted by x once; a query walks
 * outwards from the robot's x and stops when the x gap alone exceeds the best distance,
 * which on a ward floor visits a handful of nodes instead of all of them.
 */
import type { SiteNode } from '#contracts';

interface FloorNodes {
  xs: Float64Array;
  ys: Float64Array;
  nodes: SiteNode[];
}

export interface NearestNode {
  node: SiteNode;
  /** Straight-line distance from the queried position, in metres. */
  distanceM: number;
}

export class FloorIndex {
  private readonly floors = new Map<string, FloorNodes>();

  constructor(mapIds: readonly string[], nodes: readonly SiteNode[]) {
    for (const mapId of mapIds) this.floors.set(mapId, { xs: new Float64Array(0), ys: new Float64Array(0), nodes: [] });
    const byFloor = new Map<string, SiteNode[]>();
    for (const n of nodes) {
      const list = byFloor.get(n.floor) ?? [];
      list.push(n);
      byFloor.set(n.floor, list);
    }
    for (const [mapId, list] of byFloor) {
      list.sort((a, b) => a.x - b.x);
      this.floors.set(mapId, { xs: Float64Array.from(list, (n) => n.x), ys: Float64Array.from(list, (n) => n.y), nodes: list });
    }
  }

  hasFloor(mapId: string): boolean {
    return this.floors.has(mapId);
  }

  /** Undefined for an unknown map or a floor without nodes. */
  nearest(mapId: string, x: number, y: number): NearestNode | undefined {
    const floor = this.floors.get(mapId);
    if (!floor || floor.nodes.length === 0) return undefined;
    const { xs, ys } = floor;
    let lo = 0;
    let hi = xs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    let best = -1;
    let bestSq = Infinity;
    // Walk both ways from the insertion point; each side stops once dx² alone is worse.
    for (let i = lo; i < xs.length; i++) {
      const dx = xs[i]! - x;
      if (dx * dx >= bestSq) break;
      const dy = ys[i]! - y;
      const sq = dx * dx + dy * dy;
      if (sq < bestSq) {
        best = i;
        bestSq = sq;
      }
    }
    for (let i = lo - 1; i >= 0; i--) {
      const dx = x - xs[i]!;
      if (dx * dx >= bestSq) break;
      const dy = ys[i]! - y;
      const sq = dx * dx + dy * dy;
      if (sq < bestSq) {
        best = i;
        bestSq = sq;
      }
    }
    return { node: floor.nodes[best]!, distanceM: Math.sqrt(bestSq) };
  }
}
