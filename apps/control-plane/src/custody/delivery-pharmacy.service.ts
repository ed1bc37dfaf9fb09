/**
 * The pharmacy side of a delivery: build it by scanning the GS1 codes of the picked doses
 * (expired, wrong-drug, unverified-order or robot-barred units refused, each with a specific
 * error), check it (an independent second pharmacist for high-alert drugs), load the doses
 * into a robot's locked compartments, and dispatch it as a fleet mission to the ward station
 * with a wait-for-recipient step. Also the exception paths the pharmacy drives: escalate to a
 * human courier. Every dose and delivery move goes through CustodyTransitions, which also
 * announces it after commit.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  ConflictError,
  NotFoundError,
  RuleViolationError,
  ValidationError,
  assertNotExpired,
  assertOrderVerified,
  assertRobotTransportAllowed,
  isRobotTransportAllowed,
  assertTransition,
  assertWitness,
  canTransition,
  type CompartmentRequest,
  deliveryMachine,
  doseMachine,
  locationKey,
  parseGs1Barcode,
} from '#domain';
import type { z } from 'zod';
import { CustodyRepository, type CustodyTx, DeliveryEntity, DevicesRepository } from '#persistence';
import type { AuthUser } from '../common/auth.decorators.js';
import { WitnessVerifier, witnessEvidence, witnessSignature } from '../auth/witness-verifier.service.js';
import type { WitnessCredentials } from '../auth/witness.dto.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { MissionsService } from '../fleet/missions.service.js';
import { MissionProgress } from '../fleet/mission-progress.js';
import { SiteService } from '../site/site.service.js';
import { canActOnWard, PHARMACY_DOCK_KIND, userActor } from './access.js';
import type { PickSchema } from './custody.dto.js';
import { CustodyTransitions } from './custody-transitions.js';
import { identificationEvidence } from './manual-entry.js';
import { deliveryView, readDelivery } from './custody-views.js';
import { type RefusalContext, Refusals } from './refusals.js';
import { RobotLoadingGate } from './robot-loading-gate.js';
import { StorageDirectory } from './storages.js';

/** The unit picked: scanned, or keyed from its label with a reason (PickSchema: exactly one). */
type PickedUnit = Pick<z.infer<typeof PickSchema>, 'barcode' | 'manual'>;

