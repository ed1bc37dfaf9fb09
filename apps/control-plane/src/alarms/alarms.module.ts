import { Module } from '@nestjs/common';
import { AlarmsController } from './alarms.controller.js';
import { AlarmsService } from './alarms.service.js';

/** The alarm service and its REST views; features raise and clear alarms through it. */
@Module({
  controllers: [AlarmsController],
  providers: [AlarmsService],
  exports: [AlarmsService],
})
export class AlarmsModule {}
