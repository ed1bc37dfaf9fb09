import { Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { ColdChainController } from './cold-chain.controller.js';
import { COLD_CHAIN_QUARANTINE, ColdChainHooks } from './cold-chain.hooks.js';
import { ColdChainService } from './cold-chain.service.js';

/**
 * The cold chain of every storage unit (ward fridges, refrigerated cabinet drawers, robot
 * compartments): the sensors and cabinets features feed it temperatures, it keeps each unit's
 * excursion state and announces excursions and quarantines on the event bus.
 */
@Module({
  imports: [AlarmsModule],
  controllers: [ColdChainController],
  providers: [ColdChainHooks, { provide: COLD_CHAIN_QUARANTINE, useExisting: ColdChainHooks }, ColdChainService],
  exports: [ColdChainService, COLD_CHAIN_QUARANTINE],
})
export class ColdChainModule {}
