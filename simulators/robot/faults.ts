/**
 * Fault injection for one simulated robot: what a control plane must survive in a ward.
 * Durations here are real (wall-clock) seconds, because they exercise the server's timers.
 */
import type { EStop } from '#contracts';
import type { RobotSimulator } from './robot-simulator.js';

export const SIMULATED_FAULT_ERROR = 'medloop.simulatedFault';

export class RobotFaults {
  constructor(private readonly robot: RobotSimulator) {}

  /** Lose the connection abruptly (last will fires); reconnect after `reconnectAfterS` if given. */
  disconnect(reconnectAfterS?: number): Promise<void> {
    return this.robot.loseConnection(reconnectAfterS);
  }

  /** Press (or with 'NONE' release) the emergency stop: the robot stops where it is. */
  eStop(kind: EStop = 'MANUAL'): void {
    const model = this.robot.model;
    model.eStop = kind;
    model.emit('fault', kind === 'NONE' ? 'e-stop released' : `e-stop ${kind}`);
    model.markDirty();
  }

  /** A FATAL error: the robot stops until `clearFatal()`. */
  fatal(description = 'simulated drive fault'): void {
    this.robot.model.addError({ errorType: SIMULATED_FAULT_ERROR, errorLevel: 'FATAL', errorDescription: description });
  }

  clearFatal(): void {
    this.robot.model.removeErrors((e) => e.errorType === SIMULATED_FAULT_ERROR);
  }

  /** Stop making progress while still claiming to drive and reporting state (a stuck wheel). */
  stall(stalled = true): void {
    const model = this.robot.model;
    model.stalled = stalled;
    model.emit('fault', stalled ? 'stalled' : 'stall cleared');
    model.markDirty();
  }

  lowBattery(percent = 5): void {
    const model = this.robot.model;
    model.batteryCharge = percent;
    model.emit('fault', `battery set to ${percent} %`);
    model.markDirty();
  }

  /** Lose this fraction (0..1) of incoming QoS 0 orders and/or instant actions. */
  dropIncoming(fraction: number, topics: ReadonlyArray<'order' | 'instantActions'> = ['order', 'instantActions']): void {
    if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`drop fraction must be within 0..1, got ${fraction}`);
    for (const topic of topics) this.robot.dropRates[topic] = fraction;
  }

  /** A compartment forced open without any unlock command (what tamper detection must catch). */
  forceCompartment(compartmentId: string): void {
    const err = this.robot.model.compartments.force(compartmentId);
    if (err) throw new Error(err);
    this.robot.model.emit('fault', `compartment ${compartmentId} forced open`);
    this.robot.model.markDirty();
  }

  /**
   * The robot refuses to unlock `compartmentId`: its lock is jammed, so the unlock action goes
   * FAILED with a `medloop.compartmentError` naming the action (until called with false).
   */
  refuseUnlock(compartmentId: string, refuse = true): void {
    this.robot.model.compartments.jam(compartmentId, refuse);
    this.robot.model.emit('fault', `compartment ${compartmentId} lock ${refuse ? 'jammed' : 'freed'}`);
  }

  /**
   * The robot rejects every instant-actions message carrying an unlock as invalid (a firmware
   * that disagrees with the schema): a `validationError` naming the message's topic and
   * headerId, no action state, nothing unlocked.
   */
  rejectUnlocksAsInvalid(reject = true): void {
    this.robot.unlockFaults.invalid = reject;
  }

  /** The robot silently ignores unlock commands: no action state, no error, no state answer. */
  ignoreUnlocks(ignore = true): void {
    this.robot.unlockFaults.ignore = ignore;
  }

  /** A refrigerated compartment reports `celsius` (e.g. a warm excursion) until called with null. */
  setCompartmentTemperature(compartmentId: string, celsius: number | null): void {
    this.robot.model.compartments.setTemperature(compartmentId, celsius);
    this.robot.model.emit(
      'fault',
      celsius === null ? `compartment ${compartmentId} temperature back to normal` : `compartment ${compartmentId} at ${celsius} °C`,
    );
    this.robot.model.markDirty();
  }

  /** A compartment door that is left open (locking it fails until released). */
  holdDoorOpen(compartmentId: string, held = true): void {
    this.robot.model.compartments.holdOpen(compartmentId, held);
    this.robot.model.markDirty();
  }
}
