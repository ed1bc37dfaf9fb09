/**
 * Registers the sensor channels of the v1 protocol with the edge (which has already parsed
 * and sequence-checked each message) and hands them to the live sensor state. Acks are the
 * commands service's business.
 */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { IngestResult } from '#broker';
import { DeviceDirectory, type DeviceInfo } from '../device-protocol/device-directory.service.js';
import { DeviceProtocolEdge } from '../device-protocol/device-protocol.edge.js';
import { SensorStateService } from './sensor-state.service.js';

@Injectable()
export class SensorIngress implements OnModuleInit {
  constructor(
    private readonly edge: DeviceProtocolEdge,
    private readonly directory: DeviceDirectory,
    private readonly sensors: SensorStateService,
  ) {}

  onModuleInit(): void {
    this.edge.route('sensor', 'telemetry', (m, ctx) => this.withDevice(ctx.deviceId, (d) => this.sensors.applyTelemetry(d, m, ctx)));
    this.edge.route('sensor', 'event', (m, ctx) => this.withDevice(ctx.deviceId, (d) => this.sensors.applyEvent(d, m)));
    this.edge.route('sensor', 'status', (m, ctx) => this.sensors.applyStatus(ctx.deviceId, m, ctx));
  }

  private async withDevice(deviceId: string, apply: (d: DeviceInfo) => Promise<void>): Promise<IngestResult | void> {
    const d = await this.directory.get(deviceId);
    if (!d || d.kind !== 'sensor')
      return { ok: false, reason: 'unknown_device', errors: [{ path: 'deviceId', message: `${deviceId} is not a registered sensor` }] };
    await apply(d);
  }
}
