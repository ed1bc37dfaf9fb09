/**
 * Dijkstra over the site graph's compact arc arrays (CSR: arcs grouped by node), in either
 * direction: forward from a start (route planning) or backward from a destination (dispatch:
 * "how long from every robot to this stop?" in one search).
 *
 * The engine owns its scratch arrays and reuses them: "generation" stamps mark which entries
 * belong to the current search, so starting a search costs O(1) instead of clearing O(n)
 * arrays, and a search allocates nothing but the result it returns.
 */
import { MinHeap } from './min-heap.js';

/** Directed arcs of the graph; a bidirectional edge is two arcs. */
export interface ArcArrays {
  readonly nodeCount: number;
  readonly arcFrom: Int32Array;
  readonly arcTo: Int32Array;
  readonly arcLengthM: Float64Array;
  /** CSR: arcs leaving node u are outArcs[outStart[u] .. outStart[u+1]). */
  readonly outStart: Int32Array;
  readonly outArcs: Int32Array;
  /** CSR: arcs entering node v are inArcs[inStart[v] .. inStart[v+1]). */
  readonly inStart: Int32Array;
  readonly inArcs: Int32Array;
}

export type Direction = 'forward' | 'backward';

export class ShortestPathEngine {
  private readonly timeS: Float64Array;
  private readonly distM: Float64Array;
  /** The arc by which a node was reached (forward) or by which it leaves toward the root (backward). */
  private readonly via: Int32Array;
  private readonly root: Int32Array;
  private readonly seen: Uint32Array;
  private readonly done: Uint32Array;
  private readonly heap: MinHeap;
  private gen = 0;

  constructor(private readonly g: ArcArrays) {
    const n = g.nodeCount;
    this.timeS = new Float64Array(n);
    this.distM = new Float64Array(n);
    this.via = new Int32Array(n);
    this.root = new Int32Array(n);
    this.seen = new Uint32Array(n);
    this.done = new Uint32Array(n);
    this.heap = new MinHeap(g.arcFrom.length + 1);
  }

  /**
   * Runs a search from `sources` using per-arc travel times `arcTimeS`. Stops as soon as
   * `target` (or any node flagged in `targetMask`) is settled and returns it; returns -1 after
   * exhausting the reachable graph. Results stay readable until the next `run`.
   */
  run(direction: Direction, sources: ArrayLike<number>, arcTimeS: Float64Array, target = -1, targetMask: Uint8Array | null = null): number {
    const gen = this.nextGeneration();
    const { timeS, distM, via, root, seen, done, heap } = this;
    const forward = direction === 'forward';
    const start = forward ? this.g.outStart : this.g.inStart;
    const arcs = forward ? this.g.outArcs : this.g.inArcs;
    const ends = forward ? this.g.arcTo : this.g.arcFrom;
    const lengths = this.g.arcLengthM;

    heap.clear();
    for (let i = 0; i < sources.length; i++) {
      const s = sources[i]!;
      timeS[s] = 0;
      distM[s] = 0;
      via[s] = -1;
      root[s] = s;
      seen[s] = gen;
      heap.push(0, s);
    }
    while (heap.size > 0) {
      const t0 = heap.peekKey();
      const u = heap.pop();
      if (done[u] === gen) continue; // stale entry left by lazy deletion
      done[u] = gen;
      if (u === target || (targetMask !== null && targetMask[u] === 1)) return u;
      const d0 = distM[u]!;
      for (let k = start[u]!, end = start[u + 1]!; k < end; k++) {
        const a = arcs[k]!;
        const v = ends[a]!;
        if (done[v] === gen) continue;
        const t = t0 + arcTimeS[a]!;
        const d = d0 + lengths[a]!;
        // Equal times: prefer the shorter drive, so the battery estimate is the kinder one.
        if (seen[v] !== gen || t < timeS[v]! || (t === timeS[v]! && d < distM[v]!)) {
          seen[v] = gen;
          timeS[v] = t;
          distM[v] = d;
          via[v] = a;
          root[v] = root[u]!;
          heap.push(t, v);
        }
      }
    }
    return -1;
  }

  /** Settled time of `node` in the last run, or Infinity. */
  timeOf(node: number): number {
    return this.done[node] === this.gen ? this.timeS[node]! : Infinity;
  }

  distanceOf(node: number): number {
    return this.done[node] === this.gen ? this.distM[node]! : Infinity;
  }

  /**
   * Arcs of the last run's path for `node`, in travel direction: source → node for a forward
   * run, node → root for a backward run. Undefined when the node was not settled.
   */
  pathArcs(node: number, direction: Direction): number[] | undefined {
    if (this.done[node] !== this.gen) return undefined;
    const arcs: number[] = [];
    if (direction === 'forward') {
      for (let a = this.via[node]!; a !== -1; a = this.via[this.g.arcFrom[a]!]!) arcs.push(a);
      arcs.reverse();
    } else {
      for (let a = this.via[node]!; a !== -1; a = this.via[this.g.arcTo[a]!]!) arcs.push(a);
    }
    return arcs;
  }

  /** Copies the last run's full results out, for a tree that outlives the next run. */
  snapshot(): { timeS: Float64Array; distM: Float64Array; via: Int32Array; root: Int32Array } {
    const n = this.g.nodeCount;
    const timeS = new Float64Array(n).fill(Infinity);
    const distM = new Float64Array(n).fill(Infinity);
    const via = new Int32Array(n).fill(-1);
    const root = new Int32Array(n).fill(-1);
    for (let i = 0; i < n; i++) {
      if (this.done[i] !== this.gen) continue;
      timeS[i] = this.timeS[i]!;
      distM[i] = this.distM[i]!;
      via[i] = this.via[i]!;
      root[i] = this.root[i]!;
    }
    return { timeS, distM, via, root };
  }

  private nextGeneration(): number {
    // Stamps are 32-bit: on wrap-around, clear once so old stamps cannot look current.
    if (this.gen === 0xffffffff) {
      this.seen.fill(0);
      this.done.fill(0);
      this.gen = 0;
    }
    return ++this.gen;
  }
}
