/**
 * Runs async work one at a time per key (an alarm condition, a pocket, a storage unit), so
 * concurrent events about the same thing apply in order; different keys run concurrently.
 * A key's entry is dropped once its queue drains, so the map does not grow with history.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(work, work);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, settled);
    void settled.then(() => {
      if (this.tails.get(key) === settled) this.tails.delete(key);
    });
    return next;
  }
}
