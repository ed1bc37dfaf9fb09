import { describe, expect, it } from '@jest/globals';
import { edgeLength, normalizeAngle, poseOnEdge } from './motion.js';
import { batteryReach, batteryVoltage, DEFAULT_BATTERY, stepBattery } from './battery.js';

describe('motion', () => {
  const a = { x: 0, y: 0, mapId: 'F1' };
  const b = { x: 3, y: 4, mapId: 'F1' };

  it('interpolates along a straight edge and faces the direction of travel', () => {
    expect(edgeLength(a, b, 1, 20)).toBe(5);
    const half = poseOnEdge(a, b, 2.5, 5);
    expect(half).toMatchObject({ x: 1.5, y: 2, mapId: 'F1' });
    expect(half.theta).toBeCloseTo(Math.atan2(4, 3));
  });

  it('turns to the node orientation on arrival and clamps past the end', () => {
    expect(poseOnEdge(a, { ...b, theta: 1 }, 9, 5)).toEqual({ x: 3, y: 4, theta: 1, mapId: 'F1' });
  });

  it('rides a lift for liftTimeS and switches map half way', () => {
    const upstairs = { x: 0, y: 0, mapId: 'F3' };
    const len = edgeLength(a, upstairs, 2, 10);
    expect(len).toBe(20);
    expect(poseOnEdge(a, upstairs, 9, len).mapId).toBe('F1');
    expect(poseOnEdge(a, upstairs, 11, len).mapId).toBe('F3');
  });

  it('normalizes angles into -pi..pi', () => {
    expect(normalizeAngle(3 * Math.PI)).toBeCloseTo(Math.PI);
    expect(normalizeAngle((-3 * Math.PI) / 2)).toBeCloseTo(Math.PI / 2);
  });
});

describe('battery', () => {
  it('drains with distance and time', () => {
    const afterKm = stepBattery(80, { distanceM: 1000, dtS: 0, charging: false });
    expect(afterKm).toBeCloseTo(80 - DEFAULT_BATTERY.drainPerKm);
    expect(stepBattery(80, { distanceM: 0, dtS: 3600, charging: false })).toBeCloseTo(80 - DEFAULT_BATTERY.idleDrainPerHour);
  });

  it('charges while charging and never leaves 0..100', () => {
    expect(stepBattery(50, { distanceM: 0, dtS: 1800, charging: true })).toBeCloseTo(50 + DEFAULT_BATTERY.chargePerHour / 2);
    expect(stepBattery(99, { distanceM: 0, dtS: 3600, charging: true })).toBe(100);
    expect(stepBattery(0.01, { distanceM: 5000, dtS: 0, charging: false })).toBe(0);
  });

  it('reports voltage and reach from the charge', () => {
    expect(batteryVoltage(0)).toBe(DEFAULT_BATTERY.voltageEmpty);
    expect(batteryVoltage(100)).toBe(DEFAULT_BATTERY.voltageFull);
    expect(batteryReach(50)).toBe(10_000);
  });
});
