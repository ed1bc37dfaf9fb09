/**
 * The simulated ward nurses. When a robot arrives at a ward station, about half of the
 * deliveries are opened by the ward's simulated nurse after a short delay (badge + PIN at
 * the robot, a receipt scan per dose, receipt closed) and the rest wait for a person in the
 * browser; a delivery nobody opens is taken over after a while so the robots keep moving.
 * Received doses are given at the bedside (five rights, a witness for high-alert drugs), and
 * a robot whose delivery is closed is sent back to the pharmacy dock.
 */
import type { Session } from './api.js';
import { PHARMACY_DOCK, unitBarcode, wristbandBarcode, type DemoUser } from './data.js';
import type { Log, Loops } from './loops.js';
import type { Seeded } from './seed.js';

export interface WardBotOptions {
  /** real ms between a robot's arrival and the simulated nurse opening it */
  receiveDelayMs: number;
  /** real ms between receipt and the bedside administration */
  administerDelayMs: number;
  /** real ms a delivery left for a person waits before the simulated nurse takes over */
  humanTimeoutMs: number;
  /** leave every second arriving delivery for a person in the browser */
  leaveForHumans: boolean;
}

export interface WardStats {
  arrived: number;
  received: number;
  leftForHumans: number;
  takenOver: number;
  administered: number;
  held: number;
}

interface DeliveryView {
  id: string;
  ward: string;
  state: string;
  robotId: string | null;
  compartments: Record<string, string[]>;
  unlocks: { compartmentId: string }[];
  doses?: {
    id: string;
    orderId: string;
    state: string;
    gtin: string | null;
    lot: string | null;
    serial: string | null;
    patientId: string;
    medicationId: string;
  }[];
}

interface Tracked {
  since: number;
  human: boolean;
  busy: boolean;
}

const AT_STATION = ['arrived', 'unlocked'];
const ENDED = ['completed', 'returned', 'cancelled', 'failed', 'escalated_manual'];

export class WardBot {
  readonly stats: WardStats = { arrived: 0, received: 0, leftForHumans: 0, takenOver: 0, administered: 0, held: 0 };
  private readonly tracked = new Map<string, Tracked>();
  private readonly escalated = new Set<string>();

  constructor(
    private readonly nurses: Map<string, { session: Session; user: DemoUser }>,
    private readonly witness: Session,
    private readonly admin: Session,
    private readonly seeded: Seeded,
    private readonly loops: Loops,
    private readonly log: Log,
    private readonly options: WardBotOptions,
  ) {}

  /** Looks at every delivery at a ward station; schedules the simulated nurse's work. */
  async tick(): Promise<void> {
    const deliveries = await this.admin.get<DeliveryView[]>('/api/deliveries');
    for (const d of deliveries) {
      const t = this.tracked.get(d.id);
      if (!t && AT_STATION.includes(d.state)) {
        const human = this.options.leaveForHumans && this.stats.arrived % 2 === 1;
        this.stats.arrived++;
        this.tracked.set(d.id, { since: Date.now(), human, busy: !human });
        if (human) {
          this.stats.leftForHumans++;
          const nurse = this.nurses.get(d.ward)?.user;
          this.log(
            `arrive  ${d.id.slice(0, 8)} at ${d.ward} station, LEFT FOR YOU: sign in as ${nurse?.username ?? 'a nurse of the ward'} to unlock and receive it`,
          );
        } else {
          this.log(`arrive  ${d.id.slice(0, 8)} at ${d.ward} station; the ward's nurse comes in ${Math.round(this.options.receiveDelayMs / 1000)} s`);
          this.loops.after(this.options.receiveDelayMs, `receive ${d.id.slice(0, 8)}`, () => this.receive(d.id));
        }
      } else if (t?.human && !t.busy && AT_STATION.includes(d.state) && Date.now() - t.since > this.options.humanTimeoutMs) {
        t.busy = true;
        this.stats.takenOver++;
        this.log(
          `waited  ${d.id.slice(0, 8)} at ${d.ward}: nobody came for ${Math.round(this.options.humanTimeoutMs / 1000)} s, the simulated nurse takes over`,
        );
        this.loops.after(0, `take over ${d.id.slice(0, 8)}`, () => this.receive(d.id));
      } else if (d.state === 'failed' && !this.escalated.has(d.id)) {
        // a robot that failed mid-way (or a run restarted under it): a porter takes the doses
        this.escalated.add(d.id);
        await this.admin.post(`/api/deliveries/${d.id}/escalate`, { courier: 'porter-demo', reason: 'robot failed mid-delivery (demo)' });
        this.log(`escalate ${d.id.slice(0, 8)} → ${d.ward}: robot failed, a porter carries the doses with a recorded handoff`);
        this.loops.after(this.options.receiveDelayMs, `receive ${d.id.slice(0, 8)}`, () => this.receive(d.id));
      } else if (t && ENDED.includes(d.state)) {
        this.tracked.delete(d.id);
        if (d.state === 'completed' && d.robotId) await this.sendHome(d.robotId);
      }
    }
  }

