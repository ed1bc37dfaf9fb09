/**
 * The demo's scheduler: repeating and one-shot tasks on timers, each run bounded in time,
 * errors logged and the schedule kept going. `stop()` clears every timer and waits for the
 * runs in flight, so the process (or a test) ends with nothing left behind.
 */
export type Log = (line: string) => void;

export class Loops {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly log: Log,
    /** longest a single run may take before it is reported and the schedule moves on */
    private readonly boundMs = 60_000,
  ) {}

  get active(): boolean {
    return !this.stopped;
  }

  /** Runs `fn` every `everyMs` (± jitter) after `firstMs`; a run never overlaps the previous one. */
  every(name: string, everyMs: number, fn: () => Promise<void>, firstMs = everyMs, jitter = 0.2): void {
    const next = (ms: number) =>
      this.after(ms, name, async () => {
        try {
          await fn();
        } finally {
          if (!this.stopped) next(everyMs * (1 - jitter + Math.random() * 2 * jitter));
        }
      });
    next(firstMs);
  }

  /** Runs `fn` once after `ms`. */
  after(ms: number, name: string, fn: () => Promise<void> | void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopped) return;
      const run = this.bounded(name, fn).finally(() => this.running.delete(run));
      this.running.add(run);
    }, ms);
    this.timers.add(timer);
  }

  private async bounded(name: string, fn: () => Promise<void> | void): Promise<void> {
    let guard: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (guard = setTimeout(() => resolve('timeout'), this.boundMs)));
    try {
      const result = await Promise.race([Promise.resolve().then(fn), timeout]);
      if (result === 'timeout') this.log(`! ${name}: still running after ${this.boundMs / 1000} s; moving on`);
    } catch (err) {
      if (!this.stopped) this.log(`! ${name}: ${(err as Error)?.message ?? String(err)}`);
    } finally {
      clearTimeout(guard);
    }
  }

  /** Timers scheduled plus runs in flight (0 once stopped). */
  pending(): number {
    return this.timers.size + this.running.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }
}
