/**
 * A frozen copy of one full shortest-path search, readable by node id long after the
 * engine has moved on to other searches.
 */
import type { Route, TimeTree } from './route.types.js';
import type { CompiledSite } from './site-graph.build.js';
import type { Direction } from './shortest-path.js';

interface TreeArrays {
  timeS: Float64Array;
  distM: Float64Array;
  via: Int32Array;
  root: Int32Array;
}

export class SnapshotTimeTree implements TimeTree {
  constructor(
    private readonly c: CompiledSite,
    private readonly direction: Direction,
    private readonly t: TreeArrays,
  ) {}

  durationS(nodeId: string): number {
    const i = this.c.index.get(nodeId);
    return i === undefined ? Infinity : this.t.timeS[i]!;
  }

  distanceM(nodeId: string): number {
    const i = this.c.index.get(nodeId);
    return i === undefined ? Infinity : this.t.distM[i]!;
  }

  rootOf(nodeId: string): string | undefined {
    const i = this.c.index.get(nodeId);
    const r = i === undefined ? -1 : this.t.root[i]!;
    return r === -1 ? undefined : this.c.ids[r];
  }

  route(nodeId: string): Route | undefined {
    const i = this.c.index.get(nodeId);
    if (i === undefined || this.t.root[i] === -1) return undefined;
    const { via } = this.t;
    const { arcFrom, arcTo } = this.c;
    const arcs: number[] = [];
    if (this.direction === 'backward') {
      // via[] points from a node towards the root, which is already the travel direction.
      for (let a = via[i]!; a !== -1; a = via[arcTo[a]!]!) arcs.push(a);
      return routeFromArcs(this.c, i, arcs, this.t.timeS[i]!, this.t.distM[i]!);
    }
    for (let a = via[i]!; a !== -1; a = via[arcFrom[a]!]!) arcs.push(a);
    arcs.reverse();
    return routeFromArcs(this.c, this.t.root[i]!, arcs, this.t.timeS[i]!, this.t.distM[i]!);
  }
}

/** Materialises a route (ids and edge records) from arc indices, starting at node `start`. */
export function routeFromArcs(c: CompiledSite, start: number, arcs: readonly number[], durationS: number, distanceM: number): Route {
  const nodes = new Array<string>(arcs.length + 1);
  nodes[0] = c.ids[start]!;
  const edges = arcs.map((a, k) => {
    const to = c.ids[c.arcTo[a]!]!;
    nodes[k + 1] = to;
    return { id: c.arcEdgeId[a]!, from: c.ids[c.arcFrom[a]!]!, to, lengthM: c.arcLengthM[a]!, kind: c.arcKind[a]! };
  });
  return { nodes, edges, durationS, distanceM };
}
