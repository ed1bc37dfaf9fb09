import { describe, expect, it } from '@jest/globals';
import { parseDeviceMessage } from '#contracts';
import { gaussian, seededRandom, seedFor } from './noise.js';
import { SensorModel } from './sensor-model.js';
import { DEFAULT_FRIDGE, roomClimate, stepFridge } from './thermal.js';

const START = Date.UTC(2025, 0, 1, 0, 0, 0);
const fridge = (seed = 1) => new SensorModel({ profile: 'fridge', random: seededRandom(seed), startMs: START });

/** Run the model for `seconds`, sampling the measured temperature every minute. */
function sample(model: SensorModel, seconds: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < seconds; t += 60) {
    model.step(60);
    out.push(model.measure());
  }
  return out;
}

describe('noise', () => {
  it('is reproducible from a seed and roughly standard normal', () => {
    expect(seededRandom(42)()).toBe(seededRandom(42)());
    const r = seededRandom(7);
    const xs = Array.from({ length: 5000 }, () => gaussian(r));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(sd).toBeGreaterThan(0.95);
    expect(sd).toBeLessThan(1.05);
    expect(seedFor('FRIDGE-0001')).not.toBe(seedFor('FRIDGE-0002'));
  });
});

describe('fridge physics', () => {
  it('cycles the compressor and stays within 2–8 °C for a day with the door shut', () => {
    const temps = sample(fridge(), 24 * 3600);
    expect(Math.min(...temps)).toBeGreaterThan(2.5);
    expect(Math.max(...temps)).toBeLessThan(7);
    // a saw-tooth, not a flat line: many compressor cycles in a day
    let crossings = 0;
    for (let i = 1; i < temps.length; i++) if ((temps[i - 1]! - 4.75) * (temps[i]! - 4.75) < 0) crossings++;
    expect(crossings).toBeGreaterThan(40);
  });

  it('warms past 8 °C within minutes when the door is left open, and recovers when closed', () => {
    const model = fridge();
    model.setDoor(true);
    const open = sample(model, 20 * 60);
    expect(open.at(-1)).toBeGreaterThan(8);
    expect(open.findIndex((t) => t > 8)).toBeLessThan(15);
    model.setDoor(false);
    const closed = sample(model, 60 * 60);
    expect(closed.at(-1)).toBeLessThan(7);
    expect(model.takeEvents()).toEqual([
      { type: 'doorOpened', channel: 'air' },
      { type: 'doorClosed', channel: 'air', openS: 1200 },
    ]);
  });

  it('warms steadily towards the room when the compressor fails', () => {
    let s = { temperatureC: 5, compressorOn: true };
    for (let i = 0; i < 7200 / 5; i++) s = stepFridge(s, 5, false, DEFAULT_FRIDGE, true);
    expect(s.temperatureC).toBeGreaterThan(10);
    expect(s.compressorOn).toBe(false);
  });
});

describe('room climate', () => {
  it('is warmest in the afternoon and more humid at night', () => {
    const afternoon = roomClimate(Date.UTC(2025, 0, 1, 15));
    const night = roomClimate(Date.UTC(2025, 0, 1, 3));
    expect(afternoon.temperatureC).toBeGreaterThan(night.temperatureC + 2);
    expect(night.humidityPct).toBeGreaterThan(afternoon.humidityPct);
  });
});

describe('sensor faults', () => {
  it('drifts by the configured rate', () => {
    const a = fridge(3);
    const b = fridge(3);
    b.startDrift(2);
    const ta = sample(a, 3 * 3600);
    const tb = sample(b, 3 * 3600);
    expect(tb.at(-1)! - ta.at(-1)!).toBeCloseTo(6, 0);
  });

  it('repeats a stuck value whatever the temperature does', () => {
    const model = fridge();
    model.stick();
    const stuck = model.measure();
    model.setDoor(true);
    expect(new Set(sample(model, 1800))).toEqual(new Set([stuck]));
  });

  it('reports a probe fault as an event and drops the temperature from telemetry', () => {
    const model = fridge();
    model.setProbeFault('disconnected');
    expect(model.telemetry().readings).toEqual([{ channel: 'air', doorOpen: false }]);
    model.setProbeFault(null);
    expect(model.takeEvents().map((e) => e.type)).toEqual(['probeFault', 'probeRestored']);
    const room = new SensorModel({ profile: 'room', random: seededRandom(1), startMs: START });
    room.setProbeFault('short_circuit');
    expect(room.telemetry().readings).toEqual([]);
  });

  it('produces telemetry bodies that parse with the contracts', () => {
    for (const profile of ['fridge', 'room'] as const) {
      const model = new SensorModel({ profile, random: seededRandom(9), startMs: START });
      model.step(60);
      const message = { v: 1, deviceId: 'S-1', seq: 0, ts: new Date(START).toISOString(), ...model.telemetry() };
      expect(parseDeviceMessage('sensor', 'telemetry', message)).toMatchObject({ ok: true });
    }
  });
});
