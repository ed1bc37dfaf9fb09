/**
 * The simulated pharmacy: new orders arrive on a schedule and a pharmacist verifies them;
 * each round, for every ward with verified orders waiting, she picks the units (GS1 scans
 * with serials), checks them (a second pharmacist witnesses high-alert drugs), loads an idle
 * robot standing at the pharmacy dock (refrigerated drugs in its cooled compartment) and
 * dispatches the delivery. Idle robots elsewhere (left at a ward station, back from charging)
 * are called back to the dock, where the control plane lets robots be loaded.
 *
 * Every `humanShareEvery`-th order (default 3; DEMO_HUMAN_SHARE_EVERY, 0 = none) is entered but
 * left for the person in the browser to verify and send: with every order verified at once she
 * had nothing to do at the pharmacy. One nobody has verified or picked after `humanTimeoutMs`
 * is taken over by the simulated pharmacist, so an unattended demo keeps flowing.
 */
import type { Session } from './api.js';
import { DEMO_WARDS, PHARMACY_DOCK, unitBarcode } from './data.js';
import type { Log } from './loops.js';
import type { Seeded, SeededMedication, SeededPatient } from './seed.js';

/** Non-terminal delivery states in which a robot carries (or is about to carry) doses. */
const HOLDS_ROBOT = ['loaded', 'dispatched', 'in_transit', 'arrived', 'unlocked', 'recalled', 'returning'];
const MAX_QUEUED_PER_WARD = 6;
const MAX_DOSES_PER_DELIVERY = 4;
/** real ms before an idle robot away from the dock is called back again */
const RECALL_AGAIN_MS = 60_000;

interface Queued {
  orderId: string;
  patient: SeededPatient;
  medication: SeededMedication;
}

interface RobotView {
  id: string;
  name: string;
  connection: string | null;
  stale: boolean;
  battery: { chargePct: number } | null;
  errors: { errorLevel: string }[];
  safety: { eStop: string } | null;
  mission: { status: string } | null;
  lastNodeId: string | null;
  driving: boolean;
  compartments: { compartmentId: string; refrigerated?: boolean; loadId?: string }[];
}

export interface PharmacyStats {
  orders: number;
  deliveries: number;
  /** orders left for a person to verify and send */
  leftForHumans: number;
  /** …of which the simulated pharmacist took over after humanTimeoutMs */
  takenOver: number;
}

export interface PharmacyBotOptions {
  /** leave every n-th new order for a person to verify and send (0 = verify every order at once) */
  humanShareEvery: number;
  /** real ms an order left for a person waits before the simulated pharmacist takes it */
  humanTimeoutMs: number;
}

export class PharmacyBot {
  readonly stats: PharmacyStats = { orders: 0, deliveries: 0, leftForHumans: 0, takenOver: 0 };
  private readonly queue = new Map<string, Queued[]>();
  /** orders left for a person, by order id, with when */
  private readonly leftForHuman = new Map<string, { item: Queued; ward: string; since: number }>();
  private readonly runId = Date.now().toString(36).toUpperCase();
  private serial = 0;
  private orderSeq = 0;
  /** robot id → when it was last called back to the dock */
  private readonly calledBack = new Map<string, number>();

  constructor(
    private readonly pharmacist: Session,
    private readonly witness: Session,
    private readonly seeded: Seeded,
    private readonly log: Log,
    private readonly options: PharmacyBotOptions = { humanShareEvery: 0, humanTimeoutMs: 0 },
    private readonly random: () => number = Math.random,
  ) {}

