/**
 * Medication orders (FHIR MedicationRequest) and the pharmacist's verification gate. Nothing
 * is dispensed before verification; verifying creates the order's doses (queued) and its
 * administration slots. Stopping an order cascades: doses still in the pharmacy are cancelled
 * or returned, open slots are voided, and a delivery carrying its doses is recalled.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  NotFoundError,
  RuleViolationError,
  ValidationError,
  administrationMachine,
  assertTransition,
  locationKey,
  orderMachine,
  placeOrPharmacy,
  seesEveryWard,
} from '#domain';
import { AdministrationSlotEntity, CustodyRepository, DoseEntity, MedicationOrderEntity } from '#persistence';
import type { z } from 'zod';
import type { AuthUser } from '../common/auth.decorators.js';
import { EventBus } from '../common/events.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { assertWardAccess, canActOnWard, userActor } from './access.js';
import { CustodyLedger } from './custody-ledger.service.js';
import { CustodyTransitions } from './custody-transitions.js';
import type { CreateOrderSchema } from './custody.dto.js';
import { orderView } from './custody-views.js';
import { type RefusalContext, Refusals } from './refusals.js';

@Injectable()
export class OrdersService {
  constructor(
    private readonly repo: CustodyRepository,
    private readonly ledger: CustodyLedger,
    private readonly transitions: CustodyTransitions,
    private readonly bus: EventBus,
    private readonly refusals: Refusals,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(input: z.infer<typeof CreateOrderSchema>, user: AuthUser) {
    const patient = await this.repo.patient(input.patientId);
    if (!patient) throw new ValidationError(`patientId: unknown patient '${input.patientId}'`, 'patientId');
    const med = await this.repo.medication(input.medicationId);
    if (!med) throw new ValidationError(`medicationId: unknown medication '${input.medicationId}'`, 'medicationId');
    const now = new Date();
    const order = Object.assign(new MedicationOrderEntity(), {
      id: randomUUID(),
      patientId: patient.id,
      medicationId: med.id,
      dose: input.dose,
      route: input.route,
      schedule: input.schedule,
      priority: input.priority,
      status: 'active',
      prescriber: input.prescriber ?? user.username,
      enteredBy: user.username,
      verifiedBy: null,
      verifiedAt: null,
      statusReason: null,
      createdAt: now,
      updatedAt: now,
    } satisfies MedicationOrderEntity);
    await this.ledger.run(async (tx, record) => {
      await tx.save(order);
      record({
        action: 'order_received',
        orderId: order.id,
        toState: 'active',
        actor: userActor(user),
        // the order is written on the ward (the prescriber's); the pharmacy receives it
        location: locationKey.ward(patient.ward),
        ward: patient.ward,
        evidence: { medicationId: med.id, gtin: med.gtin, dose: input.dose, route: input.route },
      });
    });
    return orderView(order);
  }

  /** Nurses see the orders of their wards' patients only. */
  async list(user: AuthUser, status?: string, patientId?: string) {
    const orders = await this.repo.orders({ status, patientId });
    if (seesEveryWard(user)) return orders.map(orderView);
    const wardOf = new Map((await this.repo.patients()).map((p) => [p.id, p.ward]));
    return orders.filter((o) => canActOnWard(user, wardOf.get(o.patientId))).map(orderView);
  }

  async get(id: string, user: AuthUser) {
    const o = await this.repo.order(id);
    if (!o) throw new NotFoundError('Order', id);
    const p = await this.repo.patient(o.patientId);
    assertWardAccess(user, p?.ward);
    return orderView(o);
  }

  /** The pharmacist's verification. Every refusal is a record (Refusals). */
  async verify(id: string, user: AuthUser) {
    return this.refusals.guard(
      () => this.refusalAt(id, user),
      () => this.verifyOrder(id, user),
    );
  }

  /** What a refused verification concerned: the order (and its patient's ward) as far as it exists. */
  private async refusalAt(id: string, user: AuthUser): Promise<RefusalContext> {
    const o = await this.repo.order(id);
    const p = o ? await this.repo.patient(o.patientId) : null;
    return {
      act: 'verification',
      actor: userActor(user),
      location: locationKey.pharmacy(),
      ward: p?.ward ?? null,
      orderId: o?.id ?? null,
      evidence: o ? { orderStatus: o.status } : { orderId: id },
    };
  }

  /**
   * Separation of duties (POLICY_ORDER_SEPARATION_OF_DUTIES, on by default): the user who
   * entered an order may not be the one who verifies it — the verification is the second pair
   * of eyes on the prescription. Orders entered before `enteredBy` was kept are judged by who
   * the chain says received them.
   */
  private async assertNotEnteredBy(o: MedicationOrderEntity, user: AuthUser): Promise<void> {
    if (!this.config.policy.orderSeparationOfDuties) return;
    const enteredBy = o.enteredBy ?? (await this.repo.eventsOfOrder(o.id)).find((e) => e.action === 'order_received')?.actor.id ?? null;
    if (enteredBy !== user.username) return;
    throw new RuleViolationError('you entered this order: another pharmacist must verify it (separation of duties)', 'verifier_entered_order', {
      enteredBy,
      policy: 'POLICY_ORDER_SEPARATION_OF_DUTIES',
    });
  }

  private async verifyOrder(id: string, user: AuthUser) {
    const result = await this.ledger.run(async (tx, record) => {
      const o = await this.require(tx.order(id), id);
      assertTransition(orderMachine, o.status, 'verified');
      await this.assertNotEnteredBy(o, user);
      const ward = (await tx.patient(o.patientId))?.ward ?? null;
      const from = o.status;
      o.status = 'verified';
      o.verifiedBy = user.username;
      o.verifiedAt = new Date();
      o.updatedAt = o.verifiedAt;
      await tx.save(o);
      record({ action: 'order_verified', orderId: o.id, fromState: from, toState: 'verified', actor: userActor(user), location: locationKey.pharmacy(), ward });
      for (const time of o.schedule.times) {
        const slot = Object.assign(new AdministrationSlotEntity(), {
          id: randomUUID(),
          orderId: o.id,
          patientId: o.patientId,
          scheduledAt: new Date(time),
          windowMinutes: o.schedule.windowMinutes,
          state: 'scheduled',
          doseId: null,
          reason: null,
          recordedBy: null,
          recordedAt: null,
          override: null,
          administered: null,
          overrideStatus: null,
          reviewedBy: null,
          reviewedAt: null,
          reviewOutcome: null,
          reviewNote: null,
        } as AdministrationSlotEntity);
        const dose = Object.assign(new DoseEntity(), {
          id: randomUUID(),
          orderId: o.id,
          patientId: o.patientId,
          medicationId: o.medicationId,
          slotId: slot.id,
          state: 'queued',
          heldFrom: null,
          gtin: null,
          lot: null,
          expiry: null,
          serial: null,
          deliveryId: null,
          compartmentId: null,
          location: 'pharmacy',
          custodian: 'pharmacy',
          createdAt: o.verifiedAt,
          updatedAt: o.verifiedAt,
        } satisfies DoseEntity);
        slot.doseId = dose.id;
        await tx.save(slot);
        await tx.save(dose);
        record({
          action: 'dose_queued',
          ward,
          doseId: dose.id,
          orderId: o.id,
          toState: 'queued',
          actor: userActor(user),
          location: 'pharmacy',
          evidence: { slotId: slot.id, scheduledAt: time },
        });
      }
      return o;
    });
    await this.announce(result);
    return orderView(result);
  }

  async reject(id: string, reason: string, user: AuthUser) {
    const o = await this.ledger.run(async (tx, record) => {
      const o = await this.require(tx.order(id), id);
      assertTransition(orderMachine, o.status, 'rejected');
      const ward = (await tx.patient(o.patientId))?.ward ?? null;
      record({
        ward,
        action: 'order_rejected',
        orderId: o.id,
        fromState: o.status,
        toState: 'rejected',
        actor: userActor(user),
        location: locationKey.pharmacy(),
        evidence: { reason },
      });
      o.status = 'rejected';
      o.statusReason = reason;
      o.updatedAt = new Date();
      return tx.save(o);
    });
    await this.announce(o);
    return orderView(o);
  }

  /** Stops an order; returns the ids of deliveries that must be recalled (done by the caller). */
  async stop(id: string, reason: string, user: AuthUser): Promise<{ order: ReturnType<typeof orderView>; recall: string[] }> {
    const { o, recall } = await this.transitions.run(async (w) => {
      const tx = w.tx;
      const o = await this.require(tx.order(id), id);
      assertTransition(orderMachine, o.status, 'stopped');
      const orderWard = (await tx.patient(o.patientId))?.ward ?? null;
      w.record({
        ward: orderWard,
        action: 'order_stopped',
        orderId: o.id,
        fromState: o.status,
        toState: 'stopped',
        actor: userActor(user),
        location: locationKey.pharmacy(),
        evidence: { reason },
      });
      o.status = 'stopped';
      o.statusReason = reason;
      o.updatedAt = new Date();
      await tx.save(o);
      const recall = new Set<string>();
      const ward = (await this.repo.patient(o.patientId))?.ward ?? null;
      for (const d of await tx.dosesOfOrder(o.id)) {
        const to = d.state === 'queued' ? 'cancelled' : d.state === 'picked' || d.state === 'checked' ? 'returned' : null;
        if (to) {
          await w.moveDose(d, to, {
            action: to === 'cancelled' ? 'dose_cancelled' : 'returned',
            actor: userActor(user),
            location: placeOrPharmacy(d.location),
            ward,
            evidence: { reason: 'order stopped' },
          });
        } else if (d.deliveryId && ['loaded', 'in_transit', 'arrived'].includes(d.state)) {
          recall.add(d.deliveryId);
        }
      }
      for (const s of await tx.slotsOfOrder(o.id)) {
        if (s.state === 'scheduled' || s.state === 'due') {
          assertTransition(administrationMachine, s.state, 'voided');
          s.state = 'voided';
          s.reason = 'order stopped';
          await tx.save(s);
        }
      }
      return { o, recall: [...recall] };
    });
    await this.announce(o);
    return { order: orderView(o), recall };
  }

  private async announce(o: MedicationOrderEntity): Promise<void> {
    const ward = (await this.repo.patient(o.patientId))?.ward;
    if (ward) this.bus.emit('custody.order_changed', { orderId: o.id, status: o.status, ward });
  }

  private async require<T>(p: Promise<T | null>, id: string): Promise<T> {
    const v = await p;
    if (!v) throw new NotFoundError('Order', id);
    return v;
  }
}
