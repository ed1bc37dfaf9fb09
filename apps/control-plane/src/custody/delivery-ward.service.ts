/**
 * The ward side of a delivery. Only a nurse assigned to the destination ward may open it,
 * authenticated by her nurse-station session or by badge GSRN + PIN at the robot; the server
 * then unlocks exactly that compartment. Each dose is scanned on receipt; a missing or extra
 * unit opens a receipt discrepancy. Closing the receipt locks the compartment and releases
 * the robot from its wait. Refusals are audited.
 */
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type Action, MEDLOOP_ACTION_TYPES, lockCompartmentAction, triggerAction, unlockCompartmentAction } from '#contracts';
import { ConflictError, DomainError, ForbiddenError, NotFoundError, RuleViolationError, UnauthorizedError, ValidationError, parseGs1Barcode } from '#domain';
import { CustodyRepository, type DeliveryEntity, UsersRepository } from '#persistence';
import { verifyPassword } from '../auth/passwords.js';
import type { AuthUser } from '../common/auth.decorators.js';
import { AlarmsService } from '../alarms/alarms.service.js';
import { RobotCommandsService } from '../fleet/robot-commands.service.js';
import { RobotStateService } from '../fleet/robot-state.service.js';
import { assertWardAccess, userActor } from './access.js';
import { CustodyLedger } from './custody-ledger.service.js';
import { CustodyTransitions } from './custody-transitions.js';
import { readDelivery } from './custody-views.js';
import { DeliveryTrackingService } from './delivery-tracking.service.js';

@Injectable()
export class DeliveryWardService {
  constructor(
    private readonly repo: CustodyRepository,
    private readonly users: UsersRepository,
    private readonly ledger: CustodyLedger,
    private readonly transitions: CustodyTransitions,
    private readonly commands: RobotCommandsService,
    private readonly robots: RobotStateService,
    private readonly alarms: AlarmsService,
    private readonly tracking: DeliveryTrackingService,
  ) {}

  /** Resolves who is unlocking: the session user, or the owner of the presented badge + PIN. */
  private async unlocker(session: AuthUser, badge: { gsrn: string; pin: string } | undefined): Promise<AuthUser> {
    if (!badge) return session;
    const u = await this.users.findByBadge(badge.gsrn);
    if (!u || !u.pinHash || u.disabled || !(await verifyPassword(u.pinHash, badge.pin)))
      throw new UnauthorizedError('badge or PIN not recognised', 'badge_invalid');
    return { id: u.id, username: u.username, role: u.role, wards: u.wards };
  }

  async unlock(deliveryId: string, compartmentId: string, badge: { gsrn: string; pin: string } | undefined, session: AuthUser) {
    const d0 = await this.require(deliveryId);
    let user: AuthUser = session;
    try {
      user = await this.unlocker(session, badge);
      if (user.role !== 'nurse' && user.role !== 'admin')
        throw new ForbiddenError('only a nurse of the destination ward may open a delivery', 'role_forbidden');
      assertWardAccess(user, d0.ward);
      if (!d0.compartments[compartmentId])
        throw new ValidationError(`compartmentId: compartment '${compartmentId}' carries nothing of this delivery`, 'compartmentId');
      if (d0.state !== 'arrived' && d0.state !== 'unlocked')
        throw new ConflictError(`the delivery is ${d0.state}; it can be opened once the robot has arrived`, 'delivery_not_arrived', { state: d0.state });
    } catch (err) {
      if (err instanceof DomainError && err.kind !== 'unavailable')
        await this.audit(d0, 'unlock_refused', user, { compartmentId, code: err.code, badge: badge ? badge.gsrn : null });
      throw err;
    }
    const d = await this.transitions.run(async (w) => {
      const d = (await w.tx.delivery(deliveryId))!;
      d.unlocks = [...d.unlocks, { compartmentId, by: user.username, at: new Date().toISOString() }];
      const move = {
        action: 'compartment_unlocked',
        actor: userActor(user),
        location: d.ward,
        evidence: { compartmentId, robotId: d.robotId, via: badge ? 'badge' : 'session', doses: d.compartments[compartmentId] },
      };
      // the first unlock moves the delivery; each further one is recorded on it as it stands
      return d.state === 'arrived' ? w.moveDelivery(d, 'unlocked', move) : w.updateDelivery(d, { ...move, toState: 'unlocked' });
    });
    // the authorised unlock is on record, and known to the tamper check, before the robot gets the command
    this.tracking.track(d);
    await this.sendToRobot(d, [unlockCompartmentAction({ actionId: `unlock-${randomUUID()}`, compartmentId, recipientId: user.username })]);
    return readDelivery(this.repo, deliveryId);
  }

