import { Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { MqttModule } from '../mqtt/mqtt.module.js';
import { ActiveMissions } from './active-missions.js';
import { DispatchRound } from './dispatch-round.js';
import { MissionLifecycle } from './mission-lifecycle.js';
import { MissionProgress } from './mission-progress.js';
import { MissionsController } from './missions.controller.js';
import { MissionsService } from './missions.service.js';
import { OrderChannel } from './order-channel.js';
import { RobotCommandsService } from './robot-commands.service.js';
import { RobotConfirmations } from './robot-confirmations.js';
import { RobotFactsheets } from './robot-factsheets.js';
import { RobotIngress } from './robot-ingress.js';
import { RobotChargeCheck } from './robot-charge-check.js';
import { RobotMapCheck } from './robot-map-check.js';
import { RobotStateService } from './robot-state.service.js';
import { RobotsController } from './robots.controller.js';
import { RobotsService } from './robots.service.js';

/** The robot fleet: live VDA 5050 state, missions, dispatch and order delivery. */
@Module({
  imports: [MqttModule, AlarmsModule],
  controllers: [RobotsController, MissionsController],
  providers: [
    RobotStateService,
    RobotFactsheets,
    RobotIngress,
    RobotMapCheck,
    RobotChargeCheck,
    RobotCommandsService,
    RobotConfirmations,
    ActiveMissions,
    MissionLifecycle,
    OrderChannel,
    MissionProgress,
    DispatchRound,
    MissionsService,
    RobotsService,
  ],
  exports: [RobotStateService, RobotCommandsService, ActiveMissions, MissionLifecycle, MissionProgress, DispatchRound, MissionsService],
})
export class FleetModule {}
