/**
 * The ward side of a delivery. Only a nurse assigned to the destination ward may open it,
 * authenticated by her nurse-station session or by badge GSRN + PIN at the robot; the server
 * then unlocks exactly that compartment and answers only once the robot reports it unlocked
 * (or refuses, or stays silent: then the nurse is told so). Each dose is scanned on receipt,
 * never out of a compartment the robot reports locked; a missing or extra unit opens a
 * receipt discrepancy. Closing the receipt locks the compartment and releases
 * the robot from its wait. Refusals are audited.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type Action, MEDLOOP_ACTION_TYPES, lockCompartmentAction, readCompartments, triggerAction, unlockCompartmentAction } from '#contracts';
import {
  ConflictError,
  DeviceTimeoutError,
  ForbiddenError,
  NotFoundError,
  RuleViolationError,
  UnavailableError,
  ValidationError,
  locationKey,
  placeOrPharmacy,
  parseGs1Barcode,
  parseLocation,
} from '#domain';
import { CustodyRepository, type DeliveryEntity, type DoseEntity } from '#persistence';
import type { z } from 'zod';
import { WitnessVerifier } from '../auth/witness-verifier.service.js';
import type { AuthUser } from '../common/auth.decorators.js';
import { AlarmsService } from '../alarms/alarms.service.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { type RobotAddress, RobotCommandsService } from '../fleet/robot-commands.service.js';
import { RobotStateService } from '../fleet/robot-state.service.js';
import { assertWardAccess, userActor } from './access.js';
import { CustodyLedger } from './custody-ledger.service.js';
import type { ReceiptScanSchema } from './custody.dto.js';
import { CustodyTransitions } from './custody-transitions.js';
import { identificationEvidence } from './manual-entry.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { readDelivery } from './custody-views.js';
import { DeliveryTrackingService } from './delivery-tracking.service.js';
import { isRecordedRefusal, type RefusalContext, Refusals } from './refusals.js';
import { StorageDirectory } from './storages.js';

/** The unit received: scanned, or chosen from the delivery's doses with a reason (ReceiptScanSchema: exactly one). */
type ReceivedUnit = Pick<z.infer<typeof ReceiptScanSchema>, 'barcode' | 'manual'>;

