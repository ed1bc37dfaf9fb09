/**
 * Makes visible a robot that runs low on battery and that dispatch cannot send to a charger:
 * its factsheet does not declare `startCharging` on nodes (or it published none, as a stock
 * vda-5050-lib robot does unless asked). VDA 5050 makes every action conditional on the
 * robot's capability, so dispatch does not send it a charge mission it could only stand out;
 * without this alarm it would drain unnoticed. One alarm per robot (key
 * `robot.cannot_charge:{robotId}`), raised once and cleared when the robot charges, declares
 * startCharging, or its battery is back above the low-battery threshold. Evaluated by each
 * dispatch round, on the robots as that round saw them.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { capabilityProblem, type DispatchRobot } from '#domain';
import { AlarmsService } from '../alarms/alarms.service.js';
import { LOGGER } from '../common/logger.js';
import { RobotStateService } from './robot-state.service.js';

/** What a charge mission's stop sends: startCharging, and no compartment. */
export const CHARGE_NEEDS = { actions: ['startCharging'], compartments: [] };

@Injectable()
export class RobotChargeCheck {
  /** robots whose alarm this server raised, so a robot that stays low is not re-raised each round */
  private readonly raised = new Set<string>();

  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly alarms: AlarmsService,
    private readonly robots: RobotStateService,
  ) {}

  /** Raises or clears each robot's alarm; a robot offline or silent is left as it was. */
  check(robots: readonly DispatchRobot[], lowBatteryPct: number): void {
    for (const r of robots) {
      const key = `robot.cannot_charge:${r.id}`;
      const gap = capabilityProblem(r, { needs: CHARGE_NEEDS });
      if (r.charging || !gap || r.batteryPct >= lowBatteryPct) {
        this.raised.delete(r.id);
        // also an alarm raised before a restart: the open set is loaded from the database
        if (this.alarms.isOpen(key)) {
          const why = r.charging ? 'the robot is charging' : !gap ? 'the robot declares startCharging' : 'the battery is above the low-battery threshold';
          void this.alarms.clear(key, why).catch(() => undefined);
        }
        continue;
      }
      if (!r.online || (this.raised.has(r.id) && this.alarms.isOpen(key))) continue;
      this.raised.add(r.id);
      const live = this.robots.get(r.id);
      this.logger.warn({ deviceId: r.id, batteryPct: r.batteryPct, detail: gap.detail }, 'low robot cannot be sent to charge');
      void this.alarms
        .raise({
          type: 'robot.cannot_charge',
          subject: r.id,
          sourceKind: 'robot',
          sourceId: r.id,
          params: {
            robot: live ? `${live.manufacturer}/${live.serialNumber}` : r.id,
            batteryPct: r.batteryPct,
            lowBatteryPct,
            noFactsheet: gap.noFactsheet,
          },
        })
        .catch((err: unknown) => this.logger.error({ err }, 'could not raise cannot charge alarm'));
    }
  }
}
