import { Module } from '@nestjs/common';
import { AlarmEngineModule } from '../alarm-engine/alarm-engine.module.js';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { ColdChainModule } from '../cold-chain/cold-chain.module.js';
import { DeviceProtocolModule } from '../device-protocol/device-protocol.module.js';
import { SensorIngress } from './sensor-ingress.js';
import { SensorStateService } from './sensor-state.service.js';
import { SensorsController } from './sensors.controller.js';
import { SensorsQueryService } from './sensors-query.service.js';
import { TelemetryStore } from './telemetry-store.service.js';

/**
 * Ward sensors: live values, the telemetry time series (batched writes, rollups, retention)
 * and alarm-rule evaluation of readings; fridge temperatures feed the cold chain.
 */
@Module({
  imports: [DeviceProtocolModule, ColdChainModule, AlarmsModule, AlarmEngineModule],
  controllers: [SensorsController],
  providers: [TelemetryStore, SensorStateService, SensorsQueryService, SensorIngress],
})
export class SensorsModule {}
