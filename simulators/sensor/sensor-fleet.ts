/** Hundreds of simulated sensors in one process, on one simulated clock (DeviceFleet). */
import type { SensorFleetConfig } from './config.js';
import { SensorSimulator } from './sensor-simulator.js';
import { DeviceFleet } from '../common/device-fleet.js';

export interface SensorFleetSummary {
  sensors: number;
  online: number;
  published: number;
  acks: number;
  doorsOpen: number;
  faulty: number;
}

export class SensorFleet extends DeviceFleet<SensorSimulator> {
  constructor(
    readonly config: SensorFleetConfig,
    options: { log?: (line: string) => void } = {},
  ) {
    const { sensors, ...settings } = config;
    super(config, 5, (clock, deviceClock) =>
      sensors.map((sensor) => new SensorSimulator({ sensor, settings, clock, deviceClock, ...(options.log ? { log: options.log } : {}) })),
    );
  }

  get sensors(): SensorSimulator[] {
    return this.devices;
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
