import { Module } from '@nestjs/common';
import { AlarmEngineModule } from '../alarm-engine/alarm-engine.module.js';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { ColdChainController } from './cold-chain.controller.js';
import { COLD_CHAIN_QUARANTINE, ColdChainHooks } from './cold-chain.hooks.js';
import { ColdChainService } from './cold-chain.service.js';
import { DeviceProtocolModule } from './device-protocol.module.js';
import { SensorIngress } from './sensor-ingress.js';
import { SensorStateService } from './sensor-state.service.js';
import { SensorsController } from './sensors.controller.js';
import { SensorsQueryService } from './sensors-query.service.js';
import { TelemetryStore } from './telemetry-store.service.js';

/**
 * Ward sensors and the cold chain: live values, the telemetry time series (batched writes,
 * rollups, retention), alarm-rule evaluation of readings, and the cold-chain state of every
 * storage unit. Exports ColdChainService (robot compartments feed it via `record`) and the
 * COLD_CHAIN_QUARANTINE hook registry that custody implements (see cold-chain.hooks.ts).
 */
@Module({
  imports: [DeviceProtocolModule, AlarmsModule, AlarmEngineModule],
  controllers: [SensorsController, ColdChainController],
  providers: [
    TelemetryStore,
    ColdChainHooks,
    { provide: COLD_CHAIN_QUARANTINE, useExisting: ColdChainHooks },
    ColdChainService,
    SensorStateService,
    SensorsQueryService,
    SensorIngress,
  ],
  exports: [ColdChainService, COLD_CHAIN_QUARANTINE, TelemetryStore, DeviceProtocolModule],
})
export class SensorsModule {}
