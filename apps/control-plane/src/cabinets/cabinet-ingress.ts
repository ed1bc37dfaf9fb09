/**
 * Registers the cabinet channels of the v1 protocol with the edge (messages arrive parsed and
 * sequence-checked) and hands them to the live cabinet state. Acks belong to the commands
 * service. A ledger rule refusing a count typed at the cabinet becomes a rejection event
 * for the cabinet.
 */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { IngestResult } from '#broker';
import { DeviceDirectory, type DeviceInfo } from '../device-protocol/device-directory.service.js';
import { DeviceProtocolEdge } from '../device-protocol/device-protocol.edge.js';
import { CabinetStateService } from './cabinet-state.service.js';

@Injectable()
export class CabinetIngress implements OnModuleInit {
  constructor(
    private readonly edge: DeviceProtocolEdge,
    private readonly directory: DeviceDirectory,
    private readonly cabinets: CabinetStateService,
  ) {}

  onModuleInit(): void {
    this.edge.route('cabinet', 'telemetry', (m, ctx) => this.withDevice(ctx.deviceId, (d) => this.cabinets.applyTelemetry(d, m, ctx)));
    this.edge.route('cabinet', 'event', (m, ctx) => this.withDevice(ctx.deviceId, (d) => this.cabinets.applyEvent(d, m)));
    this.edge.route('cabinet', 'status', (m, ctx) => this.cabinets.applyStatus(ctx.deviceId, m, ctx));
  }

  private async withDevice(deviceId: string, apply: (d: DeviceInfo) => Promise<void>): Promise<IngestResult | void> {
    const d = await this.directory.get(deviceId);
    if (!d || d.kind !== 'cabinet')
      return { ok: false, reason: 'unknown_device', errors: [{ path: 'deviceId', message: `${deviceId} is not a registered cabinet` }] };
    await apply(d);
  }
}
