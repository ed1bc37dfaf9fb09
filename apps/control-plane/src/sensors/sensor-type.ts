/**
 * What a registered sensor watches, read from how it was registered: the registry has no
 * sensor-type field, so a sensor named or located "fridge"/"refrigerator" (or "freezer") is
 * treated as one, and anything else as a room sensor. Pure, unit-tested beside this file.
 */
import type { SensorReading } from '#contracts';
import type { SensorType } from '../alarm-engine/alarm-rule.dto.js';

export function classifySensor(device: { name: string; location: string | null }): SensorType {
  const text = `${device.name} ${device.location ?? ''}`.toLowerCase();
  if (/freezer/.test(text)) return 'freezer';
  if (/fridge|refrigerat|cold.?room|vaccine/.test(text)) return 'fridge';
  return 'room';
}

/**
 * The temperature that stands for the stored product: a buffered `product` probe when the
 * logger has one (it follows the medicine, not the air that rushes out when the door opens),
 * otherwise the first channel with a temperature.
 */
export function productTemperature(readings: readonly SensorReading[]): { channel: string; temperatureC: number } | null {
  const withT = readings.filter((r): r is SensorReading & { temperatureC: number } => r.temperatureC !== undefined);
  const pick = withT.find((r) => r.channel === 'product') ?? withT[0];
  return pick ? { channel: pick.channel, temperatureC: pick.temperatureC } : null;
}

/** The numeric and boolean values of a telemetry message, one per channel and metric. */
export function flattenReadings(
  readings: readonly SensorReading[],
  extra: { batteryPct?: number | undefined } = {},
): { channel: string; metric: string; value: number | boolean }[] {
  const out: { channel: string; metric: string; value: number | boolean }[] = [];
  for (const r of readings) {
    if (r.temperatureC !== undefined) out.push({ channel: r.channel, metric: 'temperatureC', value: r.temperatureC });
    if (r.humidityPct !== undefined) out.push({ channel: r.channel, metric: 'humidityPct', value: r.humidityPct });
    if (r.doorOpen !== undefined) out.push({ channel: r.channel, metric: 'doorOpen', value: r.doorOpen });
  }
  if (extra.batteryPct !== undefined) out.push({ channel: 'device', metric: 'batteryPct', value: extra.batteryPct });
  return out;
}
