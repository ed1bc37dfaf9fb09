/**
 * The one way a dose or a delivery changes state. Each move asserts the domain state machine
 * (libs/domain custody: `doseMachine`, `deliveryMachine`), records its custody event through
 * the ledger and saves the entity, all inside the ledger's transaction; after the COMMIT
 * (and only then) `custody.dose_changed` / `custody.delivery_changed` are announced, once per
 * dose or delivery the committed events name. Callers never emit these events themselves: what
 * is announced is derived from the ledger's committed list, so a refused move, a failed check
 * later in the same transaction or a failed COMMIT announces nothing.
 *
 *   await this.transitions.run(async (w) => {
 *     const dose = (await w.tx.dose(id))!;
 *     await w.moveDose(dose, 'received', { action: 'received', actor, location: ward, ward });
 *   });
 */
import { Injectable } from '@nestjs/common';
import { assertTransition, deliveryMachine, doseMachine, type DeliveryState, type DoseState, type HoldableDoseState } from '#domain';
import type { CustodyEventEntity, CustodyTx, DeliveryEntity, DoseEntity } from '#persistence';
import { EventBus } from '../common/events.js';
import { type Actor, CustodyLedger, type CustodyEventDraft } from './custody-ledger.service.js';

/** How a dose move is recorded. */
export interface DoseMove {
  /** the custody event's action (`picked`, `received`, `quarantined`, …) */
  action: string;
  actor: Actor;
  /** where the dose is after the move (also the event's location) */
  location: string;
  /** the ward the announcement is routed to (the delivery's, the patient's) */
  ward: string | null;
  evidence?: Record<string, unknown>;
}

/** How a delivery move is recorded. */
export interface DeliveryMove {
  /** the custody event's action; `delivery_${to}` unless given */
  action?: string;
  actor: Actor;
  /** where the delivery is (pharmacy, the robot's compartment or the ward, a courier) */
  location: string;
  evidence?: Record<string, unknown>;
}

/** The moves of one transaction, by entity id, for the announcement after COMMIT. */
interface Moved {
  doses: Map<string, { dose: DoseEntity; ward: string | null }>;
  deliveries: Map<string, DeliveryEntity>;
}

/**
 * The write of one custody transaction: the transaction itself (`tx`, for reads and for saving
 * rows that are not doses or deliveries), plain custody records, and the two transition
 * functions.
 */
export class CustodyWrite {
  constructor(
    readonly tx: CustodyTx,
    private readonly recordDraft: (e: CustodyEventDraft) => void,
    private readonly moved: Moved,
  ) {}

  /** A custody event that moves no dose or delivery (an audit, a refusal, an extra item): announced by nothing. */
  record(e: CustodyEventDraft): void {
    this.recordDraft(e);
  }

  /**
   * Moves a dose to `to`: throws the domain's RuleViolationError (`illegal_transition`,
   * `transition_guard_failed`) unless the dose machine permits it, then records the event,
   * sets state, location and update time and saves the dose (set other fields — custodian,
   * delivery, barcode — before calling). Answers the saved dose.
   */
  async moveDose(dose: DoseEntity, to: DoseState, move: DoseMove): Promise<DoseEntity> {
    const heldFrom = dose.heldFrom ? { heldFrom: dose.heldFrom as HoldableDoseState } : undefined;
    assertTransition(doseMachine, dose.state, to, heldFrom);
    return this.placeDose(dose, to, move);
  }

  /**
   * Moves a dose to another place without changing its state (a quarantined dose taken out of
   * the robot into the ward fridge, a dose carried to the bedside): the event names the state
   * as both from and to and `move.location` as the new place. Answers the saved dose.
   */
  relocateDose(dose: DoseEntity, move: DoseMove): Promise<DoseEntity> {
    return this.placeDose(dose, dose.state, move);
  }

