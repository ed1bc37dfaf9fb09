/**
 * Ledger acts that do not open a pocket: returns (always to the return bin, for pharmacy
 * verification), waste of a dose already removed (with a witness for controlled drugs),
 * counts entered by REST (blind by default) or requested at the cabinet, and the
 * resolution of count discrepancies by a pharmacist.
 */
import { Injectable } from '@nestjs/common';
import { assertInWardScope, ConflictError, countPrompt, inWardScope, NotFoundError, type Discrepancy } from '#domain';
import type { AuthUser } from '../common/auth.decorators.js';
import { DeviceCommandsService, type CommandView } from '../device-protocol/device-commands.service.js';
import { DeviceDirectory } from '../device-protocol/device-directory.service.js';
import type { CountInput, ResolveDiscrepancy, ReturnInput, WasteInput } from './cabinet.dto.js';
import { CommandTimedOutError } from './command-timed-out.error.js';
import { PocketAccessService } from './pocket-access.service.js';
import { PocketLedgerService, type PocketRecord } from './pocket-ledger.service.js';
import { WitnessService } from './witness.service.js';
import { Refusals } from '../custody/refusals.js';

export interface DiscrepancyView extends Omit<Discrepancy, 'countEntryId'> {
  id: string;
  cabinetId: string;
  pocketId: string;
  ward: string | null;
  gtin: string;
  medicationName: string;
}

const SEE_EXPECTED = new Set(['admin', 'pharmacist']);

@Injectable()
export class PocketRecordsService {
  constructor(
    private readonly ledger: PocketLedgerService,
    private readonly access: PocketAccessService,
    private readonly commands: DeviceCommandsService,
    private readonly directory: DeviceDirectory,
    private readonly witnesses: WitnessService,
    private readonly refusals: Refusals,
  ) {}

  async returnToBin(cabinetId: string, pocketId: string, input: ReturnInput, user: AuthUser): Promise<PocketRecord> {
    await this.access.openable(cabinetId, pocketId, user);
    const destination =
      input.destination && 'pocketId' in input.destination
        ? { kind: 'pocket' as const, pocketId: input.destination.pocketId }
        : { kind: 'return_bin' as const, binId: input.destination?.returnBin ?? `${cabinetId}:return-bin` };
    return this.ledger.append(cabinetId, pocketId, {
      type: 'return',
      id: this.ledger.newEntryId(),
      at: new Date().toISOString(),
      actor: user.id,
      lot: input.lot,
      qty: input.quantity,
      destination,
      ...(input.removalId ? { removalId: input.removalId } : {}),
    });
  }

  /** Waste of (part of) a removed dose; nothing opens. Waste of pocket stock goes through PocketAccessService. */
  async wasteRemoved(cabinetId: string, pocketId: string, input: WasteInput & { removalId: string }, user: AuthUser, address?: string): Promise<PocketRecord> {
    return this.refusals.guard(
      () =>
        this.access.refusalAt('cabinet_waste', cabinetId, pocketId, user, {
          quantity: input.quantity,
          removalId: input.removalId,
          ...(input.lot ? { lot: input.lot } : {}),
          witnessed: !!input.witness,
        }),
      () => this.wasteOfRemoval(cabinetId, pocketId, input, user, address),
    );
  }

  private async wasteOfRemoval(
    cabinetId: string,
    pocketId: string,
    input: WasteInput & { removalId: string },
    user: AuthUser,
    address?: string,
  ): Promise<PocketRecord> {
    const cabinet = await this.access.openable(cabinetId, pocketId, user);
    const pocket = this.ledger.require(cabinetId, pocketId);
    const removal = pocket.inventory.removals[input.removalId];
    const witness = input.witness ? await this.witnesses.verify(input.witness, { actor: user, ward: cabinet.ward, address }) : undefined;
    return this.ledger.append(cabinetId, pocketId, {
      type: 'waste',
      id: this.ledger.newEntryId(),
      at: new Date().toISOString(),
      actor: user.id,
      lot: input.lot ?? removal?.lot ?? '-',
      qty: input.quantity,
      removalId: input.removalId,
      ...(witness ? { witness } : {}),
    });
  }

