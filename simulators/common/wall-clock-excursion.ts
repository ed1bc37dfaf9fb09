/**
 * A temperature excursion held for a *real* duration, measured on the wall clock, whatever
 * the simulation's time scale: the control plane times excursions on its own clock (device
 * `ts` only informs it), so an excursion meant to last 12 minutes must last 12 real minutes.
 * While it runs the device reports the forced temperature every `everyMs` of real time (its
 * regular telemetry may be a simulated minute apart), once at the start and once at the end.
 */
export interface ExcursionTarget {
  /** force the reported temperature (null: back to the model's) */
  force(temperatureC: number | null): void;
  publish(): void;
}

export class WallClockExcursion {
  private timer: NodeJS.Timeout | undefined;
  private endTimer: NodeJS.Timeout | undefined;
  private finish: (() => void) | undefined;

  constructor(private readonly target: ExcursionTarget) {}

  get active(): boolean {
    return this.finish !== undefined;
  }

  /** Starts one (ending a running one first); resolves when it is over. */
  run(durationS: number, temperatureC: number, everyMs = 1000): Promise<void> {
    if (!(durationS > 0) || !Number.isFinite(temperatureC))
      throw new RangeError(`excursion needs durationS > 0 and a temperature, got ${durationS} s at ${temperatureC} °C`);
    this.end();
    this.target.force(temperatureC);
    this.target.publish();
    return new Promise<void>((resolve) => {
      this.finish = resolve;
      this.timer = setInterval(() => this.target.publish(), everyMs);
      this.endTimer = setTimeout(() => this.end(), durationS * 1000);
    });
  }

  /** Ends a running excursion now (also on the device's shutdown). */
  end(): void {
    if (!this.finish) return;
    clearInterval(this.timer);
    clearTimeout(this.endTimer);
    const finish = this.finish;
    this.finish = undefined;
    this.target.force(null);
    this.target.publish();
    finish();
  }
}
