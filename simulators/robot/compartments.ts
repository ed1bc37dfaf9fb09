/**
 * The robot's lockable drug compartments. A simulated person opens a door while loading or
 * unloading and closes it afterwards, unless a test holds it open (then locking fails,
 * which is the custody problem the control plane must notice). A jammed lock refuses to
 * unlock. Refrigerated compartments report their air temperature: steady around 4.5 °C with a
 * little sensor noise, or a warm excursion a test sets until it clears it.
 */
import { compartmentInformation, compartmentLoad, type CompartmentStatus, type Information, type Load } from '#contracts';

export interface CompartmentSpec {
  id: string;
  refrigerated?: boolean;
}

/** °C a healthy refrigerated compartment holds, and the noise (±) of its probe. */
export const FRIDGE_SETPOINT_C = 4.5;
const FRIDGE_NOISE_C = 0.2;

export class CompartmentBank {
  private readonly items = new Map<string, CompartmentStatus>();
  private readonly heldOpen = new Set<string>();
  private readonly jammed = new Set<string>();
  /** compartment → temperature forced by a fault (a warm excursion), until cleared */
  private readonly forcedTemperature = new Map<string, number>();

  constructor(
    specs: readonly CompartmentSpec[],
    private readonly random: () => number = Math.random,
  ) {
    for (const spec of specs) {
      this.items.set(spec.id, { compartmentId: spec.id, door: 'CLOSED', lock: 'LOCKED', refrigerated: spec.refrigerated ?? false });
    }
  }

  ids(): string[] {
    return [...this.items.keys()];
  }

  get(id: string): CompartmentStatus | undefined {
    const c = this.items.get(id);
    return c && { ...c };
  }

  /** Returns a failure reason, or undefined on success. */
  unlock(id: string): string | undefined {
    const c = this.items.get(id);
    if (!c) return `unknown compartment ${id}`;
    if (this.jammed.has(id)) return `compartment ${id} lock is jammed`;
    c.lock = 'UNLOCKED';
    return undefined;
  }

  /** Fault/test hook: the lock of `id` refuses to unlock (the unlock action FAILS). */
  jam(id: string, jammed: boolean): void {
    if (jammed) this.jammed.add(id);
    else this.jammed.delete(id);
  }

  /** Fault/test hook: report `celsius` for a refrigerated compartment until called with null. */
  setTemperature(id: string, celsius: number | null): void {
    const c = this.items.get(id);
    if (!c) throw new Error(`unknown compartment ${id}`);
    if (!c.refrigerated) throw new Error(`compartment ${id} is not refrigerated`);
    if (celsius === null) this.forcedTemperature.delete(id);
    else this.forcedTemperature.set(id, celsius);
  }

  /** The air temperature a refrigerated compartment reports now; undefined for the others. */
  temperature(id: string): number | undefined {
    const c = this.items.get(id);
    if (!c?.refrigerated) return undefined;
    return this.forcedTemperature.get(id) ?? FRIDGE_SETPOINT_C + (this.random() * 2 - 1) * FRIDGE_NOISE_C;
  }

  lock(id: string): string | undefined {
    const c = this.items.get(id);
    if (!c) return `unknown compartment ${id}`;
    if (c.door === 'OPEN') return `compartment ${id} door is open`;
    c.lock = 'LOCKED';
    return undefined;
  }

  /** The person opens the door to put something in or take it out. */
  open(id: string): string | undefined {
    const c = this.items.get(id);
    if (!c) return `unknown compartment ${id}`;
    if (c.lock === 'LOCKED') return `compartment ${id} is locked`;
    c.door = 'OPEN';
    return undefined;
  }

  /** Someone pries the door open without an unlock (tamper): unlocked and open. */
  force(id: string): string | undefined {
    const c = this.items.get(id);
    if (!c) return `unknown compartment ${id}`;
    c.lock = 'UNLOCKED';
    c.door = 'OPEN';
    this.heldOpen.add(id);
    return undefined;
  }

  /** The person closes the door again, unless a fault holds it open. */
  close(id: string): void {
    const c = this.items.get(id);
    if (c && !this.heldOpen.has(id)) c.door = 'CLOSED';
  }

  place(id: string, loadId: string, loadType?: string): string | undefined {
    const c = this.items.get(id);
    if (!c) return `unknown compartment ${id}`;
    if (c.loadId) return `compartment ${id} already holds ${c.loadId}`;
    c.loadId = loadId;
    if (loadType) c.loadType = loadType;
    return undefined;
  }

  take(id: string, loadId?: string): string | undefined {
    const c = this.items.get(id);
    if (!c) return `unknown compartment ${id}`;
    if (!c.loadId) return `compartment ${id} is empty`;
    if (loadId && c.loadId !== loadId) return `compartment ${id} holds ${c.loadId}, not ${loadId}`;
    delete c.loadId;
    delete c.loadType;
    return undefined;
  }

  /** Fault/test hook: a door that stays open (or is forced open right now). */
  holdOpen(id: string, held: boolean): void {
    const c = this.items.get(id);
    if (!c) return;
    if (held) {
      this.heldOpen.add(id);
      c.door = 'OPEN';
    } else {
      this.heldOpen.delete(id);
    }
  }

  loads(): Load[] {
    return [...this.items.values()].map(compartmentLoad).filter((l): l is Load => l !== undefined);
  }

  information(): Information[] {
    return [...this.items.values()].map((c) => {
      const temperatureC = this.temperature(c.compartmentId);
      return compartmentInformation(temperatureC === undefined ? c : { ...c, temperatureC });
    });
  }
}
