/**
 * Pure battery model in percent: drains with distance driven and with time (electronics,
 * cooling of refrigerated compartments), charges at a constant rate while charging.
 */
export interface BatteryParams {
  /** Percent per kilometre driven. */
  drainPerKm: number;
  /** Percent per hour just for being on. */
  idleDrainPerHour: number;
  /** Percent per hour while charging. */
  chargePerHour: number;
  /** Pack voltage at 0 % and 100 % (a 24 V pack by default). */
  voltageEmpty: number;
  voltageFull: number;
}

export const DEFAULT_BATTERY: BatteryParams = {
  drainPerKm: 5,
  idleDrainPerHour: 1.5,
  chargePerHour: 60,
  voltageEmpty: 22,
  voltageFull: 27.2,
};

export const LOW_BATTERY_PERCENT = 15;

export function stepBattery(charge: number, step: { distanceM: number; dtS: number; charging: boolean }, params: BatteryParams = DEFAULT_BATTERY): number {
  const hours = step.dtS / 3600;
  const delta = step.charging ? params.chargePerHour * hours : -(params.drainPerKm * (step.distanceM / 1000) + params.idleDrainPerHour * hours);
  return Math.min(100, Math.max(0, charge + delta));
}

export function batteryVoltage(charge: number, params: BatteryParams = DEFAULT_BATTERY): number {
  return Math.round((params.voltageEmpty + ((params.voltageFull - params.voltageEmpty) * charge) / 100) * 100) / 100;
}

/** Metres the robot can still drive on this charge (ignoring idle drain). */
export function batteryReach(charge: number, params: BatteryParams = DEFAULT_BATTERY): number {
  return Math.floor((charge / params.drainPerKm) * 1000);
}
