/** Read side of smart cabinets (registry + live state + pockets + ledger) and the lockdown commands. */
import { Injectable } from '@nestjs/common';
import { belowPar, ConflictError, ForbiddenError, inWardScope, NotFoundError, totalCount, type LotStock } from '#domain';
import type { AuthUser } from '../common/auth.decorators.js';
import { DeviceCommandsService, type CommandView } from '../device-protocol/device-commands.service.js';
import { DeviceDirectory, type DeviceInfo } from '../device-protocol/device-directory.service.js';
import { DeviceProtocolEdge, type DeviceLinkStats } from '../device-protocol/device-protocol.edge.js';
import { CommandTimedOutError } from './command-timed-out.error.js';
import type { ConfigurePocket } from './cabinet.dto.js';
import { CabinetStateService, type LiveCabinet } from './cabinet-state.service.js';
import { PocketLedgerService, type PocketRecord } from './pocket-ledger.service.js';

export interface PocketView {
  pocketId: string;
  drawerId: string | null;
  lockState: string | null;
  configured: boolean;
  gtin: string | null;
  medicationName: string | null;
  controlled: boolean;
  parLevel: number;
  /** hidden (null) from users who must count blind */
  count: number | null;
  belowPar: boolean | null;
  lots: (Omit<LotStock, 'count'> & { count?: number })[] | null;
  returnedToBin: number;
  discrepancy: string | null;
}

export interface CabinetView {
  id: string;
  name: string;
  ward: string | null;
  location: string | null;
  presence: LiveCabinet['presence'];
  lockdown: boolean | null;
  doorOpen: boolean | null;
  onBattery: boolean | null;
  telemetryAt: string | null;
  drawers: { drawerId: string; refrigerated: boolean; temperatureC: number | null }[];
  pocketCount: number;
  openDiscrepancies: number;
  link: DeviceLinkStats;
}

// a role rule (nurses count blind): the safety officer reads stock like the pharmacy
const SEE_STOCK = new Set(['admin', 'pharmacist', 'ward_pharmacist', 'safety_officer']);

@Injectable()
export class CabinetsService {
  constructor(
    private readonly directory: DeviceDirectory,
    private readonly live: CabinetStateService,
    private readonly ledger: PocketLedgerService,
    private readonly commands: DeviceCommandsService,
    private readonly edge: DeviceProtocolEdge,
  ) {}

  async list(user: AuthUser, ward?: string): Promise<CabinetView[]> {
    const all = await this.directory.list('cabinet', ward);
    return all.filter((c) => this.canSee(c, user)).map((c) => this.view(c));
  }

  async get(id: string, user: AuthUser): Promise<CabinetView & { pockets: PocketView[] }> {
    const c = await this.require(id, user);
    const configured = new Map(this.ledger.pocketsOf(id).map((p) => [p.pocketId, p]));
    const seen = new Set<string>();
    const pockets: PocketView[] = [];
    for (const d of this.live.get(id)?.drawers ?? []) {
      for (const p of d.pockets) {
        seen.add(p.pocketId);
        pockets.push(this.pocketView(p.pocketId, d.drawerId, p.state, configured.get(p.pocketId), user));
      }
    }
    for (const [pocketId, p] of configured) if (!seen.has(pocketId)) pockets.push(this.pocketView(pocketId, null, null, p, user));
    return { ...this.view(c), pockets };
  }

  async ledgerOf(id: string, filter: { pocketId?: string | undefined; limit?: number | undefined }, user: AuthUser) {
    await this.require(id, user);
    return this.ledger.ledger(id, filter);
  }

  async commandsOf(id: string, user: AuthUser): Promise<CommandView[]> {
    await this.require(id, user);
    return this.commands.listForDevice(id);
  }

  async configurePocket(id: string, pocketId: string, input: ConfigurePocket, user: AuthUser): Promise<PocketView> {
    await this.require(id, user);
    const existing = this.ledger.find(id, pocketId);
    if (existing && existing.gtin !== input.gtin && totalCount(existing.inventory) > 0)
      throw new ConflictError(`pocket ${pocketId} still holds ${existing.medicationName}; empty it before changing its medication`, 'pocket_not_empty', {
        field: 'gtin',
      });
    const p = await this.ledger.configure(id, pocketId, input);
    const live = this.live.pocketState(id, pocketId);
    return this.pocketView(pocketId, live?.drawerId ?? null, live?.state ?? null, p, user);
  }

  async lockdown(id: string, reason: string | null, user: AuthUser): Promise<CommandView> {
    await this.require(id, user);
    const body = reason !== null ? { type: 'lockdown', reason } : { type: 'releaseLockdown', userId: user.id };
    const sent = await this.commands.send('cabinet', id, body, { requestedBy: user.id });
    const command = await this.commands.settled(sent.id);
    if (command.status === 'timed_out') throw new CommandTimedOutError(`cabinet ${id} did not acknowledge ${body.type}`, { commandId: command.commandId });
    if (command.status !== 'done') throw new ConflictError(`cabinet ${id} ${command.status} ${body.type}: ${command.detail}`, `${body.type}_${command.status}`);
    return command;
  }

  private async require(id: string, user: AuthUser): Promise<DeviceInfo> {
    const c = await this.directory.get(id);
    if (!c || c.kind !== 'cabinet') throw new NotFoundError('Cabinet', id);
    if (!this.canSee(c, user)) throw new ForbiddenError('this cabinet belongs to a ward you are not assigned to', 'ward_forbidden');
    return c;
  }

  private canSee(c: DeviceInfo, user: AuthUser): boolean {
    return inWardScope(user, c.ward);
  }

  private view(c: DeviceInfo): CabinetView {
    const l = this.live.get(c.id);
    const pockets = this.ledger.pocketsOf(c.id);
    return {
      id: c.id,
      name: c.name,
      ward: c.ward,
      location: c.location,
      presence: l?.presence ?? null,
      lockdown: l?.lockdown ?? null,
      doorOpen: l?.doorOpen ?? null,
      onBattery: l?.onBattery ?? null,
      telemetryAt: l?.telemetryAt ?? null,
      drawers: (l?.drawers ?? []).map((d) => ({ drawerId: d.drawerId, refrigerated: d.refrigerated, temperatureC: d.temperatureC ?? null })),
      pocketCount: pockets.length,
      openDiscrepancies: pockets.filter((p) => p.inventory.discrepancy && p.inventory.discrepancy.status !== 'resolved').length,
      link: this.edge.statsOf(c.id),
    };
  }

  private pocketView(pocketId: string, drawerId: string | null, lockState: string | null, p: PocketRecord | undefined, user: AuthUser): PocketView {
    // nurses count blind: they see what a pocket holds, not how many
    const seeStock = SEE_STOCK.has(user.role);
    const d = p?.inventory.discrepancy;
    return {
      pocketId,
      drawerId,
      lockState,
      configured: !!p,
      gtin: p?.gtin ?? null,
      medicationName: p?.medicationName ?? null,
      controlled: p?.controlled ?? false,
      parLevel: p?.parLevel ?? 0,
      count: p && seeStock ? totalCount(p.inventory) : null,
      belowPar: p ? belowPar(p.inventory) : null,
      lots: p ? Object.values(p.inventory.lots).map((l) => (seeStock ? l : { lot: l.lot, expiry: l.expiry })) : null,
      returnedToBin: p?.inventory.returnedToBin ?? 0,
      discrepancy: d && d.status !== 'resolved' ? d.countEntryId : null,
    };
  }
}