@Injectable()
export class DeliveryWardService {
  constructor(
    private readonly repo: CustodyRepository,
    private readonly credentials: WitnessVerifier,
    private readonly ledger: CustodyLedger,
    private readonly transitions: CustodyTransitions,
    private readonly commands: RobotCommandsService,
    private readonly robots: RobotStateService,
    private readonly alarms: AlarmsService,
    private readonly tracking: DeliveryTrackingService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly storages: StorageDirectory,
    private readonly refusals: Refusals,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Resolves who is unlocking: the session user, or the holder of the presented badge + PIN
   * (throttled per badge and source address like every sign-in: `badge_locked` once locked).
   */
  private async unlocker(session: AuthUser, badge: { gsrn: string; pin: string } | undefined, address?: string): Promise<AuthUser> {
    if (!badge) return session;
    return this.credentials.badgeHolder(badge, address);
  }

  async unlock(deliveryId: string, compartmentId: string, badge: { gsrn: string; pin: string } | undefined, session: AuthUser, address?: string) {
    const d0 = await this.require(deliveryId);
    let user: AuthUser = session;
    try {
      user = await this.unlocker(session, badge, address);
      if (user.role !== 'nurse' && user.role !== 'admin')
        throw new ForbiddenError('only a nurse of the destination ward may open a delivery', 'role_forbidden');
      assertWardAccess(user, d0.ward);
      if (!d0.compartments[compartmentId])
        throw new ValidationError(`compartmentId: compartment '${compartmentId}' carries nothing of this delivery`, 'compartmentId');
      if (d0.state !== 'arrived' && d0.state !== 'unlocked')
        throw new ConflictError(`the delivery is ${d0.state}; it can be opened once the robot has arrived`, 'delivery_not_arrived', { state: d0.state });
    } catch (err) {
      if (isRecordedRefusal(err))
        await this.refusals.record(
          this.refusalAt('unlock', d0, user, compartmentId, { via: badge ? 'badge' : 'session', badge: badge ? badge.gsrn : null }),
          err,
        );
      throw err;
    }
    const robot = this.reachableRobot(d0);
    if (!robot) {
      // nothing sent, nothing written: a plain 503 the client may retry (the robot may be back)
      throw new UnavailableError(
        `robot ${d0.robotId ?? '(none)'} is not connected or has not reported its state: compartment ${compartmentId} was not unlocked`,
        'robot_unreachable',
        { robotId: d0.robotId, compartmentId },
      );
    }
    const actionId = `unlock-${randomUUID()}`;
    const via = badge ? 'badge' : 'session';
    // the authorised unlock is on record, and known to the tamper check, before the robot gets
    // the command: its UNLOCKED must never be taken for a break-in
    await this.audit(d0, 'unlock_requested', user, { compartmentId, robotId: d0.robotId, actionId, via });
    const timeoutMs = this.config.custody.unlockConfirmTimeoutMs;
    // a robot that obeys later than twice the wait is treated as forced open
    this.tracking.authorise(d0, compartmentId, Date.now() + 2 * timeoutMs);
    const outcome = await this.commands.sendInstantActionsAndAwait(robot, [unlockCompartmentAction({ actionId, compartmentId, recipientId: user.username })], {
      timeoutMs,
      confirmed: (s) => readCompartments(s).some((c) => c.compartmentId === compartmentId && (c.lock === 'UNLOCKED' || c.door === 'OPEN')),
    });
    if (outcome.kind === 'refused') {
      // the robot will not act on this command: the compartment is guarded again
      this.tracking.withdraw(d0, compartmentId);
      await this.recordUnlockFailure(d0, compartmentId, user, 'robot_refused', `${outcome.errorType}: ${outcome.description}`, actionId);
      throw new ConflictError(`robot refused to unlock compartment ${compartmentId}: ${outcome.description} (${outcome.errorType})`, 'robot_refused', {
        compartmentId,
        robotId: d0.robotId,
        actionId,
        errorType: outcome.errorType,
        robotDescription: outcome.description,
      });
    }
    if (outcome.kind === 'timeout') {
      // the authorisation stays a while: the robot may still obey late, and that is not a
      // break-in (nor a confirmed unlock: the delivery stays as it is until a nurse asks again)
      await this.recordUnlockFailure(d0, compartmentId, user, 'unlock_not_confirmed', null, actionId);
      throw new DeviceTimeoutError(
        `robot did not confirm the unlock of compartment ${compartmentId} within ${timeoutMs / 1000} s: it is not reported unlocked; try again or call for help`,
        'unlock_not_confirmed',
        { compartmentId, robotId: d0.robotId, actionId, timeoutMs },
      );
    }
    const d = await this.transitions
      .run(async (w) => {
        const d = (await w.tx.delivery(deliveryId))!;
        if (d.state !== 'arrived' && d.state !== 'unlocked')
          throw new ConflictError(`the delivery is ${d.state}; it can be opened once the robot has arrived`, 'delivery_not_arrived', { state: d.state });
        d.unlocks = [...d.unlocks, { compartmentId, by: user.username, at: new Date().toISOString() }];
        const move = {
          action: 'compartment_unlocked',
          actor: userActor(user),
          location: this.compartmentPlace(d, compartmentId),
          evidence: { compartmentId, robotId: d.robotId, via, doses: d.compartments[compartmentId], actionId, confirmedBy: 'robot_state' },
        };
        // the first unlock moves the delivery; each further one is recorded on it as it stands
        return d.state === 'arrived' ? w.moveDelivery(d, 'unlocked', move) : w.updateDelivery(d, { ...move, toState: 'unlocked' });
      })
      .catch(async (err: unknown) => {
        // the robot opened but the unlock could not go on record (the delivery changed meanwhile,
        // the database refused): lock it again; if that fails too, the tamper check takes over
        // once the authorisation runs out
        await this.sendToRobot(d0, [lockCompartmentAction({ actionId: `lock-${randomUUID()}`, compartmentId })]).catch(() => undefined);
        await this.recordUnlockFailure(d0, compartmentId, user, 'not_recorded', err instanceof Error ? err.message : String(err), actionId).catch(
          () => undefined,
        );
        throw err;
      });
    this.tracking.track(d);
    return readDelivery(this.repo, deliveryId);
  }

  /**
   * The compartment of the scanned dose when the robot carrying it reports that compartment
   * LOCKED right now: the device's word beats our record of an unlock.
   */
  private async reportedLockedCompartment(d: DeliveryEntity, identifies: (x: DoseEntity) => boolean): Promise<string | undefined> {
    if (d.state !== 'unlocked' || !d.robotId || d.courier !== null) return undefined;
    const state = this.robots.get(d.robotId)?.state;
    if (!state) return undefined;
    const dose = (await this.repo.dosesOfDelivery(d.id)).find((x) => identifies(x) && x.state === 'arrived');
    const compartmentId = dose?.compartmentId;
    if (!compartmentId) return undefined;
    return readCompartments(state).find((c) => c.compartmentId === compartmentId)?.lock === 'LOCKED' ? compartmentId : undefined;
  }

  /** The robot of a robot delivery, if it is online and has reported a state to judge the unlock by. */
  private reachableRobot(d: DeliveryEntity): RobotAddress | undefined {
    const r = d.robotId && d.courier === null ? this.robots.get(d.robotId) : undefined;
    if (!r || r.connection !== 'ONLINE' || !r.state) return undefined;
    return { deviceId: r.deviceId, interfaceName: r.interfaceName, manufacturer: r.manufacturer, serialNumber: r.serialNumber };
  }

  /** An unlock that did not happen, on the custody record; the second one of a compartment raises an alarm. */
  private async recordUnlockFailure(
    d: DeliveryEntity,
    compartmentId: string,
    user: AuthUser,
    reason: 'robot_refused' | 'unlock_not_confirmed' | 'not_recorded',
    robotText: string | null,
    actionId?: string,
  ): Promise<void> {
    await this.audit(d, 'unlock_failed', user, { compartmentId, robotId: d.robotId, reason, robotText, ...(actionId ? { actionId } : {}) });
    const failures = (await this.repo.eventsOfDelivery(d.id)).filter(
      (e) => e.action === 'unlock_failed' && (e.evidence as { compartmentId?: unknown })['compartmentId'] === compartmentId,
    ).length;
    if (failures < 2) return;
    await this.alarms.raise({
      type: 'custody.unlock_failed',
      subject: `${d.id}:${compartmentId}`,
      ward: d.ward,
      sourceKind: 'delivery',
      sourceId: d.id,
      params: { deliveryId: d.id, robotId: d.robotId ?? '', compartmentId, failures, reason, robotText },
    });
  }

  /**
   * One receipt scan (or a dose chosen from the delivery's list, `manual`, with a reason: the
   * same checks, only the identification differs) puts the dose in a named place on the ward: a
   * refrigerated drug (or any dose the nurse names a fridge for) into a fridge of the ward, the
   * ward's only one when none is named; anything else into the ward's medication room. A dose
   * quarantined on the way is taken out all the same (it must not ride back with the robot) and
   * stays quarantined.
   */
  async receive(deliveryId: string, unit: ReceivedUnit, user: AuthUser, storageId?: string) {
    const d0 = await this.require(deliveryId);
    const result = await this.refusals.guard(
      async () => {
        // a refusal about one scanned (or chosen) unit is found by that dose
        const scan = unit.manual ? null : safeScan(unit.barcode ?? '');
        const doses = unit.manual
          ? (await this.repo.dosesOfDelivery(d0.id)).filter((x) => x.id === unit.manual!.doseId)
          : scan?.gtin
            ? (await this.repo.dosesOfDelivery(d0.id)).filter((x) => x.gtin === scan.gtin && (!scan.serial || x.serial === scan.serial))
            : [];
        const dose = doses.length === 1 ? doses[0]! : null;
        return {
          ...this.refusalAt('receipt', d0, user, dose?.compartmentId ?? null, {
            ...(unit.manual ? { doseId: unit.manual.doseId } : { barcode: (unit.barcode ?? '').slice(0, 200) }),
            ...identificationEvidence(unit.manual, ['barcode']),
            ...(storageId ? { storageId } : {}),
          }),
          doseId: dose?.id ?? null,
          orderId: dose?.orderId ?? null,
        };
      },
      () => this.receiveUnit(d0, unit, user, storageId),
    );
    if (unit.manual) this.metrics.manualEntries.inc({ step: 'receipt', reason: unit.manual.reason });
    return result;
  }

  private async receiveUnit(d0: DeliveryEntity, unit: ReceivedUnit, user: AuthUser, storageId?: string) {
    const deliveryId = d0.id;
    assertWardAccess(user, d0.ward);
    const manual = unit.manual;
    const scan = manual ? null : parseGs1Barcode(unit.barcode ?? '');
    const field = manual ? 'manual.doseId' : 'barcode';
    // the unit in hand: the dose chosen by id, or the one whose GS1 data the scan read
    const identifies = (x: DoseEntity) =>
      manual ? x.id === manual.doseId : x.gtin === scan!.gtin && (scan!.serial ? x.serial === scan!.serial : x.lot === scan!.lot);
    const locked = await this.reportedLockedCompartment(d0, identifies);
    if (locked) {
      throw new ConflictError(
        `robot ${d0.robotId} reports compartment ${locked} LOCKED: this dose cannot have been taken out of it; unlock it first`,
        'compartment_locked',
        { compartmentId: locked, robotId: d0.robotId, field },
      );
    }
    // a chosen dose that is not one of this delivery's (or not in an opened compartment) is an
    // extra item exactly as a scanned one is; what it was, as far as any dose of that id says
    const chosen = manual ? await this.repo.dose(manual.doseId) : null;
    const shown = manual ? { gtin: chosen?.gtin ?? undefined, lot: chosen?.lot ?? undefined, serial: chosen?.serial ?? undefined } : scan!;
    const identification = identificationEvidence(manual, ['barcode']);
    const result = await this.transitions.run(async (w) => {
      const d = (await w.tx.delivery(deliveryId))!;
      if (d.state !== 'unlocked' && d.state !== 'escalated_manual')
        throw new ConflictError(`the delivery is ${d.state}; unlock a compartment first`, 'delivery_not_unlocked');
      if (d.state === 'escalated_manual') await this.assertIndependentReceiver(d, user);
      const opened = new Set(d.state === 'escalated_manual' ? Object.keys(d.compartments) : d.unlocks.map((u) => u.compartmentId));
      const doses = await w.tx.dosesOfDelivery(d.id);
      const match = doses.find(
        (x) =>
          identifies(x) &&
          (['arrived', 'escalated_manual'].includes(x.state) ||
            (x.state === 'quarantined' && ['robot', 'courier'].includes(parseLocation(x.location)?.kind ?? ''))) &&
          // a courier hands over everything he carries, in a compartment or never in one
          (d.state === 'escalated_manual' || opened.has(x.compartmentId ?? '')),
      );
      if (!match) {
        // not one of ours (or not in an opened compartment): an extra item is a discrepancy
        w.record({
          action: 'receipt_extra_item',
          deliveryId: d.id,
          actor: userActor(user),
          location: d.ward,
          evidence: {
            gtin: shown.gtin ?? null,
            lot: shown.lot ?? null,
            serial: shown.serial ?? null,
            ...(manual ? { doseId: manual.doseId } : {}),
            ...identification,
          },
        });
        return { dose: null };
      }
      match.custodian = user.username;
      const med = await this.repo.medication(match.medicationId);
      const fridge = med?.refrigerated || storageId ? await this.storages.fridgeFor(d.ward, storageId, 'storageId') : null;
      const move = {
        action: match.state === 'quarantined' ? 'received_in_quarantine' : 'received',
        actor: userActor(user),
        location: fridge ? fridge.location : locationKey.ward(d.ward),
        ward: d.ward,
        evidence: {
          // for a chosen dose, the GS1 data recorded when it was picked
          barcode: manual
            ? { gtin: match.gtin, lot: match.lot, serial: match.serial }
            : { gtin: scan!.gtin, lot: scan!.lot ?? null, serial: scan!.serial ?? null },
          ...identification,
          compartmentId: match.compartmentId,
          ...(fridge ? { storageId: fridge.id, storage: fridge.name } : {}),
        },
      };
      const dose = match.state === 'quarantined' ? await w.relocateDose(match, move) : await w.moveDose(match, 'received', move);
      return { dose };
    });
    if (!result.dose) {
      await this.alarms.raise({
        type: 'custody.receipt_discrepancy',
        subject: deliveryId,
        ward: d0.ward,
        sourceKind: 'delivery',
        sourceId: deliveryId,
        params: { deliveryId, extraGtin: shown.gtin ?? null },
      });
      throw new RuleViolationError(
        'this unit is not part of the delivery (or its compartment is still locked): receipt discrepancy opened',
        'receipt_extra_item',
        { field },
      );
    }
    return readDelivery(this.repo, deliveryId);
  }

  /** Ends the receipt: unscanned doses become receipt discrepancies; compartments lock again. */
  async complete(deliveryId: string, user: AuthUser) {
    const d0 = await this.require(deliveryId);
    return this.refusals.guard(
      () => this.refusalAt('receipt', d0, user, null, { step: 'complete' }),
      () => this.completeReceipt(d0, user),
    );
  }

  private async completeReceipt(d0: DeliveryEntity, user: AuthUser) {
    const deliveryId = d0.id;
    assertWardAccess(user, d0.ward);
    const { d, missing } = await this.transitions.run(async (w) => {
      const d = (await w.tx.delivery(deliveryId))!;
      if (d.state !== 'unlocked' && d.state !== 'escalated_manual') throw new ConflictError(`the delivery is ${d.state}`, 'delivery_not_unlocked');
      const missing: string[] = [];
      for (const dose of await w.tx.dosesOfDelivery(d.id)) {
        if (dose.state === 'arrived' || dose.state === 'escalated_manual') {
          await w.moveDose(dose, 'receipt_discrepancy', {
            action: 'receipt_discrepancy',
            actor: userActor(user),
            location: placeOrPharmacy(dose.location),
            ward: d.ward,
            evidence: { reason: 'not scanned on receipt' },
          });
          missing.push(dose.id);
        }
      }
      return { d: await w.moveDelivery(d, 'completed', { actor: userActor(user), location: d.ward, evidence: { missing } }), missing };
    });
    if (missing.length) {
      await this.alarms.raise({
        type: 'custody.receipt_discrepancy',
        subject: deliveryId,
        ward: d.ward,
        sourceKind: 'delivery',
        sourceId: deliveryId,
        params: { deliveryId, missing },
      });
    }
    if (d.robotId && d.courier === null) {
      const actions: Action[] = Object.keys(d.compartments).map((c) => lockCompartmentAction({ actionId: `lock-${randomUUID()}`, compartmentId: c }));
      // releases the robot from its wait-for-recipient step so its mission can end
      const waiting = this.robots
        .get(d.robotId)
        ?.state?.actionStates.find(
          (a) => a.actionType === MEDLOOP_ACTION_TYPES.waitForRecipient && ['WAITING', 'INITIALIZING', 'RUNNING'].includes(a.actionStatus),
        );
      actions.push(triggerAction({ actionId: `trigger-${randomUUID()}`, ...(waiting ? { targetActionId: waiting.actionId } : {}) }));
      await this.sendToRobot(d, actions);
    }
    await this.alarms.clear(`custody.receipt_overdue:${deliveryId}`, 'delivery received');
    return readDelivery(this.repo, deliveryId);
  }

  private async sendToRobot(d: DeliveryEntity, actions: Action[]): Promise<void> {
    const r = d.robotId ? this.robots.get(d.robotId) : undefined;
    if (!r) return;
    await this.commands.sendInstantActions(
      { deviceId: r.deviceId, interfaceName: r.interfaceName, manufacturer: r.manufacturer, serialNumber: r.serialNumber },
      actions,
    );
  }

  /**
   * A hand-over by courier has two ends: whoever carried the doses, or handed them to the
   * courier, does not also sign for them on the ward (422 `receipt_not_independent`).
   */
  private async assertIndependentReceiver(d: DeliveryEntity, user: AuthUser): Promise<void> {
    const handedOverBy = (await this.repo.eventsOfDelivery(d.id)).filter((e) => e.action === 'delivery_escalated').map((e) => e.actor.id);
    const part = d.courier !== null && d.courier === user.username ? 'courier' : handedOverBy.includes(user.username) ? 'handed_over' : null;
    if (part)
      throw new RuleViolationError(
        part === 'courier'
          ? 'you carried this delivery: another nurse of the ward receives it'
          : 'you handed this delivery to the courier: a nurse of the ward receives it',
        'receipt_not_independent',
        { part },
      );
  }

  /** Where an act on a compartment happens: at that compartment of the robot, else on the ward. */
  private compartmentPlace(d: DeliveryEntity, compartmentId: string | null | undefined): string {
    return d.robotId && compartmentId ? locationKey.robotCompartment(d.robotId, compartmentId) : locationKey.ward(d.ward);
  }

  private async audit(d: DeliveryEntity, action: string, user: AuthUser, evidence: Record<string, unknown>): Promise<void> {
    const compartmentId = typeof evidence['compartmentId'] === 'string' ? evidence['compartmentId'] : null;
    await this.ledger.run(async (_tx, record) =>
      record({ action, deliveryId: d.id, actor: userActor(user), location: this.compartmentPlace(d, compartmentId), ward: d.ward, evidence }),
    );
  }

  /** What a refused ward act concerned: the delivery, its ward, the compartment named. */
  private refusalAt(
    act: 'unlock' | 'receipt',
    d: DeliveryEntity,
    user: AuthUser,
    compartmentId: string | null,
    evidence: Record<string, unknown>,
  ): RefusalContext {
    return {
      act,
      actor: userActor(user),
      location: this.compartmentPlace(d, compartmentId),
      ward: d.ward,
      deliveryId: d.id,
      evidence: { ...(compartmentId ? { compartmentId } : {}), ...(d.robotId ? { robotId: d.robotId } : {}), deliveryState: d.state, ...evidence },
    };
  }

  private async require(id: string): Promise<DeliveryEntity> {
    const d = await this.repo.delivery(id);
    if (!d) throw new NotFoundError('Delivery', id);
    return d;
  }
}

/** The scan as far as it parses (a refusal of an unreadable code still names the delivery). */
function safeScan(barcode: string): ReturnType<typeof parseGs1Barcode> | null {
  try {
    return parseGs1Barcode(barcode);
  } catch {
    return null;
  }
}