  private async receive(deliveryId: string): Promise<void> {
    const path = `/api/deliveries/${deliveryId}`;
    const d0 = await this.admin.get<DeliveryView>(path);
    const nurse = this.nurses.get(d0.ward);
    const byPorter = d0.state === 'escalated_manual';
    if (!nurse || !(AT_STATION.includes(d0.state) || byPorter)) return;
    const { session, user } = nurse;
    const opened = new Set(byPorter ? Object.keys(d0.compartments) : d0.unlocks.map((u) => u.compartmentId));
    for (const c of Object.keys(d0.compartments).filter((x) => !opened.has(x))) {
      await session.post(`${path}/unlock`, { compartmentId: c, ...(user.badge ? { badge: user.badge } : {}) });
    }
    const received: string[] = [];
    for (const dose of (await session.get<DeliveryView>(path)).doses ?? []) {
      if (!['arrived', 'escalated_manual'].includes(dose.state) || !dose.gtin || !dose.serial) continue;
      await session.post(`${path}/receipt`, { barcode: unitBarcode(dose.gtin, dose.serial, dose.lot ?? undefined) });
      received.push(dose.id);
    }
    await session.post(`${path}/receipt/complete`);
    this.stats.received++;
    const how = byPorter ? 'took them from the porter' : 'badged in';
    this.log(`receive ${deliveryId.slice(0, 8)} at ${d0.ward}: ${user.username} ${how}, scanned ${received.length} dose(s), closed the receipt`);
    if (received.length) this.loops.after(this.options.administerDelayMs, `administer ${deliveryId.slice(0, 8)}`, () => this.administer(deliveryId, received));
  }

  /** Bedside: wristband and dose scanned; now and then a dose is held with a reason. */
  private async administer(deliveryId: string, doseIds: string[]): Promise<void> {
    const d = await this.admin.get<DeliveryView>(`/api/deliveries/${deliveryId}`);
    const nurse = this.nurses.get(d.ward);
    if (!nurse) return;
    for (const dose of (d.doses ?? []).filter((x) => doseIds.includes(x.id) && x.state === 'received')) {
      const patient = this.seeded.patients.find((p) => p.id === dose.patientId);
      const med = this.seeded.medications.find((m) => m.id === dose.medicationId);
      if (!patient || !med || !dose.gtin || !dose.serial) continue;
      const hold = Math.random() < 0.1;
      // the nurse records what she gave: here, the ordered dose by the ordered route, as a careful nurse would
      const order = hold ? null : await this.admin.get<{ dose: { amount: number; unit: string }; route: string }>(`/api/orders/${dose.orderId}`);
      await nurse.session.post('/api/administrations', {
        wristband: wristbandBarcode(patient.wristbandGsrn),
        dose: unitBarcode(dose.gtin, dose.serial, dose.lot ?? undefined),
        ...(hold || !order
          ? { outcome: 'held', reason: 'patient asleep, dose held for the next round' }
          : { outcome: 'given', given: { amount: order.dose.amount, unit: order.dose.unit, route: order.route } }),
        ...(med.highAlert && !hold ? { witness: this.witness.coSign() } : {}),
      });
      if (hold) this.stats.held++;
      else this.stats.administered++;
      const how = hold ? 'HELD (patient asleep)' : med.highAlert ? `given, witnessed by ${this.witness.username}` : 'given';
      this.log(`bedside ${med.name} for ${patient.name} (${patient.ward} bed ${patient.bed}): five rights passed, ${how}`);
    }
  }

  private async sendHome(robotId: string): Promise<void> {
    await this.admin.post('/api/missions', { stops: [{ nodeId: PHARMACY_DOCK, actions: [] }], priority: 'routine', requiredRobotId: robotId });
  }
}
