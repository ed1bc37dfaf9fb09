/** Many simulated cabinets in one process, on one simulated clock (DeviceFleet). */
import type { CabinetFleetConfig } from './config.js';
import { CabinetSimulator } from './cabinet-simulator.js';
import { DeviceFleet } from '../common/device-fleet.js';

export interface CabinetFleetSummary {
  cabinets: number;
  online: number;
  lockedDown: number;
  published: number;
  commands: number;
  acks: number;
}

export class CabinetFleet extends DeviceFleet<CabinetSimulator> {
  constructor(
    readonly config: CabinetFleetConfig,
    options: { log?: (line: string) => void } = {},
  ) {
    const { cabinets, ...settings } = config;
    super(config, 1, (clock, deviceClock) =>
      cabinets.map((cabinet) => new CabinetSimulator({ cabinet, settings, clock, deviceClock, ...(options.log ? { log: options.log } : {}) })),
    );
  }

  get cabinets(): CabinetSimulator[] {
    return this.devices;
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
