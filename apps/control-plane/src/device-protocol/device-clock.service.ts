/**
 * The server's judgement of v1 device time (libs/domain/src/ingress/device-clock.ts): each
 * sequence-tracked message gets a judged time — its `ts` clamped into (last heard, now] unless
 * it backfills a silence the server clock confirms. Skewed and backfilled messages are
 * counted in /metrics; a persistent skew raises `device.clock_skew` for the device, cleared
 * once its messages are within the skew again. The per-device state is memory only: after a
 * restart every device starts again from "nothing heard", the strict case.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { ProtocolDeviceKind } from '#contracts';
import { DEFAULT_DEVICE_CLOCK_POLICY, DeviceClocks, type ClockJudgement } from '#domain';
import { AlarmsService } from '../alarms/alarms.service.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { MetricsService } from '../metrics/metrics.service.js';

export const CLOCK_SKEW_ALARM = 'device.clock_skew';

@Injectable()
export class DeviceClockService {
  private readonly clocks: DeviceClocks;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: MetricsService,
    private readonly alarms: AlarmsService,
  ) {
    this.clocks = new DeviceClocks({ ...DEFAULT_DEVICE_CLOCK_POLICY, maxSkewMs: config.devices.clockMaxSkewMs });
  }

  /** Judges one message's `ts` against the receipt time (both epoch ms). */
  judge(kind: ProtocolDeviceKind, deviceId: string, deviceTs: number, receivedAt: number): ClockJudgement {
    const j = this.clocks.judge(deviceId, deviceTs, receivedAt);
    if (j.skew) this.metrics.deviceClockSkew.inc({ kind, direction: j.skew });
    if (j.backfill) this.metrics.deviceReadingsBackfilled.inc({ kind });
    if (j.persistent === 'start') this.raise(kind, deviceId, j);
    // the alarm is the server's opinion, not the message's: raising it never holds the message up
    if (j.persistent === 'end')
      void this.alarms
        .clear(`${CLOCK_SKEW_ALARM}:${deviceId}`, `${this.clocks.policy.streak} messages in a row within the allowed skew`)
        .catch((err: unknown) => this.logger.error({ err, deviceId }, 'could not clear the clock skew alarm'));
    return j;
  }

  forget(deviceId: string): void {
    this.clocks.forget(deviceId);
  }

  private raise(kind: ProtocolDeviceKind, deviceId: string, j: ClockJudgement): void {
    const { maxSkewMs, streak } = this.clocks.policy;
    this.logger.warn({ deviceId, offsetMs: j.offsetMs }, 'device clock persistently skewed: its readings are timed by the server');
    void this.alarms
      .raise({
        type: CLOCK_SKEW_ALARM,
        subject: deviceId,
        sourceKind: kind,
        sourceId: deviceId,
        params: { deviceKind: kind, deviceId, direction: j.skew ?? 'past', offsetS: j.offsetMs / 1000, maxSkewS: maxSkewMs / 1000, messages: streak },
      })
      .catch((err: unknown) => this.logger.error({ err, deviceId }, 'could not raise the clock skew alarm'));
  }
}
