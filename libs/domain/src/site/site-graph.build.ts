/**
 * Compiles a parsed site into flat arc arrays once, so that searches touch only typed arrays.
 * A bidirectional edge becomes two arcs; a lift becomes one arc per ordered pair of the
 * lobbies it serves (a robot rides straight from one floor to another: one wait, then the ride).
 */
import type { Site, SiteNode } from '#contracts';
import { ValidationError } from '../errors.js';
import type { RouteEdgeKind } from './route.types.js';
import type { ArcArrays } from './shortest-path.js';

export interface CompiledSite extends ArcArrays {
  readonly ids: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  readonly nodes: readonly SiteNode[];
  /** Speed cap per arc; Infinity when the edge has none. */
  readonly arcMaxSpeed: Float64Array;
  /** Time spent on an arc regardless of speed: lift wait + ride. */
  readonly arcFixedS: Float64Array;
  readonly arcEdgeId: readonly string[];
  readonly arcKind: readonly RouteEdgeKind[];
}

/** Id of the arc for a lift ride between two lobbies, as it appears in routes and orders. */
export function liftEdgeId(liftId: string, fromLobby: string, toLobby: string): string {
  return `${liftId}:${fromLobby}:${toLobby}`;
}

interface ArcSpec {
  from: number;
  to: number;
  lengthM: number;
  maxSpeed: number;
  fixedS: number;
  edgeId: string;
  kind: RouteEdgeKind;
}

export function compileSite(site: Site): CompiledSite {
  const nodes = site.nodes;
  const ids = nodes.map((n) => n.id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const at = (id: string, what: string): number => {
    const i = index.get(id);
    // parseSiteFile guarantees this; a hand-built Site might not.
    if (i === undefined) throw new ValidationError(`${what} references unknown node '${id}'`, what);
    return i;
  };
  const levelOf = new Map(site.floors.map((f) => [f.mapId, f.level]));

  const specs: ArcSpec[] = [];
  for (const e of site.edges) {
    const from = at(e.from, `edge ${e.id}`);
    const to = at(e.to, `edge ${e.id}`);
    const base = { lengthM: e.lengthM, maxSpeed: e.maxSpeed ?? Infinity, fixedS: 0, edgeId: e.id, kind: e.kind };
    specs.push({ ...base, from, to });
    if (e.bidirectional) specs.push({ ...base, from: to, to: from });
  }

  const edgeIds = new Set(site.edges.map((e) => e.id));
  for (const lift of site.lifts) {
    for (const a of lift.serves) {
      for (const b of lift.serves) {
        if (a === b) continue;
        const from = at(a, `lift ${lift.id}`);
        const to = at(b, `lift ${lift.id}`);
        const floors = Math.abs((levelOf.get(nodes[from]!.floor) ?? 0) - (levelOf.get(nodes[to]!.floor) ?? 0));
        const edgeId = liftEdgeId(lift.id, a, b);
        // Route edge ids must be unambiguous: an order edge is looked up by id.
        if (edgeIds.has(edgeId)) throw new ValidationError(`edge id '${edgeId}' clashes with a lift ride of lift '${lift.id}'`, 'edges');
        specs.push({ from, to, lengthM: 0, maxSpeed: Infinity, fixedS: lift.meanWaitS + lift.rideTimePerFloorS * floors, edgeId, kind: 'lift' });
      }
    }
  }

  const m = specs.length;
  const arcFrom = new Int32Array(m);
  const arcTo = new Int32Array(m);
  const arcLengthM = new Float64Array(m);
  const arcMaxSpeed = new Float64Array(m);
  const arcFixedS = new Float64Array(m);
  const arcEdgeId: string[] = new Array<string>(m);
  const arcKind: RouteEdgeKind[] = new Array<RouteEdgeKind>(m);
  specs.forEach((s, a) => {
    arcFrom[a] = s.from;
    arcTo[a] = s.to;
    arcLengthM[a] = s.lengthM;
    arcMaxSpeed[a] = s.maxSpeed;
    arcFixedS[a] = s.fixedS;
    arcEdgeId[a] = s.edgeId;
    arcKind[a] = s.kind;
  });
  const out = buildCsr(ids.length, arcFrom);
  const inc = buildCsr(ids.length, arcTo);
  return {
    nodeCount: ids.length,
    ids,
    index,
    nodes,
    arcFrom,
    arcTo,
    arcLengthM,
    arcMaxSpeed,
    arcFixedS,
    arcEdgeId,
    arcKind,
    outStart: out.start,
    outArcs: out.arcs,
    inStart: inc.start,
    inArcs: inc.arcs,
  };
}

/** Groups arc ids by `key[arc]` (counting sort): arcs of node u are arcs[start[u] .. start[u+1]). */
function buildCsr(n: number, key: Int32Array): { start: Int32Array; arcs: Int32Array } {
  const start = new Int32Array(n + 1);
  for (let a = 0; a < key.length; a++) start[key[a]! + 1] += 1;
  for (let u = 0; u < n; u++) start[u + 1] += start[u]!;
  const fill = start.slice(0, n);
  const arcs = new Int32Array(key.length);
  for (let a = 0; a < key.length; a++) arcs[fill[key[a]!]++] = a;
  return { start, arcs };
}
