/**
 * One simulated smart cabinet on MQTT: a CabinetModel behind a DeviceLink. Unlock commands
 * are acknowledged (or refused during lockdown), pocket access and counts are published as
 * events, telemetry is periodic and also follows every event so lock states stay current.
 */
import type { CabinetCommand } from '#contracts';
import { WallClockExcursion } from '../common/wall-clock-excursion.js';
import { DeviceLink } from '../sensor/device-link.js';
import { seededRandom, seedFor } from '../sensor/noise.js';
import { CabinetModel, defaultLayout } from './cabinet-model.js';
import type { CabinetConfig, CabinetFleetSettings } from './config.js';

export interface CabinetSimulatorOptions {
  cabinet: CabinetConfig;
  settings: CabinetFleetSettings;
  clock: () => number;
  /** The cabinet's own clock, what it stamps messages with (default: `clock`). */
  deviceClock?: () => number;
  log?: (line: string) => void;
}

export class CabinetSimulator {
  readonly model: CabinetModel;
  readonly link: DeviceLink<'cabinet'>;
  readonly faults: CabinetFaults;
  /** Fraction (0..1) of commands swallowed without an ack (exercises the server's timeouts). */
  ignoreRate = 0;
  private sinceReportS = Infinity;
  private readonly random: () => number;
  /** the drawer of the running excursion */
  excursionDrawer: string | null = null;
  readonly excursion = new WallClockExcursion({
    force: (c) => this.excursionDrawer && this.model.forceDrawer(this.excursionDrawer, c),
    publish: () => this.publishTelemetry(),
  });

  constructor(private readonly options: CabinetSimulatorOptions) {
    const { cabinet, settings } = options;
    this.random = seededRandom(cabinet.seed ?? seedFor(cabinet.deviceId));
    const { openDelayS, accessS, abandonRate } = settings;
    this.model = new CabinetModel(cabinet.drawers ?? defaultLayout(), { openDelayS, accessS, abandonRate }, this.random);
    this.link = new DeviceLink({
      kind: 'cabinet',
      deviceId: cabinet.deviceId,
      brokerUrl: settings.brokerUrl,
      ...(cabinet.password !== undefined ? { password: cabinet.password } : {}),
      reconnectPeriodMs: settings.reconnectPeriodMs,
      clock: options.deviceClock ?? options.clock,
      onCommand: (command) => this.onCommand(command),
      ...(options.log ? { log: options.log } : {}),
    });
    this.faults = new CabinetFaults(this);
  }

  get deviceId(): string {
    return this.options.cabinet.deviceId;
  }

  start(): Promise<void> {
    return this.link.start();
  }

  stop(): Promise<void> {
    this.excursion.end();
    return this.link.stop();
  }

  advance(dtS: number): void {
    this.model.step(dtS);
    this.sinceReportS += dtS;
    this.flushEvents();
    if (this.sinceReportS >= this.options.settings.reportIntervalS) this.publishTelemetry();
  }

  publishTelemetry(): void {
    this.sinceReportS = 0;
    this.link.publish('telemetry', this.model.telemetry());
  }

  /** Publish pending events; any event changes what telemetry would say, so telemetry follows. */
  flushEvents(): void {
    const events = this.model.takeEvents();
    for (const event of events) this.link.publish('event', event);
    if (events.length > 0) this.publishTelemetry();
  }

  private onCommand(command: CabinetCommand) {
    if (this.ignoreRate > 0 && this.random() < this.ignoreRate) {
      this.options.log?.(`${this.deviceId} fault: ignoring ${command.type} ${command.commandId}`);
      return undefined;
    }
    const decision = this.model.handleCommand(command);
    this.options.log?.(`${this.deviceId} ${command.type} ${command.commandId}: ${decision.result}${decision.detail ? ` (${decision.detail})` : ''}`);
    // Events caused by the command (lockdownEngaged, countEntered) go out after the ack.
    setImmediate(() => this.flushEvents());
    return decision;
  }
}

/** Fault injection: what a control plane must survive from a smart cabinet. */
export class CabinetFaults {
  constructor(private readonly sim: CabinetSimulator) {}

  forceDoor(drawerId?: string): void {
    this.sim.model.forceDoor(drawerId);
  }

  powerLoss(lost = true): void {
    this.sim.model.setPower(lost);
  }

  miscount(pocketId: string, delta: number): void {
    this.sim.model.miscount(pocketId, delta);
  }

  /**
   * A refrigerated drawer (default: the first) reads `temperatureC` for `durationS` *real*
   * seconds (wall clock), reported every second, then its own temperature again.
   */
  excursion(durationS: number, temperatureC: number, drawerId?: string): Promise<void> {
    const drawer = drawerId ?? this.sim.model.refrigeratedDrawer;
    if (!drawer) throw new RangeError(`cabinet ${this.sim.deviceId} has no refrigerated drawer`);
    this.sim.excursion.end();
    this.sim.excursionDrawer = drawer;
    return this.sim.excursion.run(durationS, temperatureC);
  }

  jamPocket(pocketId: string, jammed = true): void {
    this.sim.model.jamPocket(pocketId, jammed);
  }

  /** Swallow this fraction of commands without an ack. */
  ignoreCommands(fraction: number): void {
    if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`fraction must be within 0..1, got ${fraction}`);
    this.sim.ignoreRate = fraction;
  }

  async offline(reconnectAfterS?: number): Promise<void> {
    await this.sim.link.drop();
    if (reconnectAfterS !== undefined) setTimeout(() => void this.sim.link.start().catch(() => undefined), reconnectAfterS * 1000);
  }
}
