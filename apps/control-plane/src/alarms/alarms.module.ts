import { Module } from '@nestjs/common';
import { AlarmConditionsService } from './alarm-conditions.service.js';
import { AlarmsController } from './alarms.controller.js';
import { AlarmsService } from './alarms.service.js';

/**
 * The alarm service and its REST views; features raise and clear alarms through it, by the
 * alarm catalogue (libs/domain/alarms). Condition clears the raising feature does not see
 * are drawn from bus events here (AlarmConditionsService).
 */
@Module({
  controllers: [AlarmsController],
  providers: [AlarmsService, AlarmConditionsService],
  exports: [AlarmsService],
})
export class AlarmsModule {}
