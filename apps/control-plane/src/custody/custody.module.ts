import { Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { FleetModule } from '../fleet/fleet.module.js';
import { ColdChainModule } from '../cold-chain/cold-chain.module.js';
import { AdministrationSlotsService } from './administration-slots.service.js';
import { DoseTimelinessService } from './dose-timeliness.service.js';
import { AdministrationsController } from './administrations.controller.js';
import { AuditEventsController } from './audit-events.controller.js';
import { AuditController } from './audit.controller.js';
import { AuditService } from './audit.service.js';
import { BedsideService } from './bedside.service.js';
import { CatalogService } from './catalog.service.js';
import { CustodyLedger } from './custody-ledger.service.js';
import { CustodyLinksService } from './custody-links.service.js';
import { CustodyTransitions } from './custody-transitions.js';
import { CustodyController } from './custody.controller.js';
import { DeliveryPharmacyService } from './delivery-pharmacy.service.js';
import { DeliveryTrackingService } from './delivery-tracking.service.js';
import { DeliveryWardService } from './delivery-ward.service.js';
import { DoseLocationsController } from './dose-locations.controller.js';
import { DoseLocationsService } from './dose-locations.service.js';
import { CustodyOrderStopService } from './order-stop.service.js';
import { OrdersService } from './orders.service.js';
import { OverrideReviewService } from './override-review.service.js';
import { Refusals } from './refusals.js';
import { WardRefusalRecorder } from '../common/ward-scope.guard.js';
import { StorageDirectory } from './storages.js';
import { RobotLoadingGate } from './robot-loading-gate.js';

/**
 * Closed-loop drug custody: orders, doses, deliveries, bedside, and the hash-chained audit.
 * Every dose and delivery move goes through CustodyTransitions (machine check, persisted with
 * its custody event, announced after commit). Depends downward on fleet, alarms and the cold
 * chain; the cabinets feature reads order status from the database and needs nothing of custody.
 */
@Module({
  imports: [FleetModule, AlarmsModule, ColdChainModule],
  controllers: [CustodyController, AdministrationsController, DoseLocationsController, AuditController, AuditEventsController],
  providers: [
    CustodyLedger,
    CustodyTransitions,
    CatalogService,
    OrdersService,
    RobotLoadingGate,
    DeliveryPharmacyService,
    DeliveryWardService,
    DeliveryTrackingService,
    AdministrationSlotsService,
    DoseTimelinessService,
    CustodyOrderStopService,
    BedsideService,
    OverrideReviewService,
    AuditService,
    CustodyLinksService,
    DoseLocationsService,
    StorageDirectory,
    Refusals,
    // the ward-scope guard writes refused writes on the chain through it
    { provide: WardRefusalRecorder, useExisting: Refusals },
  ],
  exports: [AuditService, CustodyLedger, DeliveryTrackingService, OrdersService, Refusals, WardRefusalRecorder],
})
export class CustodyModule {}
