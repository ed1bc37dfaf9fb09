/**
 * One simulated smart cabinet, without I/O: drawers and pockets with lock states, lockdown,
 * locked lots, the counts a nurse would find, refrigerated drawers' temperatures, and the
 * simulated people who open a pocket after it is unlocked. Commands go in, an ack decision
 * and event bodies come out; the simulator adds the v1 header and publishes them.
 */
import type { AckResult, CabinetCommand, CabinetEvent, CabinetTelemetry, PocketLockState } from '#contracts';
import { round } from '../sensor/noise.js';
import { DEFAULT_FRIDGE, stepFridge, type FridgeState } from '../sensor/thermal.js';

export type CabinetEventBody = CabinetEvent extends infer E ? (E extends CabinetEvent ? Omit<E, 'v' | 'deviceId' | 'seq' | 'ts'> : never) : never;
export type CabinetTelemetryBody = Omit<CabinetTelemetry, 'v' | 'deviceId' | 'seq' | 'ts'>;

export interface DrawerSpec {
  drawerId: string;
  refrigerated: boolean;
  pockets: Array<{ pocketId: string; count: number }>;
}

export interface CabinetBehaviour {
  /** Simulated seconds between an unlock and the user opening the pocket. */
  openDelayS: number;
  /** Simulated seconds the pocket stays open. */
  accessS: number;
  /** Fraction (0..1) of unlocks nobody uses (the unlock window then expires). */
  abandonRate: number;
}

export const DEFAULT_BEHAVIOUR: CabinetBehaviour = { openDelayS: 4, accessS: 8, abandonRate: 0 };

interface Pocket {
  pocketId: string;
  drawerId: string;
  state: PocketLockState;
  count: number;
  /** Simulated seconds when the next scheduled thing happens to this pocket. */
  dueS: number | null;
  commandId: string | null;
  userId: string | null;
  openedAtS: number;
  /** Added to the next count entered here (fault injection: a miscount or missing dose). */
  countError: number;
  abandoned: boolean;
}

export interface AckDecision {
  result: AckResult;
  detail?: string;
}

export class CabinetModel {
  t = 0;
  lockdown = false;
  onBattery = false;
  readonly lockedLots = new Set<string>();
  private readonly pockets = new Map<string, Pocket>();
  private readonly fridges = new Map<string, FridgeState>();
  /** injected excursions: refrigerated drawer → the temperature it reads */
  private readonly forced = new Map<string, number>();
  private events: CabinetEventBody[] = [];

  constructor(
    private readonly drawers: DrawerSpec[],
    private readonly behaviour: CabinetBehaviour = DEFAULT_BEHAVIOUR,
    private readonly random: () => number = Math.random,
  ) {
    for (const d of drawers) {
      if (d.refrigerated) this.fridges.set(d.drawerId, { temperatureC: 3.6 + random() * 2.3, compressorOn: random() < 0.5 });
      for (const p of d.pockets) {
        this.pockets.set(p.pocketId, {
          pocketId: p.pocketId,
          drawerId: d.drawerId,
          state: 'locked',
          count: p.count,
          dueS: null,
          commandId: null,
          userId: null,
          openedAtS: 0,
          countError: 0,
          abandoned: false,
        });
      }
    }
  }

  pocket(pocketId: string): Readonly<Pocket> | undefined {
    return this.pockets.get(pocketId);
  }

  handleCommand(command: CabinetCommand): AckDecision {
    switch (command.type) {
      case 'unlockPocket': {
        if (this.lockdown) return { result: 'refused', detail: 'cabinet is locked down' };
        const pocket = this.pockets.get(command.pocketId);
        if (!pocket) return { result: 'refused', detail: `no pocket ${command.pocketId}` };
        if (pocket.state === 'fault') return { result: 'failed', detail: `pocket ${command.pocketId} lock is faulty` };
        if (pocket.state !== 'locked') return { result: 'refused', detail: `pocket ${command.pocketId} is already ${pocket.state}` };
        const abandoned = this.random() < this.behaviour.abandonRate;
        Object.assign(pocket, {
          state: 'unlocked',
          commandId: command.commandId,
          userId: command.userId,
          abandoned,
          dueS: this.t + (abandoned ? command.unlockS : Math.min(this.behaviour.openDelayS, command.unlockS)),
        });
        return { result: 'done' };
      }
      case 'lockdown':
        if (!this.lockdown) this.events.push({ type: 'lockdownEngaged', reason: command.reason, commandId: command.commandId });
        this.lockdown = true;
        // Lockdown relocks pockets that are unlocked but not yet opened.
        for (const p of this.pockets.values()) if (p.state === 'unlocked') Object.assign(p, { state: 'locked', dueS: null, commandId: null });
        return { result: 'done' };
      case 'releaseLockdown':
        if (this.lockdown) this.events.push({ type: 'lockdownReleased', commandId: command.commandId });
        this.lockdown = false;
        return { result: 'done' };
      case 'lockLot':
        this.lockedLots.add(command.lot);
        return { result: 'done' };
      case 'unlockLot':
        this.lockedLots.delete(command.lot);
        return { result: 'done' };
      case 'requestCount': {
        if (this.lockdown) return { result: 'refused', detail: 'cabinet is locked down' };
        const pocket = this.pockets.get(command.pocketId);
        if (!pocket) return { result: 'refused', detail: `no pocket ${command.pocketId}` };
        this.events.push({
          type: 'countEntered',
          pocketId: pocket.pocketId,
          userId: command.userId,
          counted: Math.max(0, pocket.count + pocket.countError),
          blind: command.blind,
          commandId: command.commandId,
        });
        pocket.countError = 0;
        return { result: 'done' };
      }
    }
  }