  private pickOne<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.random() * xs.length)]!;
  }

  /**
   * A prescriber's new order, entered at the order desk by the second pharmacist and verified
   * by the first right away (whoever enters an order may not verify it: separation of duties).
   */
  async newOrder(): Promise<string | null> {
    const ward = DEMO_WARDS[this.orderSeq++ % DEMO_WARDS.length]!;
    const waiting = this.queue.get(ward.id) ?? [];
    if (waiting.length >= MAX_QUEUED_PER_WARD) return null;
    const patient = this.pickOne(this.seeded.patients.filter((p) => p.ward === ward.id));
    const medication = this.pickOne(this.seeded.medications);
    const order = await this.witness.post<{ id: string }>('/api/orders', {
      patientId: patient.id,
      medicationId: medication.id,
      dose: medication.dose,
      route: medication.route,
      schedule: { times: [new Date(Date.now() + 5 * 60_000).toISOString()], windowMinutes: 60 },
      priority: this.random() < 0.2 ? 'stat' : 'routine',
      prescriber: 'Dr Demo',
    });
    this.stats.orders++;
    const item = { orderId: order.id, patient, medication };
    const every = this.options.humanShareEvery;
    if (every > 0 && this.stats.orders % every === 0) {
      this.leftForHuman.set(order.id, { item, ward: ward.id, since: Date.now() });
      this.stats.leftForHumans++;
      this.log(
        `order   ${medication.name} ${medication.dose.amount} ${medication.dose.unit} for ${patient.name} (${ward.id} bed ${patient.bed}) entered by ${this.witness.username}: left for you to verify and send (Pharmacy)`,
      );
      return order.id;
    }
    await this.pharmacist.post(`/api/orders/${order.id}/verify`);
    this.queue.set(ward.id, [...waiting, item]);
    this.log(
      `order   ${medication.name} ${medication.dose.amount} ${medication.dose.unit} for ${patient.name} (${ward.id} bed ${patient.bed}) verified by ${this.pharmacist.username}`,
    );
    return order.id;
  }

  /**
   * Robots free for a new delivery: online, healthy, charged, on no mission, carrying nothing,
   * and standing at the pharmacy dock with an empty compartment of each kind. A free robot
   * elsewhere is called back to the dock.
   */
  private async freeRobots(): Promise<RobotView[]> {
    const [robots, deliveries] = await Promise.all([
      this.pharmacist.get<RobotView[]>('/api/robots'),
      this.pharmacist.get<{ robotId: string | null; state: string }[]>('/api/deliveries'),
    ]);
    const carrying = new Set(deliveries.filter((d) => d.robotId && HOLDS_ROBOT.includes(d.state)).map((d) => d.robotId));
    const idle = robots.filter(
      (r) =>
        r.connection === 'ONLINE' &&
        !r.stale &&
        !carrying.has(r.id) &&
        (r.battery?.chargePct ?? 0) > 30 &&
        (r.safety?.eStop ?? 'NONE') === 'NONE' &&
        !r.errors.some((e) => e.errorLevel === 'FATAL') &&
        (!r.mission || ['finished', 'failed', 'cancelled'].includes(r.mission.status)),
    );
    const atDock = idle.filter((r) => r.lastNodeId === PHARMACY_DOCK && !r.driving);
    for (const r of idle.filter((x) => !atDock.includes(x) && !x.driving)) await this.callBack(r);
    return atDock.filter((r) => compartmentsOf(r) !== null);
  }

  private async callBack(r: RobotView): Promise<void> {
    if (Date.now() - (this.calledBack.get(r.id) ?? 0) < RECALL_AGAIN_MS) return;
    this.calledBack.set(r.id, Date.now());
    await this.pharmacist.post('/api/missions', { stops: [{ nodeId: PHARMACY_DOCK, actions: [] }], priority: 'routine', requiredRobotId: r.id });
    this.log(`robot   ${r.name} is idle away from the dock (${r.lastNodeId ?? 'unknown node'}): called back to the pharmacy`);
  }

  /**
   * Orders left for a person and untouched for humanTimeoutMs: the simulated pharmacist
   * verifies one still unverified, and sends one verified whose dose nobody picked; one a
   * person rejected, stopped or picked is hers.
   */
  private async takeOverLeftOrders(): Promise<void> {
    const due = [...this.leftForHuman.entries()].filter(([, l]) => Date.now() - l.since > this.options.humanTimeoutMs);
    if (due.length === 0) return;
    const queued = new Set((await this.pharmacist.get<{ orderId: string }[]>('/api/doses?state=queued')).map((d) => d.orderId));
    for (const [orderId, left] of due) {
      this.leftForHuman.delete(orderId);
      const order = await this.pharmacist.get<{ status: string }>(`/api/orders/${orderId}`);
      const unverified = order.status === 'draft' || order.status === 'active';
      if (!unverified && !(order.status === 'verified' && queued.has(orderId))) continue;
      if (unverified) await this.pharmacist.post(`/api/orders/${orderId}/verify`);
      this.queue.set(left.ward, [...(this.queue.get(left.ward) ?? []), left.item]);
      this.stats.takenOver++;
      this.log(
        `waited  order ${orderId.slice(0, 8)} for ${left.item.patient.name}: nobody ${unverified ? 'verified' : 'sent'} it for ${Math.round(this.options.humanTimeoutMs / 1000)} s, the simulated pharmacist takes over`,
      );
    }
  }

  /** One pharmacy round: orders left for a person and forgotten first, then at most one delivery per ward, each on its own free robot. */
  async round(): Promise<void> {
    await this.takeOverLeftOrders();
    const wards = DEMO_WARDS.filter((w) => (this.queue.get(w.id)?.length ?? 0) > 0);
    if (wards.length === 0) return;
    const free = await this.freeRobots();
    for (const ward of wards) {
      const robot = free.shift();
      if (!robot) return;
      const items = this.queue.get(ward.id)!.splice(0, MAX_DOSES_PER_DELIVERY);
      await this.deliver(ward.id, robot, items).catch((err: unknown) => {
        this.log(`! delivery to ${ward.id} not sent: ${(err as Error).message}`);
      });
    }
  }

  private async deliver(ward: string, robot: RobotView, items: Queued[]): Promise<void> {
    const delivery = await this.pharmacist.post<{ id: string }>('/api/deliveries', { ward });
    const path = `/api/deliveries/${delivery.id}`;
    const compartments: Record<string, string[]> = {};
    let highAlert = false;
    for (const item of items) {
      const serial = `${this.runId}${String(++this.serial).padStart(4, '0')}`;
      const picked = await this.pharmacist
        .post<{ doses: { id: string; serial: string | null }[] }>(`${path}/picks`, {
          orderId: item.orderId,
          barcode: unitBarcode(item.medication.gtin, serial),
        })
        .catch((err: unknown) => {
          this.log(`! pick for order ${item.orderId.slice(0, 8)} refused: ${(err as Error).message}`);
          return null;
        });
      const dose = picked?.doses.find((d) => d.serial === serial);
      if (!dose) continue;
      const { warm, cold } = compartmentsOf(robot)!;
      (compartments[item.medication.refrigerated ? cold : warm] ??= []).push(dose.id);
      highAlert ||= item.medication.highAlert === true;
    }
    if (Object.keys(compartments).length === 0) return;
    await this.pharmacist.post(`${path}/check`, highAlert ? { witness: this.witness.coSign() } : {});
    await this.pharmacist.post(`${path}/load`, { robotId: robot.id, compartments });
    await this.pharmacist.post(`${path}/dispatch`);
    this.stats.deliveries++;
    const doses = Object.values(compartments).flat().length;
    const witnessed = highAlert ? `, high-alert checked with ${this.witness.username} as witness` : '';
    this.log(`deliver ${delivery.id.slice(0, 8)} → ${ward}: ${doses} dose(s) picked, checked${witnessed}, loaded into ${robot.name} and dispatched`);
  }
}

/** An empty ordinary and an empty refrigerated compartment of the robot; null when it lacks either. */
function compartmentsOf(r: RobotView): { warm: string; cold: string } | null {
  const empty = r.compartments.filter((c) => !c.loadId);
  const cold = empty.find((c) => c.refrigerated)?.compartmentId;
  const warm = empty.find((c) => !c.refrigerated)?.compartmentId;
  return cold && warm ? { warm, cold } : null;
}
