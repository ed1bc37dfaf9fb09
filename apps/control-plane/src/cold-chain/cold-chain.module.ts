import { Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { ColdChainController } from './cold-chain.controller.js';
import { ColdChainService } from './cold-chain.service.js';
import { RobotCompartmentTemperatures } from './robot-compartment-temperatures.js';

/**
 * The cold chain of every storage unit (ward fridges, refrigerated cabinet drawers, robot
 * compartments): the sensors and cabinets features feed it temperatures, robot states feed
 * the refrigerated compartments' (robot-compartment-temperatures.ts), it keeps each unit's
 * excursion state and announces excursions and quarantines on the event bus (custody hears
 * a quarantine, quarantines the exposed doses and reports their count back through
 * ColdChainService.recordDosesQuarantined).
 */
@Module({
  imports: [AlarmsModule],
  controllers: [ColdChainController],
  providers: [ColdChainService, RobotCompartmentTemperatures],
  exports: [ColdChainService],
})
export class ColdChainModule {}
