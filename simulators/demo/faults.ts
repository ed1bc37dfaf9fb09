/**
 * Occasional trouble, in rotation, so the alarm side of the UI has something to show: a ward
 * fridge door left open (a cold-chain excursion once it has been warm long enough, which
 * quarantines the doses kept in it), a robot's refrigerated compartment warming up on the way
 * (the refrigerated doses aboard are quarantined wherever they are by then), a robot's
 * emergency stop pressed mid-mission and released, and a VDA 5050 order lost on the way to a
 * robot (the control plane resends it when no acknowledgement comes). Also the alarm watch
 * that prints every new alarm.
 */
import type { RobotSimulator } from '../robot/index.js';
import type { Session } from './api.js';
import type { DemoDevices } from './devices.js';
import type { Log, Loops } from './loops.js';
import type { Seeded } from './seed.js';

export type FaultKind = 'fridge-door' | 'compartment-warm' | 'estop' | 'drop-order';
export const FAULT_ROTATION: readonly FaultKind[] = ['fridge-door', 'compartment-warm', 'estop', 'drop-order'];

/**
 * How long a fridge door stays open: 30 simulated minutes (the model warms past 8 °C within a
 * few), and at least 3 real minutes, because the server times the excursion on its own clock
 * (device `ts` only informs it) and the demo's cold chain confirms one after a real minute
 * out of range (COLD_CHAIN_MIN_EXCURSION_S in main.ts).
 */
const DOOR_OPEN_SIM_MIN = 30;
const DOOR_OPEN_MIN_REAL_MS = 180_000;
/** A warm compartment stays warm past the demo's quarantine threshold (COLD_CHAIN_QUARANTINE_AFTER_S in main.ts) on the server's clock. */
const COMPARTMENT_WARM_MS = 200_000;
const ESTOP_HOLD_MS = 8_000;
const DROP_WATCH_MS = 90_000;

export class FaultInjector {
  private next = 0;
  private fridgeOpen: string | null = null;
  private compartmentWarm: string | null = null;
  readonly injected: FaultKind[] = [];

  constructor(
    private readonly devices: DemoDevices,
    private readonly seeded: Seeded,
    private readonly loops: Loops,
    private readonly log: Log,
    private readonly timeScale: number,
    /** reads which deliveries are under way (the warm-compartment fault picks a robot carrying a cold dose) */
    private readonly admin?: Session,
  ) {}

  /** Injects the next fault of the rotation that applies now (skips one that cannot). */
  async injectNext(): Promise<void> {
    for (let tries = 0; tries < FAULT_ROTATION.length; tries++) {
      const kind = FAULT_ROTATION[this.next++ % FAULT_ROTATION.length]!;
      if (await this.inject(kind)) {
        this.injected.push(kind);
        return;
      }
    }
  }

  inject(kind: FaultKind): boolean | Promise<boolean> {
    if (kind === 'fridge-door') return this.fridgeDoor();
    if (kind === 'compartment-warm') return this.warmCompartment();
    if (kind === 'estop') return this.eStop();
    return this.dropOrder();
  }

  private fridgeDoor(): boolean {
    if (this.fridgeOpen) return false;
    const fridges = this.seeded.sensors.filter((s) => s.profile === 'fridge');
    const target = fridges[Math.floor(Math.random() * fridges.length)];
    const sim = target && this.devices.sensors.get(target.id);
    if (!target || !sim) return false;
    this.fridgeOpen = target.id;
    sim.faults.doorOpen(true);
    const realMs = Math.max(DOOR_OPEN_MIN_REAL_MS, (DOOR_OPEN_SIM_MIN * 60_000) / this.timeScale);
    this.log(
      `FAULT   ${target.ward.name} fridge door left open (${target.id}); a cold-chain alarm follows once it has been warm long enough, closed again in ${Math.round(realMs / 1000)} s`,
    );
    this.loops.after(realMs, `close ${target.id}`, () => {
      sim.faults.doorOpen(false);
      this.fridgeOpen = null;
      this.log(`recover ${target.ward.name} fridge door closed again; the fridge cools down and the alarm clears`);
    });
    return true;
  }

