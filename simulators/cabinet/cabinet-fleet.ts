/**
 * Many simulated cabinets in one process, driven by one shared simulated clock.
 */
import type { CabinetFleetConfig } from './config.js';
import { CabinetSimulator } from './cabinet-simulator.js';

export interface CabinetFleetSummary {
  cabinets: number;
  online: number;
  lockedDown: number;
  published: number;
  commands: number;
  acks: number;
}

const MAX_STEP_S = 1;

export class CabinetFleet {
  readonly cabinets: CabinetSimulator[];
  private timer: NodeJS.Timeout | undefined;
  private readonly startReal = Date.now();
  private lastReal = 0;
  elapsedS = 0;
  private readonly listeners: Array<(elapsedS: number) => void> = [];

  constructor(
    readonly config: CabinetFleetConfig,
    options: { log?: (line: string) => void } = {},
  ) {
    const { cabinets, ...settings } = config;
    const clock = () => this.nowMs();
    this.cabinets = cabinets.map((cabinet) => new CabinetSimulator({ cabinet, settings, clock, ...(options.log ? { log: options.log } : {}) }));
  }

  nowMs(): number {
    return this.startReal + this.elapsedS * 1000;
  }

  get(deviceId: string): CabinetSimulator | undefined {
    return this.cabinets.find((c) => c.deviceId === deviceId);
  }

  onTick(listener: (elapsedS: number) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    const batch = this.config.connectConcurrency;
    try {
      for (let i = 0; i < this.cabinets.length; i += batch) await Promise.all(this.cabinets.slice(i, i + batch).map((c) => c.start()));
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
    await Promise.all(this.cabinets.map((c) => c.stop()));
  }

  advance(dtS: number): void {
    for (let left = dtS; left > 1e-9; left -= MAX_STEP_S) {
      const step = Math.min(left, MAX_STEP_S);
      this.elapsedS += step;
      for (const c of this.cabinets) c.advance(step);
      for (const l of this.listeners) l(this.elapsedS);
    }
  }

  private tick(): void {
    const now = performance.now();
    this.advance(((now - this.lastReal) / 1000) * this.config.timeScale);
    this.lastReal = now;
  }

  summary(): CabinetFleetSummary {
    const s: CabinetFleetSummary = { cabinets: this.cabinets.length, online: 0, lockedDown: 0, published: 0, commands: 0, acks: 0 };
    for (const c of this.cabinets) {
      if (c.link.connected) s.online++;
      if (c.model.lockdown) s.lockedDown++;
      s.published += c.link.stats.published;
      s.commands += c.link.stats.commands;
      s.acks += c.link.stats.acks;
    }
    return s;
  }
}

export function formatCabinetSummary(s: CabinetFleetSummary): string {
  return `summary cabinets=${s.cabinets} online=${s.online} lockedDown=${s.lockedDown} published=${s.published} commands=${s.commands} acks=${s.acks}`;
}
