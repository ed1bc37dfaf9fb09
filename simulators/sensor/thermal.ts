/**
 * Pure physics of a refrigerated space (a medication fridge or a cabinet's refrigerated
 * drawer): heat leaks in from the room (Newton's law of cooling, much faster with the door
 * open) and a thermostat runs the compressor between two set points. The result is the
 * familiar saw-tooth between ~3.5 and ~6 °C with a period of roughly 15–20 minutes.
 */
export interface FridgeParams {
  ambientC: number;
  /** Compressor switches on above this and off below `offC`. */
  onC: number;
  offC: number;
  /** °C per second removed while the compressor runs. */
  coolingCPerS: number;
  /** Time constants (s) of the heat leak with the door closed/open. */
  leakTauClosedS: number;
  leakTauOpenS: number;
}

export const DEFAULT_FRIDGE: FridgeParams = {
  ambientC: 22,
  onC: 6,
  offC: 3.5,
  coolingCPerS: 0.01,
  leakTauClosedS: 3600,
  leakTauOpenS: 900,
};

export interface FridgeState {
  temperatureC: number;
  compressorOn: boolean;
}

/** Advance by `dtS` seconds (call with steps of at most a few seconds for accuracy). */
export function stepFridge(s: FridgeState, dtS: number, doorOpen: boolean, p: FridgeParams = DEFAULT_FRIDGE, compressorFailed = false): FridgeState {
  const tau = doorOpen ? p.leakTauOpenS : p.leakTauClosedS;
  const leak = ((p.ambientC - s.temperatureC) / tau) * dtS;
  const compressorOn = !compressorFailed && (s.temperatureC > p.onC || (s.compressorOn && s.temperatureC > p.offC));
  const cooling = compressorOn ? p.coolingCPerS * dtS : 0;
  return { temperatureC: s.temperatureC + leak - cooling, compressorOn };
}

/** Room climate: a daily sine around a mean; warmest mid-afternoon, humidity opposite. */
export function roomClimate(epochMs: number, phaseH = 0): { temperatureC: number; humidityPct: number } {
  const hours = ((epochMs / 3_600_000 + phaseH) % 24) + 0;
  const day = Math.sin((2 * Math.PI * (hours - 9)) / 24);
  return { temperatureC: 21.5 + 1.5 * day, humidityPct: 45 - 8 * day };
}
