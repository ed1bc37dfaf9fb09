/**
 * Hundreds of simulated sensors in one process. One interval drives every sensor (a timer
 * per device would not scale), each sensor keeps its own MQTT connection like a real device,
 * and the simulated clock runs `timeScale` times faster than the wall clock.
 */
import type { SensorFleetConfig } from './config.js';
import { SensorSimulator } from './sensor-simulator.js';

export interface SensorFleetSummary {
  sensors: number;
  online: number;
  published: number;
  acks: number;
  doorsOpen: number;
  faulty: number;
}

/** Longest step fed to the models at once, so high time scales keep their accuracy. */
const MAX_STEP_S = 5;

export class SensorFleet {
  readonly sensors: SensorSimulator[];
  private timer: NodeJS.Timeout | undefined;
  private readonly startReal = Date.now();
  private lastReal = 0;
  /** Simulated seconds since start. */
  elapsedS = 0;
  private readonly listeners: Array<(elapsedS: number) => void> = [];

  constructor(
    readonly config: SensorFleetConfig,
    options: { log?: (line: string) => void } = {},
  ) {
    const { sensors, ...settings } = config;
    const clock = () => this.nowMs();
    this.sensors = sensors.map((sensor) => new SensorSimulator({ sensor, settings, clock, ...(options.log ? { log: options.log } : {}) }));
  }

  /** Simulated wall-clock time in epoch ms (what devices put in `ts`). */
  nowMs(): number {
    return this.startReal + this.elapsedS * 1000;
  }

  get(deviceId: string): SensorSimulator | undefined {
    return this.sensors.find((s) => s.deviceId === deviceId);
  }

  /** Called after each step with the simulated seconds since start (scenario runners). */
  onTick(listener: (elapsedS: number) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    const batch = this.config.connectConcurrency;
    try {
      for (let i = 0; i < this.sensors.length; i += batch) await Promise.all(this.sensors.slice(i, i + batch).map((s) => s.start()));
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.lastReal = performance.now();
    this.timer = setInterval(() => this.tick(), this.config.tickMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(this.sensors.map((s) => s.stop()));
  }

  /** Advance every sensor by `dtS` simulated seconds (tests call this directly). */
  advance(dtS: number): void {
    let left = dtS;
    while (left > 1e-9) {
      const step = Math.min(left, MAX_STEP_S);
      this.elapsedS += step;
      for (const s of this.sensors) s.advance(step);
      for (const l of this.listeners) l(this.elapsedS);
      left -= step;
    }
  }

  private tick(): void {
    const now = performance.now();
    const dtS = ((now - this.lastReal) / 1000) * this.config.timeScale;
    this.lastReal = now;
    this.advance(dtS);
  }

  summary(): SensorFleetSummary {
    const s: SensorFleetSummary = { sensors: this.sensors.length, online: 0, published: 0, acks: 0, doorsOpen: 0, faulty: 0 };
    for (const x of this.sensors) {
      if (x.link.connected) s.online++;
      s.published += x.link.stats.published;
      s.acks += x.link.stats.acks;
      if (x.model.doorOpen) s.doorsOpen++;
      const f = x.model.faults;
      if (f.driftCPerH !== 0 || f.stuckAt !== null || f.probeFault !== null || f.compressorFailed) s.faulty++;
    }
    return s;
  }
}

export function formatSensorSummary(s: SensorFleetSummary): string {
  return `summary sensors=${s.sensors} online=${s.online} published=${s.published} acks=${s.acks} doorsOpen=${s.doorsOpen} faulty=${s.faulty}`;
}