  /** A robot on its way with a refrigerated dose aboard: its cold compartment warms to 12 °C for a while. */
  private async warmCompartment(): Promise<boolean> {
    if (this.compartmentWarm || !this.admin) return false;
    const moving = await this.admin.get<{ robotId: string | null; compartments: Record<string, string[]> }[]>('/api/deliveries?state=in_transit');
    for (const d of moving) {
      const sn = this.seeded.robots.find((r) => r.id === d.robotId)?.serialNumber;
      const robot = this.devices.robots.robots.find((r) => r.connected && r.serialNumber === sn);
      const cold = robot && Object.keys(d.compartments).find((c) => robot.model.compartments.get(c)?.refrigerated);
      if (!robot || !cold) continue;
      this.compartmentWarm = `${robot.serialNumber}/${cold}`;
      robot.faults.setCompartmentTemperature(cold, 12.4);
      this.log(
        `FAULT   ${robot.serialNumber} compartment ${cold} cooling failed on the way (12.4 °C); the refrigerated doses aboard are quarantined once it has been warm long enough, wherever they are by then`,
      );
      this.loops.after(COMPARTMENT_WARM_MS, `cool ${this.compartmentWarm}`, () => {
        robot.faults.setCompartmentTemperature(cold, null);
        this.log(`recover ${robot.serialNumber} compartment ${cold} cooling restored`);
        this.compartmentWarm = null;
      });
      return true;
    }
    return false;
  }

  private pickRobot(filter: (r: RobotSimulator) => boolean): RobotSimulator | undefined {
    const candidates = this.devices.robots.robots.filter((r) => r.connected && filter(r));
    return candidates[Math.floor(Math.random() * candidates.length)];
  }

  private eStop(): boolean {
    const robot = this.pickRobot((r) => r.model.driving && r.model.eStop === 'NONE');
    if (!robot) return false;
    robot.faults.eStop('MANUAL');
    this.log(`FAULT   ${robot.serialNumber} emergency stop pressed mid-mission; its mission pauses with an alarm`);
    this.loops.after(ESTOP_HOLD_MS, `release ${robot.serialNumber}`, () => {
      robot.faults.eStop('NONE');
      this.log(`recover ${robot.serialNumber} emergency stop released; the mission resumes`);
    });
    return true;
  }

  /** The next order sent to an idle robot is lost; the server's resend gets through. */
  private dropOrder(): boolean {
    const robot = this.pickRobot((r) => r.model.idle() && r.dropRates.order === 0);
    if (!robot) return false;
    const before = robot.stats.messagesDropped;
    robot.faults.dropIncoming(1, ['order']);
    this.log(`FAULT   ${robot.serialNumber} will lose the next order it is sent (radio dead spot)`);
    const started = Date.now();
    const watch = () => {
      if (robot.stats.messagesDropped > before) {
        robot.faults.dropIncoming(0, ['order']);
        this.log(`recover ${robot.serialNumber} lost an order; the control plane resends it after its acknowledgement timeout`);
      } else if (Date.now() - started > DROP_WATCH_MS) {
        robot.faults.dropIncoming(0, ['order']);
      } else {
        this.loops.after(200, `watch ${robot.serialNumber}`, watch);
      }
    };
    this.loops.after(200, `watch ${robot.serialNumber}`, watch);
    return true;
  }
}

/** Prints each alarm once when it is raised (and when it clears). */
export class AlarmWatch {
  private readonly seen = new Map<string, string>();
  private primed = false;

  constructor(
    private readonly admin: Session,
    private readonly log: Log,
  ) {}

  async tick(): Promise<void> {
    const alarms = await this.admin.get<{ id: string; type: string; severity: string; state: string; ward: string | null; message: string }[]>('/api/alarms');
    for (const a of alarms) {
      const was = this.seen.get(a.id);
      this.seen.set(a.id, a.state);
      // alarms from an earlier run are listed once at start, not replayed one by one
      if (!this.primed || was === a.state) continue;
      if (a.state === 'raised' && was === undefined) this.log(`ALARM   ${a.severity} ${a.type}${a.ward ? ` on ${a.ward}` : ''}: ${a.message}`);
      else if (a.state === 'cleared') this.log(`cleared ${a.type}${a.ward ? ` on ${a.ward}` : ''}`);
    }
    if (!this.primed) {
      const open = alarms.filter((a) => a.state !== 'cleared').length;
      if (open > 0) this.log(`${open} alarm(s) still open from an earlier run`);
      this.primed = true;
    }
  }
}
