/**
 * Live state of every smart cabinet from its telemetry (lockdown, door, power, drawers and
 * pocket lock states — only in-order messages move it) and the alarms its events imply:
 * a pocket opened without an unlock, a forced door, a pocket left open, power loss. Counts
 * typed at the cabinet become ledger entries. Refrigerated drawers feed the cold chain and
 * every metric feeds the alarm-rule engine.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { CabinetEvent, CabinetTelemetry, DeviceStatus, PocketLockState } from '#contracts';
import { AlarmsService, type RaiseAlarmAbout } from '../alarms/alarms.service.js';
import { AlarmRuleEvaluator, type ObservedValue } from '../alarm-engine/alarm-rule-evaluator.service.js';
import { LOGGER } from '../common/logger.js';
import { ColdChainService } from '../cold-chain/cold-chain.service.js';
import type { DeviceInfo } from '../device-protocol/device-directory.service.js';
import type { DeviceMessageContext } from '../device-protocol/device-protocol.edge.js';
import { PocketLedgerService } from './pocket-ledger.service.js';

export interface LiveCabinet {
  presence: 'online' | 'offline' | null;
  presenceAt: string | null;
  firmware: string | null;
  telemetryAt: string | null;
  lockdown: boolean | null;
  doorOpen: boolean | null;
  onBattery: boolean | null;
  drawers: CabinetTelemetry['drawers'];
  recentEvents: { type: string; at: string; pocketId?: string }[];
}

/** Storage id of a refrigerated drawer in the cold chain. */
export const drawerStorageId = (cabinetId: string, drawerId: string) => `${cabinetId}/${drawerId}`;

@Injectable()
export class CabinetStateService {
  private readonly live = new Map<string, LiveCabinet>();