@Injectable()
export class DeliveryPharmacyService {
  constructor(
    private readonly repo: CustodyRepository,
    private readonly devices: DevicesRepository,
    private readonly transitions: CustodyTransitions,
    private readonly site: SiteService,
    private readonly missions: MissionsService,
    private readonly dispatcher: MissionProgress,
    private readonly witnesses: WitnessVerifier,
    private readonly robotGate: RobotLoadingGate,
    private readonly storages: StorageDirectory,
    private readonly refusals: Refusals,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  async create(ward: string, stationNodeId: string | undefined, user: AuthUser) {
    const station = stationNodeId ?? this.site.graph.nodesOfKind('ward_station', ward)[0]?.id;
    if (!station) throw new ValidationError(`ward: no ward station known for ward '${ward}'`, 'ward');
    if (!this.site.graph.hasNode(station)) throw new ValidationError(`stationNodeId: unknown node '${station}'`, 'stationNodeId');
    const now = new Date();
    const d = Object.assign(new DeliveryEntity(), {
      id: randomUUID(),
      ward,
      stationNodeId: station,
      state: 'building',
      robotId: null,
      missionId: null,
      compartments: {},
      unlocks: [],
      createdBy: user.username,
      courier: null,
      dispatchedAt: null,
      arrivedAt: null,
      createdAt: now,
      updatedAt: now,
    } satisfies DeliveryEntity);
    await this.transitions.run((w) =>
      w.createDelivery(d, { action: 'delivery_created', actor: userActor(user), location: 'pharmacy', evidence: { ward, stationNodeId: station } }),
    );
    return deliveryView(d, []);
  }

  /** A nurse reads only her wards' deliveries (their doses name patients). */
  async get(id: string, user?: AuthUser) {
    return readDelivery(this.repo, id, user);
  }

  async list(ward?: string, state?: string, user?: AuthUser) {
    return (await this.repo.deliveries({ ward, state })).filter((d) => !user || canActOnWard(user, d.ward)).map((d) => deliveryView(d));
  }

  /**
   * Scans one picked unit for an order into the delivery, or takes its GS1 data keyed from the
   * label (`manual`, with a reason): the same checks either way. Every refusal is a record (Refusals).
   */
  async pick(deliveryId: string, orderId: string, unit: PickedUnit, user: AuthUser, storageId?: string) {
    const identified = unit.manual
      ? { manual: { gtin: unit.manual.gtin, lot: unit.manual.lot ?? null, expiry: unit.manual.expiry ?? null, serial: unit.manual.serial ?? null } }
      : { barcode: (unit.barcode ?? '').slice(0, 200) };
    await this.refusals.guard(
      () =>
        this.refusalAt('pick', deliveryId, user, {
          orderId,
          evidence: { ...identified, ...identificationEvidence(unit.manual, ['barcode']), ...(storageId ? { storageId } : {}) },
        }),
      () => this.pickUnit(deliveryId, orderId, unit, user, storageId),
    );
    if (unit.manual) this.metrics.manualEntries.inc({ step: 'pick', reason: unit.manual.reason });
    return this.get(deliveryId);
  }

  /**
   * What a refused pharmacy act concerned, as far as it exists: the delivery (and its ward),
   * the order named, the delivery's doses still in the pharmacy's hands. Ids the request named
   * that match nothing are kept as evidence, not as references.
   */
  private async refusalAt(
    act: 'pick' | 'check' | 'load' | 'dispatch' | 'courier_handoff',
    deliveryId: string,
    user: AuthUser,
    extra: { orderId?: string; evidence?: Record<string, unknown> } = {},
  ): Promise<RefusalContext> {
    const d = await this.repo.delivery(deliveryId);
    const order = extra.orderId ? await this.repo.order(extra.orderId) : null;
    const doses = d && act !== 'pick' ? (await this.repo.dosesOfDelivery(d.id)).filter((x) => ['picked', 'checked', 'loaded'].includes(x.state)) : [];
    return {
      act,
      actor: userActor(user),
      location: locationKey.pharmacy(),
      ward: d?.ward ?? null,
      deliveryId: d?.id ?? null,
      orderId: order?.id ?? null,
      // a refusal about one dose is found by that dose
      doseId: doses.length === 1 ? doses[0]!.id : null,
      evidence: {
        ...(d ? {} : { deliveryId }),
        ...(extra.orderId && !order ? { orderId: extra.orderId } : {}),
        ...(doses.length ? { doseIds: doses.map((x) => x.id) } : {}),
        ...(d ? { deliveryState: d.state } : {}),
        ...extra.evidence,
      },
    };
  }

  /**
   * The unit's source is on its custody record: a refrigerated drug is taken from a named
   * pharmacy fridge (its stay there, open at the start, is the first interval of its location
   * history, so an excursion of that fridge before the pick still finds it); anything else
   * from the pharmacy's shelves unless a fridge is named.
   */
  private async pickUnit(deliveryId: string, orderId: string, unit: PickedUnit, user: AuthUser, storageId?: string) {
    // keyed from the label, the unit is what a scan of it would have read
    const scan: { gtin?: string; lot?: string; expiry?: string; serial?: string } = unit.manual
      ? Object.fromEntries(
          Object.entries({ gtin: unit.manual.gtin, lot: unit.manual.lot, expiry: unit.manual.expiry, serial: unit.manual.serial }).filter(([, v]) => v),
        )
      : parseGs1Barcode(unit.barcode ?? '');
    if (!scan.gtin) throw new ValidationError('barcode: no GTIN (AI 01) in the scanned code', 'barcode');
    return this.transitions.run(async (w) => {
      const tx = w.tx;
      const d = await this.delivery(tx, deliveryId);
      if (d.state !== 'building')
        throw new ConflictError(`delivery is ${d.state}; doses are picked while it is building`, 'delivery_not_building', { state: d.state });
      const order = await tx.order(orderId);
      if (!order) throw new ValidationError(`orderId: unknown order '${orderId}'`, 'orderId');
      const med = (await this.repo.medication(order.medicationId))!;
      const patient = (await this.repo.patient(order.patientId))!;
      assertOrderVerified(order.status, order.id);
      if (scan.gtin !== med.gtin)
        throw new RuleViolationError(`wrong drug: scanned GTIN ${scan.gtin} but the order is for ${med.name} (${med.gtin})`, 'wrong_drug', {
          field: 'barcode',
          scanned: scan.gtin,
          ordered: med.gtin,
        });
      if (!scan.expiry) throw new RuleViolationError('the scanned unit carries no expiry date (AI 17)', 'expiry_missing', { field: 'barcode' });
      assertNotExpired(scan.expiry, new Date());
      if (patient.ward !== d.ward)
        throw new RuleViolationError(`the order is for a patient on ward ${patient.ward}, this delivery goes to ${d.ward}`, 'wrong_ward', { field: 'orderId' });
      const doses = await tx.dosesOfOrder(order.id);
      if (scan.serial && doses.some((x) => x.serial === scan.serial && x.gtin === scan.gtin)) {
        throw new ConflictError(`unit ${scan.gtin}/${scan.serial} was already picked`, 'unit_already_picked', { field: 'barcode' });
      }
      const next = doses.find((x) => x.state === 'queued');
      if (!next) throw new ConflictError('every dose of this order is already picked', 'nothing_to_pick', { field: 'orderId' });
      const source = med.refrigerated || storageId ? await this.storages.fridgeFor(null, storageId, 'storageId') : null;
      Object.assign(next, { deliveryId: d.id, gtin: scan.gtin, lot: scan.lot ?? null, expiry: scan.expiry, serial: scan.serial ?? null });
      if (source)
        await w.relocateDose(next, {
          action: 'taken_from_storage',
          actor: userActor(user),
          location: source.location,
          ward: d.ward,
          evidence: { inStock: true, storageId: source.id, storage: source.name, coldChain: this.storages.coldChainStatus(source.id) },
        });
      return w.moveDose(next, 'picked', {
        action: 'picked',
        actor: userActor(user),
        location: locationKey.pharmacy(),
        ward: d.ward,
        evidence: {
          barcode: { gtin: scan.gtin, lot: scan.lot ?? null, expiry: scan.expiry, serial: scan.serial ?? null },
          ...identificationEvidence(unit.manual, ['barcode']),
          ...(source ? { source: source.location } : {}),
        },
      });
    });
  }

  /**
   * The pharmacist's check of every picked dose; high-alert drugs need a second pharmacist,
   * who co-signs with their own badge + PIN or password in this request (`address`: where it
   * came from, for the credential throttle).
   */
  async check(deliveryId: string, witness: WitnessCredentials | undefined, user: AuthUser, address?: string) {
    return this.refusals.guard(
      () => this.refusalAt('check', deliveryId, user),
      () => this.checkDoses(deliveryId, witness, user, address),
    );
  }

  private async checkDoses(deliveryId: string, credentials: WitnessCredentials | undefined, user: AuthUser, address?: string) {
    const witness = credentials ? await this.witnesses.verify(credentials, { action: 'dispense_check', actor: user, ward: null, address }) : null;
    await this.transitions.run(async (w) => {
      const d = await this.delivery(w.tx, deliveryId);
      const doses = (await w.tx.dosesOfDelivery(d.id)).filter((x) => x.state === 'picked');
      if (doses.length === 0) throw new ConflictError('no picked doses to check', 'nothing_to_check');
      for (const dose of doses) {
        const med = (await this.repo.medication(dose.medicationId))!;
        assertWitness({
          medication: med,
          action: 'dispense_check',
          actor: { userId: user.username },
          ...(witness ? { witness: witnessSignature(witness) } : {}),
        });
        await w.moveDose(dose, 'checked', {
          action: 'checked',
          actor: userActor(user),
          location: 'pharmacy',
          ward: d.ward,
          evidence: { ...(witness && med.highAlert ? witnessEvidence(witness) : {}) },
        });
      }
    });
    return this.get(deliveryId);
  }

  /**
   * Seals checked doses into the robot's locked compartments. The robot's own report decides,
   * not the request: it must be online at the pharmacy dock, able to run a delivery's actions,
   * and report each compartment as empty, held by no other delivery still aboard, and
   * refrigerated for a 2–8 °C dose (RobotLoadingGate, each refusal with its own code).
   */
  async load(deliveryId: string, robotId: string, compartments: Record<string, string[]>, user: AuthUser) {
    return this.refusals.guard(
      () => this.refusalAt('load', deliveryId, user, { evidence: { robotId, compartments } }),
      () => this.loadDoses(deliveryId, robotId, compartments, user),
    );
  }

  private async loadDoses(deliveryId: string, robotId: string, compartments: Record<string, string[]>, user: AuthUser) {
    const robot = await this.devices.findById(robotId);
    if (!robot || robot.kind !== 'robot' || robot.revokedAt) throw new ValidationError(`robotId: unknown robot '${robotId}'`, 'robotId');
    await this.transitions.run(async (w) => {
      const tx = w.tx;
      const d = await this.delivery(tx, deliveryId);
      assertTransition(deliveryMachine, d.state, 'loaded');
      const all = await tx.dosesOfDelivery(d.id);
      const listed = Object.values(compartments).flat();
      if (new Set(listed).size !== listed.length) throw new ValidationError('compartments: a dose is listed twice', 'compartments');
      const checked = all.filter((x) => x.state === 'checked');
      const missing = checked.filter((x) => !listed.includes(x.id));
      if (missing.length) throw new ValidationError(`compartments: checked dose ${missing[0]!.id} is not assigned a compartment`, 'compartments');
      for (const [compartmentId, ids] of Object.entries(compartments)) {
        for (const id of ids) {
          const dose = all.find((x) => x.id === id);
          if (!dose) throw new ValidationError(`compartments.${compartmentId}: dose ${id} is not in this delivery`, `compartments.${compartmentId}`);
          if (dose.state !== 'checked')
            throw new RuleViolationError(`dose ${id} is ${dose.state}; only checked doses are loaded`, 'dose_not_checked', {
              field: `compartments.${compartmentId}`,
            });
        }
      }
      const requests: CompartmentRequest[] = [];
      for (const [compartmentId, ids] of Object.entries(compartments)) {
        const meds = await Promise.all(ids.map((id) => this.repo.medication(all.find((x) => x.id === id)!.medicationId)));
        // a dose boards a robot here, so here the drug's and the site's transport policy decide
        // (a barred drug is picked and checked like any other, and goes by courier: escalate)
        for (const m of meds) {
          if (!m) throw new ConflictError(`a dose in compartment ${compartmentId} names no medication of the formulary`, 'medication_unknown');
          assertRobotTransportAllowed(
            { id: m.id, name: m.name, controlled: m.controlled, robotTransportAllowed: m.robotTransportAllowed },
            { controlledRobotTransport: this.config.policy.controlledRobotTransport },
          );
        }
        requests.push({ compartmentId, refrigerated: meds.some((m) => m?.refrigerated === true) });
      }
      const robotChecked = await this.robotGate.assertLoadable(tx, robotId, d.id, requests);
      for (const [compartmentId, ids] of Object.entries(compartments)) {
        for (const id of ids) {
          const dose = all.find((x) => x.id === id)!;
          dose.compartmentId = compartmentId;
          // the compartment's refrigeration as the robot reports it: the dose's cold chain reads it
          const refrigerated = robotChecked.compartments.find((c) => c.compartmentId === compartmentId)?.refrigerated === true;
          await w.moveDose(dose, 'loaded', {
            action: 'loaded',
            actor: userActor(user),
            location: locationKey.robotCompartment(robotId, compartmentId),
            ward: d.ward,
            evidence: { robotId, compartmentId, sealed: true, refrigerated },
          });
        }
      }
      Object.assign(d, { robotId, compartments });
      return w.moveDelivery(d, 'loaded', { action: 'delivery_loaded', actor: userActor(user), location: 'pharmacy', evidence: { robotId, compartments } });
    });
    return this.get(deliveryId);
  }

  /**
   * Sends the robot: a fleet mission from the pharmacy dock to the ward station, where it waits
   * for a nurse. What may have changed since loading is checked again (the robot still online,
   * at the dock, able to run the delivery's actions). The doses stay `loaded` — sealed, at the
   * dock — until the robot actually departs (DeliveryTrackingService moves them in transit); a
   * robot that refuses the order leaves them in the pharmacy's custody, not on the road.
   */
  async dispatch(deliveryId: string, user: AuthUser) {
    return this.refusals.guard(
      () => this.refusalAt('dispatch', deliveryId, user),
      () => this.dispatchRobot(deliveryId, user),
    );
  }

  private async dispatchRobot(deliveryId: string, user: AuthUser) {
    const d0 = await this.repo.delivery(deliveryId);
    if (!d0) throw new NotFoundError('Delivery', deliveryId);
    assertTransition(deliveryMachine, d0.state, 'dispatched');
    this.robotGate.assertCanTakeDelivery(d0.robotId!);
    const dock = this.site.graph.nodesOfKind(PHARMACY_DOCK_KIND)[0]?.id;
    const stops = [
      ...(dock ? [{ nodeId: dock, actions: [] }] : []),
      { nodeId: d0.stationNodeId, actions: [{ kind: 'waitForRecipient' as const, parameters: { recipientId: `ward:${d0.ward}` } }] },
    ];
    const mission = await this.missions.create({ stops, priority: 'urgent', requiredRobotId: d0.robotId!, cargo: { deliveryId: d0.id, ward: d0.ward } }, user);
    await this.transitions.run(async (w) => {
      const d = await this.delivery(w.tx, deliveryId);
      assertTransition(deliveryMachine, d.state, 'dispatched');
      const evidence = { missionId: mission.id, robotId: d.robotId };
      Object.assign(d, { missionId: mission.id, dispatchedAt: new Date() });
      return w.moveDelivery(d, 'dispatched', { action: 'delivery_dispatched', actor: userActor(user), location: 'pharmacy', evidence });
    });
    return this.get(deliveryId);
  }

  /** Robot failure: a named human courier takes custody of every dose aboard, explicitly. */
  /**
   * A named human courier takes custody of every dose: of a robot that failed (doses aboard), or
   * of a delivery still being built whose doses may not ride a robot (a controlled drug under the
   * site's policy) — then every picked dose must have been checked first.
   */
  async escalate(deliveryId: string, courier: string, reason: string, user: AuthUser) {
    return this.refusals.guard(
      () => this.refusalAt('courier_handoff', deliveryId, user, { evidence: { courier, reason } }),
      () => this.handToCourier(deliveryId, courier, reason, user),
    );
  }

  private async handToCourier(deliveryId: string, courier: string, reason: string, user: AuthUser) {
    const d = await this.transitions.run(async (w) => {
      const d = await this.delivery(w.tx, deliveryId);
      assertTransition(deliveryMachine, d.state, 'escalated_manual');
      if (d.state === 'building') {
        const doses = await w.tx.dosesOfDelivery(d.id);
        const unchecked = doses.filter((x) => x.state === 'picked');
        if (unchecked.length)
          throw new ConflictError(`${unchecked.length} picked dose(s) are not checked yet: check them before a courier takes them`, 'doses_not_checked', {
            doseIds: unchecked.map((x) => x.id),
          });
        if (!doses.some((x) => x.state === 'checked')) throw new ConflictError('no checked dose to hand over', 'nothing_to_hand_over');
        // the robot's locked compartments and the nurse's unlock are the safer path: a courier
        // takes from the pharmacy only what may not ride a robot
        const site = { controlledRobotTransport: this.config.policy.controlledRobotTransport };
        const meds = await this.repo.medicationsByIds([...new Set(doses.map((x) => x.medicationId))]);
        if (meds.every((m) => isRobotTransportAllowed(m, site)))
          throw new RuleViolationError('every dose of this delivery may ride a robot: load it; a courier takes only what may not', 'robot_transport_allowed');
      }
      for (const dose of await w.tx.dosesOfDelivery(d.id)) {
        if (!canTransition(doseMachine, dose.state, 'escalated_manual')) continue;
        dose.custodian = courier;
        await w.moveDose(dose, 'escalated_manual', {
          action: 'courier_handoff',
          actor: userActor(user),
          location: `courier:${courier}`,
          ward: d.ward,
          evidence: { courier, reason, from: d.robotId ? `robot:${d.robotId}` : locationKey.pharmacy() },
        });
      }
      d.courier = courier;
      return w.moveDelivery(d, 'escalated_manual', {
        action: 'delivery_escalated',
        actor: userActor(user),
        location: locationKey.courier(courier),
        evidence: { courier, reason },
      });
    });
    if (d.missionId) await this.dispatcher.cancel(d.missionId, user.username).catch(() => undefined);
    return this.get(deliveryId);
  }

  private async delivery(tx: CustodyTx, id: string): Promise<DeliveryEntity> {
    const d = await tx.delivery(id);
    if (!d) throw new NotFoundError('Delivery', id);
    return d;
  }
}
