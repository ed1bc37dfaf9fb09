import { Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { MqttModule } from '../mqtt/mqtt.module.js';
import { FleetDispatcher } from './fleet-dispatcher.service.js';
import { MissionsController } from './missions.controller.js';
import { MissionsService } from './missions.service.js';
import { RobotCommandsService } from './robot-commands.service.js';
import { RobotIngress } from './robot-ingress.js';
import { RobotStateService } from './robot-state.service.js';
import { RobotsController } from './robots.controller.js';
import { RobotsService } from './robots.service.js';

/** The robot fleet: live VDA 5050 state, missions, dispatch and order delivery. */
@Module({
  imports: [MqttModule, AlarmsModule],
  controllers: [RobotsController, MissionsController],
  providers: [RobotStateService, RobotIngress, RobotCommandsService, FleetDispatcher, MissionsService, RobotsService],
  exports: [RobotStateService, RobotCommandsService, FleetDispatcher, MissionsService],
})
export class FleetModule {}
