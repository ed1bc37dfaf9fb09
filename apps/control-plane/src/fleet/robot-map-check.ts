/**
 * Flags a robot whose state contradicts the site about which map it is on (libs/domain
 * mapMismatch): an alarm while it lasts, cleared when a consistent state arrives, and every
 * such state counted. The state itself still applies: the robot's position is what it reports,
 * and hiding it would be worse; the contradiction is made visible instead of silently accepted.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import type { State } from '#contracts';
import { mapMismatch } from '#domain';
import { AlarmsService } from '../alarms/alarms.service.js';
import { EventBus } from '../common/events.js';
import { LOGGER } from '../common/logger.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { SiteService } from '../site/site.service.js';
import { RobotStateService } from './robot-state.service.js';

@Injectable()
export class RobotMapCheck implements OnApplicationBootstrap, OnModuleDestroy {
  /** the mismatch last raised per robot, so a robot that keeps reporting it is not re-raised per state */
  private readonly raised = new Map<string, string>();
  private sub: Subscription | undefined;

  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly alarms: AlarmsService,
    private readonly metrics: MetricsService,
    private readonly site: SiteService,
    private readonly robots: RobotStateService,
    private readonly bus: EventBus,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.bus.on('robot.state').subscribe(({ deviceId, state }) => this.check(deviceId, state));
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  check(deviceId: string, state: State): void {
    const key = `robot.map_mismatch:${deviceId}`;
    const m = mapMismatch(this.site.graph, state);
    if (!m) {
      this.raised.delete(deviceId);
      // also an alarm raised before a restart: the open set is loaded from the database
      if (this.alarms.isOpen(key)) void this.alarms.clear(key, 'the robot reports a map consistent with its nodes').catch(() => undefined);
      return;
    }
    this.metrics.robotMapMismatch.inc({ robot: deviceId });
    const what = `${m.field}\u0000${m.nodeId}\u0000${m.reportedMapId}`;
    if (this.raised.get(deviceId) === what && this.alarms.isOpen(key)) return;
    this.raised.set(deviceId, what);
    const r = this.robots.get(deviceId);
    this.logger.warn({ deviceId, ...m }, 'robot reports a node with another map');
    void this.alarms
      .raise({
        type: 'robot.map_mismatch',
        subject: deviceId,
        sourceKind: 'robot',
        sourceId: deviceId,
        params: {
          robot: r ? `${r.manufacturer}/${r.serialNumber}` : deviceId,
          nodeId: m.nodeId,
          field: m.field,
          nodeMapId: m.nodeMapId,
          reportedMapId: m.reportedMapId,
        },
      })
      .catch((err: unknown) => this.logger.error({ err }, 'could not raise map mismatch alarm'));
  }
}