  /** One receipt scan: the unit must be a dose of this delivery in an unlocked compartment. */
  async receive(deliveryId: string, barcode: string, user: AuthUser) {
    const d0 = await this.require(deliveryId);
    assertWardAccess(user, d0.ward);
    const scan = parseGs1Barcode(barcode);
    const result = await this.transitions.run(async (w) => {
      const d = (await w.tx.delivery(deliveryId))!;
      if (d.state !== 'unlocked' && d.state !== 'escalated_manual')
        throw new ConflictError(`the delivery is ${d.state}; unlock a compartment first`, 'delivery_not_unlocked');
      const opened = new Set(d.state === 'escalated_manual' ? Object.keys(d.compartments) : d.unlocks.map((u) => u.compartmentId));
      const doses = await w.tx.dosesOfDelivery(d.id);
      const match = doses.find(
        (x) =>
          x.gtin === scan.gtin &&
          (scan.serial ? x.serial === scan.serial : x.lot === scan.lot) &&
          ['arrived', 'escalated_manual'].includes(x.state) &&
          opened.has(x.compartmentId ?? ''),
      );
      if (!match) {
        // not one of ours (or not in an opened compartment): an extra item is a discrepancy
        w.record({
          action: 'receipt_extra_item',
          deliveryId: d.id,
          actor: userActor(user),
          location: d.ward,
          evidence: { gtin: scan.gtin ?? null, lot: scan.lot ?? null, serial: scan.serial ?? null },
        });
        return { dose: null };
      }
      match.custodian = user.username;
      const dose = await w.moveDose(match, 'received', {
        action: 'received',
        actor: userActor(user),
        location: d.ward,
        ward: d.ward,
        evidence: { barcode: { gtin: scan.gtin, lot: scan.lot ?? null, serial: scan.serial ?? null }, compartmentId: match.compartmentId },
      });
      return { dose };
    });
    if (!result.dose) {
      await this.alarms.raise({
        type: 'custody.receipt_discrepancy',
        subject: deliveryId,
        ward: d0.ward,
        sourceKind: 'delivery',
        sourceId: deliveryId,
        params: { deliveryId, extraGtin: scan.gtin ?? null },
      });
      throw new RuleViolationError(
        'this unit is not part of the delivery (or its compartment is still locked): receipt discrepancy opened',
        'receipt_extra_item',
        { field: 'barcode' },
      );
    }
    return readDelivery(this.repo, deliveryId);
  }

  /** Ends the receipt: unscanned doses become receipt discrepancies; compartments lock again. */
  async complete(deliveryId: string, user: AuthUser) {
    const d0 = await this.require(deliveryId);
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
            location: d.ward,
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

  private async audit(d: DeliveryEntity, action: string, user: AuthUser, evidence: Record<string, unknown>): Promise<void> {
    await this.ledger.run(async (_tx, record) => record({ action, deliveryId: d.id, actor: userActor(user), location: d.ward, evidence }));
  }

  private async require(id: string): Promise<DeliveryEntity> {
    const d = await this.repo.delivery(id);
    if (!d) throw new NotFoundError('Delivery', id);
    return d;
  }
}
