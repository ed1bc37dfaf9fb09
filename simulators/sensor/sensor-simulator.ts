/**
 * One simulated ward sensor on MQTT: a SensorModel behind a DeviceLink. It publishes
 * telemetry every reportIntervalS (simulated), publishes model events as they happen and
 * answers commands with acks. Time is advanced by the fleet's shared clock (`advance`); its
 * messages are stamped with `deviceClock` (never ahead of the wall clock).
 */
import type { SensorCommand } from '#contracts';
import { WallClockExcursion } from '../common/wall-clock-excursion.js';
import { DeviceLink } from './device-link.js';
import { seededRandom, seedFor } from './noise.js';
import { SensorModel } from './sensor-model.js';
import type { SensorConfig, SensorFleetSettings } from './config.js';

export interface SensorSimulatorOptions {
  sensor: SensorConfig;
  settings: SensorFleetSettings;
  /** Simulated clock shared by the fleet (epoch ms). */
  clock: () => number;
  /** The device's own clock, what it stamps messages with (default: `clock`). */
  deviceClock?: () => number;
  log?: (line: string) => void;
}

export class SensorSimulator {
  readonly model: SensorModel;
  readonly link: DeviceLink<'sensor'>;
  readonly faults: SensorFaults;
  reportIntervalS: number;
  /** Fault: offline devices keep their physics running but publish nothing. */
  private sinceReportS = Infinity;
  readonly excursion = new WallClockExcursion({ force: (c) => this.model.force(c), publish: () => this.publishTelemetry() });

  constructor(private readonly options: SensorSimulatorOptions) {
    const { sensor, settings } = options;
    this.model = new SensorModel({ profile: sensor.profile, random: seededRandom(sensor.seed ?? seedFor(sensor.deviceId)), startMs: options.clock() });
    this.reportIntervalS = settings.reportIntervalS;
    this.link = new DeviceLink({
      kind: 'sensor',
      deviceId: sensor.deviceId,
      brokerUrl: settings.brokerUrl,
      ...(sensor.password !== undefined ? { password: sensor.password } : {}),
      reconnectPeriodMs: settings.reconnectPeriodMs,
      clock: options.deviceClock ?? options.clock,
      onCommand: (command) => this.onCommand(command),
      ...(options.log ? { log: options.log } : {}),
    });
    this.faults = new SensorFaults(this);
  }

  get deviceId(): string {
    return this.options.sensor.deviceId;
  }

  start(): Promise<void> {
    return this.link.start();
  }

  stop(): Promise<void> {
    this.excursion.end();
    return this.link.stop();
  }

  /** Advance simulated time; publish whatever is due. */
  advance(dtS: number): void {
    this.model.step(dtS);
    for (const event of this.model.takeEvents()) this.link.publish('event', event);
    this.sinceReportS += dtS;
    if (this.sinceReportS >= this.reportIntervalS) this.publishTelemetry();
  }

  publishTelemetry(): void {
    this.sinceReportS = 0;
    const body = this.model.telemetry();
    if (body.readings.length > 0) this.link.publish('telemetry', body);
  }

  private onCommand(command: SensorCommand): { result: 'done' | 'refused'; detail?: string } {
    switch (command.type) {
      case 'setReportInterval':
        this.reportIntervalS = command.intervalS;
        return { result: 'done' };
      case 'identify':
        this.options.log?.(`${this.deviceId} identify: blinking`);
        return { result: 'done' };
      case 'reboot':
        // Ack first (the server must not time out), then come back with a fresh sequence.
        setImmediate(() => this.reboot());
        return { result: 'done', detail: 'rebooting' };
    }
  }

  reboot(): void {
    this.link.resetSequence();
    this.link.publish('event', { type: 'rebooted', reason: 'command' });
    this.publishTelemetry();
  }
}

/** Fault injection: what a control plane must survive from a ward sensor. */
export class SensorFaults {
  constructor(private readonly sim: SensorSimulator) {}

  /** The probe reads `cPerHour` more every hour (ageing, a probe slipping out of its bottle). */
  drift(cPerHour: number): void {
    this.sim.model.startDrift(cPerHour);
  }

  /** The probe keeps reporting its current value. */
  stuck(stuck = true): void {
    this.sim.model.stick(stuck);
  }

  /** Fridge door left open (or closed again): the air warms towards the room. */
  doorOpen(open = true): void {
    this.sim.model.setDoor(open);
  }

  /**
   * The fridge reads `temperatureC` for `durationS` *real* seconds (wall clock, whatever the
   * time scale), reported every second, then its own temperature again; resolves at the end.
   */
  excursion(durationS: number, temperatureC: number): Promise<void> {
    return this.sim.excursion.run(durationS, temperatureC);
  }

  compressorFailure(failed = true): void {
    this.sim.model.faults.compressorFailed = failed;
  }

  probeFault(fault: 'disconnected' | 'short_circuit' | null): void {
    this.sim.model.setProbeFault(fault);
  }

  /** Lose the connection (the broker publishes the last will); reconnect after `reconnectAfterS` real seconds if given. */
  async offline(reconnectAfterS?: number): Promise<void> {
    await this.sim.link.drop();
    if (reconnectAfterS !== undefined) {
      setTimeout(() => void this.sim.link.start().catch(() => undefined), reconnectAfterS * 1000);
    }
  }
}
