/**
 * A binary min-heap of (key, node index) pairs on typed arrays, for Dijkstra.
 *
 * Why lazy deletion instead of decrease-key: a stale entry is skipped when popped, which
 * needs no position index to keep in sync; the heap then holds at most one entry per
 * relaxation (≤ arcs + 1). Why typed arrays: no per-push object allocation, so a route on a
 * large graph creates almost no garbage, and one heap is reused across searches.
 */
export class MinHeap {
  private keys: Float64Array;
  private values: Int32Array;
  private count = 0;

  constructor(capacity: number) {
    const size = Math.max(1, capacity);
    this.keys = new Float64Array(size);
    this.values = new Int32Array(size);
  }

  get size(): number {
    return this.count;
  }

  clear(): void {
    this.count = 0;
  }

  push(key: number, value: number): void {
    if (this.count === this.keys.length) this.grow();
    const keys = this.keys;
    const values = this.values;
    let i = this.count++;
    // Sift up: move parents down until the slot for `key` is found.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pk = keys[parent]!;
      if (pk <= key) break;
      keys[i] = pk;
      values[i] = values[parent]!;
      i = parent;
    }
    keys[i] = key;
    values[i] = value;
  }

  /** Key of the minimum; only valid when size > 0. */
  peekKey(): number {
    return this.keys[0]!;
  }

  /** Removes the minimum and returns its value; only valid when size > 0. */
  pop(): number {
    const keys = this.keys;
    const values = this.values;
    const top = values[0]!;
    const n = --this.count;
    if (n === 0) return top;
    const key = keys[n]!;
    const value = values[n]!;
    // Sift down the former last element from the root.
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && keys[child + 1]! < keys[child]!) child++;
      if (keys[child]! >= key) break;
      keys[i] = keys[child]!;
      values[i] = values[child]!;
      i = child;
    }
    keys[i] = key;
    values[i] = value;
    return top;
  }

  private grow(): void {
    const keys = new Float64Array(this.keys.length * 2);
    const values = new Int32Array(this.values.length * 2);
    keys.set(this.keys);
    values.set(this.values);
    this.keys = keys;
    this.values = values;
  }
}
