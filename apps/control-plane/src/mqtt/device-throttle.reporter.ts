/**
 * Reports the broker's per-device rejection budget (see RejectionBudget in libs/domain): a
 * device throttled, its messages dropped unread, a session closed because the device kept
 * sending. All are counted and the first and last logged; a disconnection raises a
 * `device.input_flood` alarm, one per device while it is open (a repeat counts an
 * occurrence), the way a sign-in lock raises `security.sign_in_locked`. The alarm clears once
 * the device has gone two throttle periods without being disconnected again (the throttle,
 * then the time in which going straight back to it counts as the same flood); a cleared
 * alarm stays listed until someone acknowledges it.
 */
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { BrokerObserver, BrokerSession } from '#broker';
import { AlarmsService } from '../alarms/alarms.service.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { MetricsService } from '../metrics/metrics.service.js';

export const INPUT_FLOOD_ALARM = 'device.input_flood';

@Injectable()
export class DeviceThrottleReporter implements OnApplicationShutdown {
  /** per flooding device: when its alarm clears unless it is disconnected again */
  private readonly clearTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: MetricsService,
    private readonly alarms: AlarmsService,
  ) {}

  observer(): Required<Pick<BrokerObserver, 'throttled' | 'throttleDropped' | 'throttleDisconnected'>> {
    return {
      throttled: (s, family, until) => {
        this.metrics.mqttThrottled.inc();
        this.logger.warn(
          { deviceId: s.deviceId, clientId: s.clientId, family, throttledUntil: until.toISOString() },
          'device over its rejection budget: its messages are dropped unread',
        );
      },
      throttleDropped: (_s, family, bytes) => {
        this.metrics.mqttThrottleDropped.inc({ family });
        this.metrics.mqttThrottleDroppedBytes.inc(bytes);
        this.metrics.rejectedInput('mqtt', family, 'throttled');
      },
      throttleDisconnected: (s, dropped) => this.disconnected(s, dropped),
    };
  }

  onApplicationShutdown(): void {
    for (const t of this.clearTimers.values()) clearTimeout(t);
    this.clearTimers.clear();
  }

  private disconnected(s: BrokerSession, dropped: number): void {
    this.metrics.mqttThrottleDisconnects.inc();
    const deviceId = s.deviceId ?? 'unknown';
    const b = this.config.mqtt.rejectionBudget;
    this.logger.warn({ deviceId, clientId: s.clientId, remoteAddress: s.remoteAddress, dropped }, 'device disconnected: it kept sending while throttled');
    void this.alarms
      .raise({
        type: INPUT_FLOOD_ALARM,
        subject: deviceId,
        sourceKind: 'device',
        sourceId: deviceId,
        params: {
          deviceId,
          clientId: s.clientId,
          remoteAddress: s.remoteAddress ?? null,
          droppedWhileThrottled: dropped,
          maxPerSec: b.maxPerSec,
          maxBytesPerSec: b.maxBytesPerSec,
          throttleMs: b.throttleMs,
        },
      })
      .catch((err: unknown) => this.logger.error({ err }, 'could not raise the input flood alarm'));
    clearTimeout(this.clearTimers.get(deviceId));
    const quietMs = 2 * b.throttleMs;
    const timer = setTimeout(() => {
      this.clearTimers.delete(deviceId);
      void this.alarms
        .clear(`${INPUT_FLOOD_ALARM}:${deviceId}`, `not disconnected again for ${quietMs / 1000} s`)
        .catch((err: unknown) => this.logger.error({ err }, 'could not clear the input flood alarm'));
    }, quietMs);
    timer.unref();
    this.clearTimers.set(deviceId, timer);
  }
}
