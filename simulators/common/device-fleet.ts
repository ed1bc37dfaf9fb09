/**
 * Many simulated devices in one process on one shared simulated clock: one interval drives
 * every device (a timer per device would not scale), each device keeps its own MQTT
 * connection like a real one, and simulated time runs `timeScale` times faster than the wall
 * clock. What devices put in `ts` never runs ahead of the wall clock, though: the control
 * plane clamps future stamps and times durations itself, so a fast model (the demo's 10x)
 * reports the real time of each message. Sensor and cabinet fleets build on it.
 */
export interface SimulatedDevice {
  readonly deviceId: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** advance the device's model by `dtS` simulated seconds */
  advance(dtS: number): void;
}

export interface FleetClockSettings {
  timeScale: number;
  tickMs: number;
  connectConcurrency: number;
}

export class DeviceFleet<D extends SimulatedDevice> {
  readonly devices: D[];
  private timer: NodeJS.Timeout | undefined;
  private readonly startReal = Date.now();
  private lastReal = 0;
  /** Simulated seconds since start. */
  elapsedS = 0;
  private readonly listeners: Array<(elapsedS: number) => void> = [];

  constructor(
    private readonly clock: FleetClockSettings,
    /** longest step fed to the models at once, so high time scales keep their accuracy */
    private readonly maxStepS: number,
    create: (clock: () => number, deviceClock: () => number) => D[],
  ) {
    this.devices = create(
      () => this.nowMs(),
      () => this.deviceNowMs(),
    );
  }

  /** Simulated wall-clock time in epoch ms (what the models run on). */
  nowMs(): number {
    return this.startReal + this.elapsedS * 1000;
  }

  /** What devices put in `ts`: simulated time, but never ahead of the wall clock. */
  deviceNowMs(): number {
    return Math.min(Date.now(), this.nowMs());
  }

  get(deviceId: string): D | undefined {
    return this.devices.find((d) => d.deviceId === deviceId);
  }

  /** Called after each step with the simulated seconds since start (scenario runners). */
  onTick(listener: (elapsedS: number) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    const batch = this.clock.connectConcurrency;
    try {
      for (let i = 0; i < this.devices.length; i += batch) await Promise.all(this.devices.slice(i, i + batch).map((d) => d.start()));
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.lastReal = performance.now();
    this.timer = setInterval(() => this.tick(), this.clock.tickMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(this.devices.map((d) => d.stop()));
  }

  /** Advance every device by `dtS` simulated seconds (tests call this directly). */
  advance(dtS: number): void {
    let left = dtS;
    while (left > 1e-9) {
      const step = Math.min(left, this.maxStepS);
      this.elapsedS += step;
      for (const d of this.devices) d.advance(step);
      for (const l of this.listeners) l(this.elapsedS);
      left -= step;
    }
  }

  private tick(): void {
    const now = performance.now();
    const dtS = ((now - this.lastReal) / 1000) * this.clock.timeScale;
    this.lastReal = now;
    this.advance(dtS);
  }
}