  /** Records the dose's event, sets state, place and update time, saves and remembers it for the announcement. */
  private async placeDose(dose: DoseEntity, to: DoseState, move: DoseMove): Promise<DoseEntity> {
    this.recordDraft({
      action: move.action,
      doseId: dose.id,
      orderId: dose.orderId,
      deliveryId: dose.deliveryId,
      fromState: dose.state,
      toState: to,
      actor: move.actor,
      location: move.location,
      ward: move.ward,
      evidence: move.evidence ?? {},
    });
    dose.state = to;
    dose.location = move.location;
    dose.updatedAt = new Date();
    const saved = await this.tx.save(dose);
    this.moved.doses.set(saved.id, { dose: saved, ward: move.ward });
    return saved;
  }

  /**
   * Moves a delivery to `to` (asserting the delivery machine), records `delivery_${to}` (or
   * `move.action`), sets state and update time and saves it (set other fields first).
   */
  async moveDelivery(d: DeliveryEntity, to: DeliveryState, move: DeliveryMove): Promise<DeliveryEntity> {
    assertTransition(deliveryMachine, d.state, to);
    this.recordDraft({
      action: move.action ?? `delivery_${to}`,
      deliveryId: d.id,
      fromState: d.state,
      toState: to,
      actor: move.actor,
      location: move.location,
      ward: d.ward,
      evidence: move.evidence ?? {},
    });
    d.state = to;
    d.updatedAt = new Date();
    return this.savedDelivery(d);
  }

  /** A new delivery, in the machine's initial state. */
  async createDelivery(d: DeliveryEntity, move: DeliveryMove & { action: string }): Promise<DeliveryEntity> {
    d.state = deliveryMachine.initial;
    this.recordDraft({
      action: move.action,
      deliveryId: d.id,
      toState: d.state,
      actor: move.actor,
      location: move.location,
      ward: d.ward,
      evidence: move.evidence ?? {},
    });
    return this.savedDelivery(d);
  }

  /**
   * A recorded change of a delivery that keeps its state (another compartment unlocked):
   * the event names the state as both from and to. Saves the delivery.
   */
  async updateDelivery(d: DeliveryEntity, move: DeliveryMove & { action: string; toState?: string }): Promise<DeliveryEntity> {
    this.recordDraft({
      action: move.action,
      deliveryId: d.id,
      fromState: d.state,
      toState: move.toState ?? d.state,
      actor: move.actor,
      location: move.location,
      ward: d.ward,
      evidence: move.evidence ?? {},
    });
    d.updatedAt = new Date();
    return this.savedDelivery(d);
  }

  private async savedDelivery(d: DeliveryEntity): Promise<DeliveryEntity> {
    const saved = await this.tx.save(d);
    this.moved.deliveries.set(saved.id, saved);
    return saved;
  }
}

@Injectable()
export class CustodyTransitions {
  constructor(
    private readonly ledger: CustodyLedger,
    private readonly bus: EventBus,
  ) {}

  /**
   * Runs `work` in one custody transaction (CustodyLedger.run: serialised, hash-chained, with
   * the request's Idempotency-Key) and announces, after it committed, every dose and delivery
   * its committed events moved — each once, in the order of their first committed event.
   */
  async run<T>(work: (w: CustodyWrite) => Promise<T>): Promise<T> {
    const moved: Moved = { doses: new Map(), deliveries: new Map() };
    const { result, committed } = await this.ledger.runCommitted((tx, record) => work(new CustodyWrite(tx, record, moved)));
    this.announce(committed, moved);
    return result;
  }

  private announce(committed: readonly CustodyEventEntity[], moved: Moved): void {
    const done = new Set<string>();
    for (const e of committed) {
      if (e.doseId) {
        const m = moved.doses.get(e.doseId);
        if (!m || done.has(`dose:${e.doseId}`)) continue;
        done.add(`dose:${e.doseId}`);
        const { dose, ward } = m;
        this.bus.emit('custody.dose_changed', { doseId: dose.id, ward, state: dose.state, patientId: dose.patientId, deliveryId: dose.deliveryId });
      } else if (e.deliveryId) {
        const d = moved.deliveries.get(e.deliveryId);
        if (!d || done.has(`delivery:${e.deliveryId}`)) continue;
        done.add(`delivery:${e.deliveryId}`);
        this.bus.emit('custody.delivery_changed', { deliveryId: d.id, ward: d.ward, state: d.state, robotId: d.robotId });
      }
    }
  }
}
