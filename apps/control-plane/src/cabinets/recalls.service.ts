/**
 * Lot recalls: a recalled (GTIN, lot) is refused by every pocket's ledger from now on, and a
 * `lockLot` command goes to every registered cabinet so none hands it out even offline from
 * the server. The request waits for the cabinets' acks (bounded by the ack time-out) and
 * reports each one; a cabinet that did not answer shows `timed_out` (and alarms).
 */
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConflictError, inWardScope, locationKey, type WardScopedUser } from '#domain';
import { CabinetRepository } from '#persistence';
import type { AuthUser } from '../common/auth.decorators.js';
import { EventBus } from '../common/events.js';
import { DeviceCommandsService, type CommandView } from '../device-protocol/device-commands.service.js';
import { DeviceDirectory } from '../device-protocol/device-directory.service.js';
import type { RecallInput } from './cabinet.dto.js';
import { PocketLedgerService } from './pocket-ledger.service.js';
import { userActor } from '../custody/access.js';
import { Refusals } from '../custody/refusals.js';

export interface RecallView {
  id: string;
  gtin: string;
  lot: string;
  reason: string;
  createdBy: string;
  createdAt: string;
  /** pockets that hold the lot now */
  affectedPockets: { cabinetId: string; pocketId: string; count: number }[];
}

@Injectable()
export class RecallsService {
  constructor(
    private readonly repo: CabinetRepository,
    private readonly ledger: PocketLedgerService,
    private readonly commands: DeviceCommandsService,
    private readonly directory: DeviceDirectory,
    private readonly bus: EventBus,
    private readonly refusals: Refusals,
  ) {}

  /** A hospital-wide recall of a lot; a refused one is a record on the custody chain (Refusals). */
  async recall(input: RecallInput, user: AuthUser): Promise<RecallView & { commands: CommandView[] }> {
    return this.refusals.guard(
      () => ({
        act: 'recall',
        actor: userActor(user),
        location: locationKey.pharmacy(),
        evidence: { gtin: input.gtin, lot: input.lot, reason: input.reason },
      }),
      () => this.recallLot(input, user),
    );
  }

  private async recallLot(input: RecallInput, user: AuthUser): Promise<RecallView & { commands: CommandView[] }> {
    if (await this.repo.findRecall(input.gtin, input.lot))
      throw new ConflictError(`lot ${input.lot} of ${input.gtin} is already recalled`, 'recall_exists', { field: 'lot' });
    const recall = { id: randomUUID(), gtin: input.gtin, lot: input.lot, reason: input.reason, createdBy: user.id, createdAt: new Date() };
    await this.repo.insertRecall(recall);
    this.ledger.markRecalled(input.gtin, input.lot);
    const cabinets = await this.directory.list('cabinet');
    const sent = await Promise.all(
      cabinets.map((c) =>
        this.commands.send(
          'cabinet',
          c.id,
          { type: 'lockLot', lot: input.lot, reason: `recall: ${input.reason}`.slice(0, 200) },
          {
            requestedBy: user.id,
            context: { recallId: recall.id },
          },
        ),
      ),
    );
    const commands = await Promise.all(sent.map((c) => this.commands.settled(c.id)));
    return { ...this.view(recall), commands };
  }

  /** Every recall (a lot is hospital-wide news); the affected pockets only of cabinets in the caller's wards. */
  async list(user: WardScopedUser): Promise<RecallView[]> {
    const wardOf = new Map((await this.directory.list('cabinet')).map((c) => [c.id, c.ward]));
    const visible = (cabinetId: string) => inWardScope(user, wardOf.get(cabinetId));
    return (await this.repo.allRecalls()).map((r) => this.view(r, visible));
  }

  private view(
    r: { id: string; gtin: string; lot: string; reason: string; createdBy: string; createdAt: Date },
    visible: (cabinetId: string) => boolean = () => true,
  ): RecallView {
    const affectedPockets = this.ledger
      .allPockets()
      .filter((p) => p.gtin === r.gtin && (p.inventory.lots[r.lot]?.count ?? 0) > 0 && visible(p.cabinetId))
      .map((p) => ({ cabinetId: p.cabinetId, pocketId: p.pocketId, count: p.inventory.lots[r.lot]!.count }));
    return { id: r.id, gtin: r.gtin, lot: r.lot, reason: r.reason, createdBy: r.createdBy, createdAt: r.createdAt.toISOString(), affectedPockets };
  }
}
