import { Module } from '@nestjs/common';
import { AlarmEngineModule } from '../alarm-engine/alarm-engine.module.js';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { CustodyModule } from '../custody/custody.module.js';
import { ColdChainModule } from '../cold-chain/cold-chain.module.js';
import { DeviceProtocolModule } from '../device-protocol/device-protocol.module.js';
import { CabinetIngress } from './cabinet-ingress.js';
import { CabinetStateService } from './cabinet-state.service.js';
import { CabinetsController } from './cabinets.controller.js';
import { CabinetsService } from './cabinets.service.js';
import { DiscrepanciesController } from './discrepancies.controller.js';
import { PocketAccessService } from './pocket-access.service.js';
import { PocketActionsController } from './pocket-actions.controller.js';
import { PocketLedgerService } from './pocket-ledger.service.js';
import { PocketRecordsService } from './pocket-records.service.js';
import { RecallsController } from './recalls.controller.js';
import { RecallsService } from './recalls.service.js';
import { WitnessService } from './witness.service.js';

/**
 * Smart medication cabinets: live state from the v1 protocol, pocket configuration, the
 * append-only inventory ledger (remove, return, waste, restock, count, override, cancel),
 * unlock commands gated by ward and verified order (the order's status is read from the
 * shared database, not asked of custody), discrepancies and lot recalls. Exports the ledger.
 */
@Module({
  // CustodyModule: refused cabinet acts and recalls are written on the custody chain (Refusals)
  imports: [DeviceProtocolModule, ColdChainModule, AlarmsModule, AlarmEngineModule, CustodyModule],
  controllers: [CabinetsController, PocketActionsController, DiscrepanciesController, RecallsController],
  providers: [
    PocketLedgerService,
    CabinetStateService,
    CabinetIngress,
    WitnessService,
    PocketAccessService,
    PocketRecordsService,
    RecallsService,
    CabinetsService,
  ],
  exports: [PocketLedgerService],
})
export class CabinetsModule {}