  /** A refrigerated drawer reads `temperatureC` (null: its physics again). */
  forceDrawer(drawerId: string, temperatureC: number | null): void {
    if (!this.fridges.has(drawerId)) throw new RangeError(`drawer ${drawerId} is not refrigerated`);
    if (temperatureC === null) this.forced.delete(drawerId);
    else this.forced.set(drawerId, temperatureC);
  }

  /** The first refrigerated drawer (null: none). */
  get refrigeratedDrawer(): string | null {
    return this.fridges.keys().next().value ?? null;
  }

  step(dtS: number): void {
    const end = this.t + dtS;
    for (const [drawerId, fridge] of this.fridges) {
      let s = fridge;
      // On battery the cabinet keeps its locks and electronics alive but not the compressor.
      for (let left = dtS; left > 1e-9; left -= 5) s = stepFridge(s, Math.min(left, 5), false, DEFAULT_FRIDGE, this.onBattery);
      this.fridges.set(drawerId, s);
    }
    // Scheduled pocket actions, in time order even when one step covers several of them.
    for (;;) {
      const next = [...this.pockets.values()].filter((p) => p.dueS !== null && p.dueS <= end).sort((a, b) => a.dueS! - b.dueS!)[0];
      if (!next) break;
      this.t = Math.max(this.t, next.dueS!);
      this.advancePocket(next);
    }
    this.t = end;
  }

  private advancePocket(p: Pocket): void {
    if (p.state === 'unlocked' && p.abandoned) {
      this.events.push({ type: 'pocketUnlockExpired', pocketId: p.pocketId, commandId: p.commandId! });
      Object.assign(p, { state: 'locked', dueS: null, commandId: null, userId: null });
    } else if (p.state === 'unlocked') {
      this.events.push({ type: 'pocketOpened', pocketId: p.pocketId, ...(p.userId ? { userId: p.userId } : {}), commandId: p.commandId! });
      Object.assign(p, { state: 'open', openedAtS: this.t, dueS: this.t + this.behaviour.accessS });
    } else if (p.state === 'open') {
      // The simulated nurse took one unit (the server's ledger decides what it was).
      p.count = Math.max(0, p.count - 1);
      this.events.push({ type: 'pocketClosed', pocketId: p.pocketId, openS: round(this.t - p.openedAtS, 0.1), commandId: p.commandId! });
      Object.assign(p, { state: 'locked', dueS: null, commandId: null, userId: null });
    } else {
      p.dueS = null;
    }
  }

  forceDoor(drawerId?: string): void {
    this.events.push(drawerId !== undefined ? { type: 'doorForced', drawerId } : { type: 'doorForced' });
  }

  setPower(lost: boolean): void {
    if (lost === this.onBattery) return;
    this.onBattery = lost;
    this.events.push(lost ? { type: 'powerLost', onBattery: true } : { type: 'powerRestored' });
  }

  /** The next count at this pocket will be off by `delta` (a discrepancy for the server). */
  miscount(pocketId: string, delta: number): void {
    const p = this.pockets.get(pocketId);
    if (p) p.countError += delta;
  }

  jamPocket(pocketId: string, jammed = true): void {
    const p = this.pockets.get(pocketId);
    if (p) Object.assign(p, { state: jammed ? 'fault' : 'locked', dueS: null });
  }

  telemetry(): CabinetTelemetryBody {
    return {
      lockdown: this.lockdown,
      doorOpen: [...this.pockets.values()].some((p) => p.state === 'open'),
      onBattery: this.onBattery,
      drawers: this.drawers.map((d) => ({
        drawerId: d.drawerId,
        refrigerated: d.refrigerated,
        ...(d.refrigerated ? { temperatureC: this.forced.get(d.drawerId) ?? round(this.fridges.get(d.drawerId)!.temperatureC, 0.1) } : {}),
        pockets: d.pockets.map((p) => ({ pocketId: p.pocketId, state: this.pockets.get(p.pocketId)!.state })),
      })),
    };
  }

  takeEvents(): CabinetEventBody[] {
    const out = this.events;
    this.events = [];
    return out;
  }
}

/** A default layout: `drawers` drawers of `pocketsPerDrawer` pockets; the last drawer refrigerated. */
export function defaultLayout(drawers = 3, pocketsPerDrawer = 4, refrigerated = true): DrawerSpec[] {
  return Array.from({ length: drawers }, (_, i) => {
    const cold = refrigerated && i === drawers - 1;
    const drawerId = cold ? `R${i + 1}` : `D${i + 1}`;
    return { drawerId, refrigerated: cold, pockets: Array.from({ length: pocketsPerDrawer }, (_, j) => ({ pocketId: `${drawerId}-P${j + 1}`, count: 10 })) };
  });
}