  constructor(
    private readonly alarms: AlarmsService,
    private readonly rules: AlarmRuleEvaluator,
    private readonly coldChain: ColdChainService,
    private readonly ledger: PocketLedgerService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  get(cabinetId: string): LiveCabinet | null {
    return this.live.get(cabinetId) ?? null;
  }

  pocketState(cabinetId: string, pocketId: string): { drawerId: string; refrigerated: boolean; state: PocketLockState } | null {
    for (const d of this.live.get(cabinetId)?.drawers ?? []) {
      const p = d.pockets.find((x) => x.pocketId === pocketId);
      if (p) return { drawerId: d.drawerId, refrigerated: d.refrigerated, state: p.state };
    }
    return null;
  }

  async applyTelemetry(device: DeviceInfo, msg: CabinetTelemetry, ctx: DeviceMessageContext): Promise<void> {
    // a late message backfilling a confirmed silence still feeds the cold chain (as for fridges,
    // see SensorStateService.applyTelemetry); no other late message moves anything
    if (!ctx.current) {
      if (ctx.backfill) await this.recordColdChain(device, msg, ctx);
      return;
    }
    const c = this.entry(device.id);
    Object.assign(c, { telemetryAt: msg.ts, lockdown: msg.lockdown, doorOpen: msg.doorOpen ?? null, onBattery: msg.onBattery ?? null, drawers: msg.drawers });
    const values: ObservedValue[] = [{ metric: 'lockdown', value: msg.lockdown }];
    if (msg.doorOpen !== undefined) values.push({ metric: 'doorOpen', value: msg.doorOpen });
    if (msg.onBattery !== undefined) values.push({ metric: 'onBattery', value: msg.onBattery });
    for (const d of msg.drawers) if (d.temperatureC !== undefined) values.push({ channel: d.drawerId, metric: 'temperatureC', value: d.temperatureC });
    this.rules.observe({ deviceId: device.id, kind: 'cabinet', sensorType: null, ward: device.ward }, msg.ts, values);
    await this.recordColdChain(device, msg, ctx);
  }

  /** Refrigerated drawers, at the judged time: durations that lock stock are the server's. */
  private async recordColdChain(device: DeviceInfo, msg: CabinetTelemetry, ctx: DeviceMessageContext): Promise<void> {
    for (const d of msg.drawers) {
      if (d.refrigerated && d.temperatureC !== undefined)
        await this.coldChain.record({
          storageId: drawerStorageId(device.id, d.drawerId),
          storageKind: 'cabinet_drawer',
          ward: device.ward,
          temperatureC: d.temperatureC,
          at: ctx.judgedAt,
        });
    }
  }

  async applyEvent(device: DeviceInfo, e: CabinetEvent): Promise<void> {
    const c = this.entry(device.id);
    c.recentEvents = [{ type: e.type, at: e.ts, ...('pocketId' in e ? { pocketId: e.pocketId } : {}) }, ...c.recentEvents].slice(0, 30);
    const alarm = (a: RaiseAlarmAbout) => this.alarms.raise({ ...a, ward: device.ward, sourceKind: 'cabinet', sourceId: device.id });
    switch (e.type) {
      case 'pocketOpened':
        if (!e.commandId)
          await alarm({
            type: 'cabinet.unexpected_open',
            subject: `${device.id}/${e.pocketId}`,
            params: { cabinet: device.name, pocketId: e.pocketId, at: e.ts, ...(e.userId ? { userId: e.userId } : {}) },
          });
        break;
      case 'pocketLeftOpen':
        await alarm({
          type: 'cabinet.pocket_left_open',
          subject: `${device.id}/${e.pocketId}`,
          params: { cabinet: device.name, pocketId: e.pocketId, openS: e.openS },
        });
        break;
      case 'pocketClosed':
        await this.alarms.clear(`cabinet.pocket_left_open:${device.id}/${e.pocketId}`, 'pocket closed');
        break;
      case 'doorForced':
        await alarm({
          type: 'cabinet.door_forced',
          subject: device.id,
          params: { cabinet: device.name, ...(e.drawerId ? { drawerId: e.drawerId } : {}), at: e.ts },
        });
        break;
      case 'powerLost':
        await alarm({ type: 'cabinet.power_lost', subject: device.id, params: { cabinet: device.name } });
        break;
      case 'powerRestored':
        await this.alarms.clear(`cabinet.power_lost:${device.id}`, 'power restored');
        break;
      case 'lockdownEngaged':
        c.lockdown = true;
        break;
      case 'lockdownReleased':
        c.lockdown = false;
        break;
      case 'countEntered':
        await this.countEntered(device, e);
        break;
      default:
        break;
    }
  }

  applyStatus(deviceId: string, msg: DeviceStatus, ctx: DeviceMessageContext): void {
    const c = this.entry(deviceId);
    c.presence = msg.state;
    c.presenceAt = ctx.receivedAt;
    if (msg.firmware) c.firmware = msg.firmware;
  }

  private async countEntered(device: DeviceInfo, e: Extract<CabinetEvent, { type: 'countEntered' }>): Promise<void> {
    if (!this.ledger.find(device.id, e.pocketId)) {
      this.logger.warn({ cabinetId: device.id, pocketId: e.pocketId }, 'count entered at an unconfigured pocket; ignored');
      return;
    }
    await this.ledger.append(device.id, e.pocketId, {
      type: 'count',
      id: this.ledger.newEntryId(),
      at: e.ts,
      actor: e.userId,
      counted: e.counted,
      blind: e.blind,
      ...(e.lot !== undefined ? { lot: e.lot } : {}),
    });
  }

  private entry(id: string): LiveCabinet {
    let c = this.live.get(id);
    if (!c)
      this.live.set(
        id,
        (c = {
          presence: null,
          presenceAt: null,
          firmware: null,
          telemetryAt: null,
          lockdown: null,
          doorOpen: null,
          onBattery: null,
          drawers: [],
          recentEvents: [],
        }),
      );
    return c;
  }
}