  /** What to show before a count: nurses always count blind; pharmacists may see the expected quantity. */
  async countPrompt(cabinetId: string, pocketId: string, blind: boolean, user: AuthUser) {
    await this.access.openable(cabinetId, pocketId, user);
    const pocket = this.ledger.require(cabinetId, pocketId);
    const isBlind = blind || !SEE_EXPECTED.has(user.role);
    return { ...countPrompt(pocket.inventory, isBlind), blind: isBlind, medicationName: pocket.medicationName };
  }

  async count(cabinetId: string, pocketId: string, input: CountInput, user: AuthUser): Promise<PocketRecord> {
    await this.access.openable(cabinetId, pocketId, user);
    return this.ledger.append(cabinetId, pocketId, {
      type: 'count',
      id: this.ledger.newEntryId(),
      at: new Date().toISOString(),
      actor: user.id,
      counted: input.counted,
      blind: input.blind || !SEE_EXPECTED.has(user.role),
      ...(input.lot ? { lot: input.lot } : {}),
    });
  }

  /** Asks the cabinet to prompt a count at the pocket; the count arrives as a `countEntered` event. */
  async requestCount(cabinetId: string, pocketId: string, blind: boolean, user: AuthUser): Promise<CommandView> {
    await this.access.openable(cabinetId, pocketId, user);
    this.ledger.require(cabinetId, pocketId);
    const sent = await this.commands.send(
      'cabinet',
      cabinetId,
      { type: 'requestCount', pocketId, userId: user.id, blind: blind || !SEE_EXPECTED.has(user.role) },
      { requestedBy: user.id },
    );
    const command = await this.commands.settled(sent.id);
    if (command.status === 'timed_out')
      throw new CommandTimedOutError(`cabinet ${cabinetId} did not acknowledge the count request`, { commandId: command.commandId });
    if (command.status !== 'done')
      throw new ConflictError(`cabinet ${cabinetId} ${command.status} the count request: ${command.detail}`, `count_${command.status}`, {
        commandId: command.commandId,
      });
    return command;
  }

  async discrepancies(filter: { state: 'open' | 'resolved' | 'all'; ward?: string | undefined }, user: AuthUser): Promise<DiscrepancyView[]> {
    if (filter.ward) assertInWardScope(user, filter.ward);
    const out: DiscrepancyView[] = [];
    for (const p of this.ledger.discrepancies()) {
      const open = p.discrepancy.status === 'open' || p.discrepancy.status === 'recounted';
      if (filter.state === 'open' && !open) continue;
      if (filter.state === 'resolved' && open) continue;
      const ward = (await this.directory.get(p.cabinetId))?.ward ?? null;
      if (filter.ward && ward !== filter.ward) continue;
      if (!inWardScope(user, ward)) continue;
      const { countEntryId, ...rest } = p.discrepancy;
      out.push({ id: countEntryId, cabinetId: p.cabinetId, pocketId: p.pocketId, ward, gtin: p.gtin, medicationName: p.medicationName, ...rest });
    }
    return out.sort((a, b) => b.openedAt.localeCompare(a.openedAt));
  }

  async resolve(discrepancyId: string, input: ResolveDiscrepancy, user: AuthUser): Promise<DiscrepancyView> {
    const found = this.ledger.discrepancies().find((p) => p.discrepancy.countEntryId === discrepancyId);
    if (!found) throw new NotFoundError('Discrepancy', discrepancyId);
    await this.ledger.append(found.cabinetId, found.pocketId, {
      type: 'resolve_discrepancy',
      id: this.ledger.newEntryId(),
      at: new Date().toISOString(),
      actor: user.id,
      reason: input.reason,
      outcome: input.outcome,
      ...(input.lot ? { lot: input.lot } : {}),
    });
    const all = await this.discrepancies({ state: 'all' }, user);
    return all.find((d) => d.id === discrepancyId)!;
  }
}
