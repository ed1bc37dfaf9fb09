/**
 * Many simulated robots in one process, sharing one configuration. Used by the CLI, demo
 * runners and benchmarks; each robot keeps its own MQTT connection like a real device.
 */
import type { FleetConfig } from './config.js';
import { RobotSimulator } from './robot-simulator.js';

export interface FleetSummary {
  robots: number;
  online: number;
  driving: number;
  busy: number;
  withErrors: number;
  ordersAccepted: number;
  ordersRejected: number;
  messagesDropped: number;
  statesPublished: number;
}

export interface FleetOptions {
  log?: (line: string) => void;
  /** How many robots connect at once; keeps a big fleet from stampeding the broker. */
  connectConcurrency?: number;
}

export class Fleet {
  readonly robots: RobotSimulator[];

  constructor(
    readonly config: FleetConfig,
    private readonly options: FleetOptions = {},
  ) {
    const { robots, ...settings } = config;
    this.robots = robots.map((robot) => new RobotSimulator({ robot, settings, ...(options.log ? { log: options.log } : {}) }));
  }

  get(serialNumber: string): RobotSimulator | undefined {
    return this.robots.find((r) => r.serialNumber === serialNumber);
  }

  /** Start every robot; rejects (after stopping the started ones) if any cannot connect. */
  async start(): Promise<void> {
    const batch = this.options.connectConcurrency ?? 25;
    try {
      for (let i = 0; i < this.robots.length; i += batch) {
        await Promise.all(this.robots.slice(i, i + batch).map((r) => r.start()));
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.robots.map((r) => r.stop()));
  }

  summary(): FleetSummary {
    const s: FleetSummary = {
      robots: this.robots.length,
      online: 0,
      driving: 0,
      busy: 0,
      withErrors: 0,
      ordersAccepted: 0,
      ordersRejected: 0,
      messagesDropped: 0,
      statesPublished: 0,
    };
    for (const r of this.robots) {
      if (r.connected) s.online++;
      if (r.model.driving) s.driving++;
      if (!r.model.idle()) s.busy++;
      if (r.model.errors.length > 0) s.withErrors++;
      s.ordersAccepted += r.stats.ordersAccepted;
      s.ordersRejected += r.stats.ordersRejected;
      s.messagesDropped += r.stats.messagesDropped;
      s.statesPublished += r.stats.statesPublished;
    }
    return s;
  }
}

export function formatSummary(s: FleetSummary): string {
  return `summary robots=${s.robots} online=${s.online} driving=${s.driving} busy=${s.busy} errors=${s.withErrors} accepted=${s.ordersAccepted} rejected=${s.ordersRejected} dropped=${s.messagesDropped} states=${s.statesPublished}`;
}
