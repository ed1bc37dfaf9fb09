/**
 * One simulated ward sensor, without I/O: the physical quantity (fridge or room), the probe's
 * measurement error and the injected faults. `step` advances simulated time; `telemetry`
 * and `takeEvents` produce the payload bodies the simulator publishes.
 */
import type { SensorEvent, SensorReading } from '#contracts';
import { gaussian, round } from './noise.js';
import { DEFAULT_FRIDGE, roomClimate, stepFridge, type FridgeParams, type FridgeState } from './thermal.js';

export const SENSOR_PROFILES = ['fridge', 'room'] as const;
export type SensorProfile = (typeof SENSOR_PROFILES)[number];

/** Event bodies without the header, which the link adds. */
export type SensorEventBody = SensorEvent extends infer E ? (E extends SensorEvent ? Omit<E, 'v' | 'deviceId' | 'seq' | 'ts'> : never) : never;

export interface SensorFaultState {
  /** °C added per hour since the drift started (a probe ageing). */
  driftCPerH: number;
  driftSinceS: number;
  /** The probe repeats this value whatever happens. */
  stuckAt: number | null;
  probeFault: 'disconnected' | 'short_circuit' | null;
  compressorFailed: boolean;
}

export interface SensorModelOptions {
  profile: SensorProfile;
  random: () => number;
  /** Simulated epoch ms at t = 0 (drives the room's daily cycle). */
  startMs: number;
  fridge?: Partial<FridgeParams>;
  /** Standard deviation of the probe noise in °C. */
  noiseC?: number;
}

export class SensorModel {
  readonly profile: SensorProfile;
  readonly faults: SensorFaultState = { driftCPerH: 0, driftSinceS: 0, stuckAt: null, probeFault: null, compressorFailed: false };
  /** Simulated seconds since start. */
  t = 0;
  doorOpen = false;
  batteryPct = 100;
  private fridge: FridgeState;
  private readonly fridgeParams: FridgeParams;
  private doorOpenedAt = 0;
  private events: SensorEventBody[] = [];
  private readonly random: () => number;
  private readonly noiseC: number;
  private readonly phaseH: number;

  constructor(private readonly options: SensorModelOptions) {
    this.profile = options.profile;
    this.random = options.random;
    this.noiseC = options.noiseC ?? 0.05;
    this.fridgeParams = { ...DEFAULT_FRIDGE, ...options.fridge };
    // Start each fridge at a different point of its cycle, so hundreds of them do not beat in step.
    this.fridge = { temperatureC: 3.6 + this.random() * 2.3, compressorOn: this.random() < 0.5 };
    this.phaseH = (this.random() - 0.5) * 2;
  }

  /** The true air temperature (what a perfect probe would read). */
  get trueTemperatureC(): number {
    return this.profile === 'fridge' ? this.fridge.temperatureC : roomClimate(this.nowMs, this.phaseH).temperatureC;
  }

  get nowMs(): number {
    return this.options.startMs + this.t * 1000;
  }

  step(dtS: number): void {
    let left = dtS;
    while (left > 1e-9) {
      const h = Math.min(left, 5);
      if (this.profile === 'fridge') this.fridge = stepFridge(this.fridge, h, this.doorOpen, this.fridgeParams, this.faults.compressorFailed);
      left -= h;
    }
    this.t += dtS;
    // A coin cell lasts about two years at one reading a minute.
    this.batteryPct = Math.max(0, this.batteryPct - dtS / (2 * 365 * 864));
  }

  setDoor(open: boolean): void {
    if (open === this.doorOpen || this.profile !== 'fridge') return;
    this.doorOpen = open;
    if (open) {
      this.doorOpenedAt = this.t;
      this.events.push({ type: 'doorOpened', channel: 'air' });
    } else {
      this.events.push({ type: 'doorClosed', channel: 'air', openS: round(this.t - this.doorOpenedAt, 1) });
    }
  }

  startDrift(cPerHour: number): void {
    this.faults.driftCPerH = cPerHour;
    this.faults.driftSinceS = this.t;
  }

  stick(stuck = true): void {
    this.faults.stuckAt = stuck ? this.measure() : null;
  }

  setProbeFault(fault: 'disconnected' | 'short_circuit' | null): void {
    if (fault === this.faults.probeFault) return;
    this.faults.probeFault = fault;
    this.events.push(fault ? { type: 'probeFault', channel: this.channel, fault } : { type: 'probeRestored', channel: this.channel });
  }

  get channel(): string {
    return this.profile === 'fridge' ? 'air' : 'main';
  }

  /** An injected excursion: the probe reads this (null: the physics again). */
  forcedC: number | null = null;

  force(temperatureC: number | null): void {
    this.forcedC = temperatureC;
  }

  /** What the probe reports now: truth + noise + drift, the stuck value, or a forced excursion. */
  measure(): number {
    if (this.forcedC !== null) return this.forcedC;
    if (this.faults.stuckAt !== null) return this.faults.stuckAt;
    const drift = (this.faults.driftCPerH * (this.t - this.faults.driftSinceS)) / 3600;
    return round(this.trueTemperatureC + drift + gaussian(this.random) * this.noiseC, 0.1);
  }

  /** Telemetry body (without header). A faulty probe reports no temperature, only what still works. */
  telemetry(): { readings: SensorReading[]; batteryPct: number } {
    const reading: SensorReading = { channel: this.channel };
    if (this.faults.probeFault === null) reading.temperatureC = this.measure();
    if (this.profile === 'room' && this.faults.probeFault === null) {
      reading.humidityPct = round(Math.min(100, Math.max(0, roomClimate(this.nowMs, this.phaseH).humidityPct + gaussian(this.random) * 0.8)), 0.5);
    }
    if (this.profile === 'fridge') reading.doorOpen = this.doorOpen;
    // A room sensor with a dead probe has nothing to say: its telemetry stops (staleness alarms).
    const useful = reading.temperatureC !== undefined || reading.humidityPct !== undefined || reading.doorOpen !== undefined;
    return { readings: useful ? [reading] : [], batteryPct: round(this.batteryPct, 1) };
  }

  takeEvents(): SensorEventBody[] {
    const out = this.events;
    this.events = [];
    return out;
  }
}
