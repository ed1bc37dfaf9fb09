/**
 * Test fixtures: seeded random sites (large, multi-floor, with one-way edges, speed limits and
 * lifts) and a deliberately naive shortest-time reference to check the real planner against.
 * Used only by specs.
 */
import { parseSiteFile, type Site, type SiteFileInput } from '#contracts';

/** mulberry32: a tiny seeded PRNG so a failing random case can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomSiteOptions {
  seed: number;
  floors: number;
  /** Grid side per floor: side² nodes per floor. */
  side: number;
  /** Share of grid links dropped (makes detours and some unreachable pockets). */
  dropRate?: number;
  /** Share of kept links made one-way. */
  oneWayRate?: number;
  /** Chargers placed at random per floor. */
  chargersPerFloor?: number;
}

/**
 * A grid per floor with jittered lengths (so ties are practically impossible), random
 * speed limits and one-way links, and two lifts serving every floor at fixed grid corners.
 */
export function randomSite(o: RandomSiteOptions): Site {
  const rnd = seededRandom(o.seed);
  const { side } = o;
  const id = (f: number, r: number, c: number) => `n${f}_${r}_${c}`;
  const json: Required<Pick<SiteFileInput, 'id' | 'name' | 'floors' | 'nodes' | 'edges' | 'lifts'>> = {
    id: 'random',
    name: `random ${o.seed}`,
    floors: [],
    nodes: [],
    edges: [],
    lifts: [],
  };
  const chargers = new Set<string>();
  for (let f = 0; f < o.floors; f++) {
    json.floors.push({ mapId: `F${f}`, name: `floor ${f}`, level: f });
    for (let k = 0; k < (o.chargersPerFloor ?? 0); k++) chargers.add(id(f, Math.floor(rnd() * side), Math.floor(rnd() * side)));
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++) {
        const nodeId = id(f, r, c);
        const isLobby = (r === 0 && c === 0) || (r === side - 1 && c === side - 1);
        const kind = isLobby ? 'lift_lobby' : chargers.has(nodeId) ? 'charger' : 'waypoint';
        json.nodes.push({ id: nodeId, floor: `F${f}`, x: c * 3, y: r * 3, kind });
        for (const [dr, dc] of [
          [0, 1],
          [1, 0],
        ] as const) {
          if (r + dr >= side || c + dc >= side || rnd() < (o.dropRate ?? 0.1)) continue;
          const oneWay = rnd() < (o.oneWayRate ?? 0.15);
          const forward = rnd() < 0.5;
          const a = id(f, r, c);
          const b = id(f, r + dr, c + dc);
          json.edges.push({
            id: `e${json.edges.length}`,
            from: forward ? a : b,
            to: forward ? b : a,
            lengthM: 3 + rnd() * 2,
            bidirectional: !oneWay,
            ...(rnd() < 0.2 ? { maxSpeed: 0.3 + rnd() } : {}),
            kind: rnd() < 0.1 ? 'door' : 'corridor',
          });
        }
      }
    }
  }
  if (o.floors > 1) {
    const floors = [...Array(o.floors).keys()];
    json.lifts.push({ id: 'LA', name: 'A', serves: floors.map((f) => id(f, 0, 0)), rideTimePerFloorS: 4, meanWaitS: 20 });
    json.lifts.push({ id: 'LB', name: 'B', serves: floors.map((f) => id(f, side - 1, side - 1)), rideTimePerFloorS: 7, meanWaitS: 5 });
  }
  return parseSiteFile(json, `random-${o.seed}`);
}

/**
 * Naive reference: O(n²) array-scan Dijkstra on an adjacency built straight from the site
 * (not from SiteGraph's compiled arrays), so a bug in the compiler or the heap shows up as a
 * disagreement. Returns travel time in s (Infinity if unreachable).
 */
export function referenceDurations(site: Site, from: string, speed: number): Map<string, number> {
  const levels = new Map(site.floors.map((f) => [f.mapId, f.level]));
  const floorOf = new Map(site.nodes.map((n) => [n.id, n.floor]));
  const adj = new Map<string, { to: string; t: number }[]>(site.nodes.map((n) => [n.id, []]));
  for (const e of site.edges) {
    const t = e.lengthM / Math.min(speed, e.maxSpeed ?? Infinity);
    adj.get(e.from)!.push({ to: e.to, t });
    if (e.bidirectional) adj.get(e.to)!.push({ to: e.from, t });
  }
  for (const l of site.lifts) {
    for (const a of l.serves) {
      for (const b of l.serves) {
        if (a === b) continue;
        const floors = Math.abs(levels.get(floorOf.get(a)!)! - levels.get(floorOf.get(b)!)!);
        adj.get(a)!.push({ to: b, t: l.meanWaitS + l.rideTimePerFloorS * floors });
      }
    }
  }
  const dist = new Map(site.nodes.map((n) => [n.id, Infinity]));
  const done = new Set<string>();
  dist.set(from, 0);
  for (;;) {
    let u: string | undefined;
    let best = Infinity;
    for (const [id, d] of dist) {
      if (!done.has(id) && d < best) {
        best = d;
        u = id;
      }
    }
    if (u === undefined) return dist;
    done.add(u);
    for (const { to, t } of adj.get(u)!) if (best + t < dist.get(to)!) dist.set(to, best + t);
  }
}
