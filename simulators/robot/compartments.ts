/**
 * The robot's lockable drug compartments. A simulated person opens a door while loading or
 * unloading and closes it afterwards, unless a test holds it open (then locking fails,
 * which is the custody problem the control plane must notice).
 */
import { compartmentInformation, compartmentLoad, type CompartmentStatus, type Information, type Load } from '#contracts';

export interface CompartmentSpec {
  id: string;
  refrigerated?: boolean;
}

export class CompartmentBank {
  private readonly items = new Map<string, CompartmentStatus>();
  private readonly heldOpen = new Set<string>();

  constructor(specs: readonly CompartmentSpec[]) {
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
    c.lock = 'UNLOCKED';
    return undefined;
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
    return [...this.items.values()].map(compartmentInformation);
  }
}
