import { describe, expect, it } from '@jest/globals';
import { classifySensor, flattenReadings, productTemperature } from './sensor-type.js';

describe('classifySensor', () => {
  it('reads the sensor type from its name or location', () => {
    expect(classifySensor({ name: 'Fridge 4W', location: null })).toBe('fridge');
    expect(classifySensor({ name: 'Logger 7', location: 'medication refrigerator, 4 West' })).toBe('fridge');
    expect(classifySensor({ name: 'Freezer', location: 'pharmacy' })).toBe('freezer');
    expect(classifySensor({ name: 'Clean utility', location: 'room 12' })).toBe('room');
  });
});

describe('productTemperature', () => {
  it('prefers the product probe, then the first channel with a temperature', () => {
    expect(
      productTemperature([
        { channel: 'air', temperatureC: 9.1 },
        { channel: 'product', temperatureC: 6.2 },
      ]),
    ).toEqual({ channel: 'product', temperatureC: 6.2 });
    expect(
      productTemperature([
        { channel: 'door', doorOpen: true },
        { channel: 'air', temperatureC: 4 },
      ]),
    ).toEqual({ channel: 'air', temperatureC: 4 });
    expect(productTemperature([{ channel: 'door', doorOpen: false }])).toBeNull();
  });
});

describe('flattenReadings', () => {
  it('gives one value per channel and metric, battery on the device channel', () => {
    expect(flattenReadings([{ channel: 'air', temperatureC: 4.5, doorOpen: false }], { batteryPct: 80 })).toEqual([
      { channel: 'air', metric: 'temperatureC', value: 4.5 },
      { channel: 'air', metric: 'doorOpen', value: false },
      { channel: 'device', metric: 'batteryPct', value: 80 },
    ]);
  });
});
