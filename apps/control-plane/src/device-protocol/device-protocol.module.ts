import { Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { MqttModule } from '../mqtt/mqtt.module.js';
import { DeviceCommandsController } from './device-commands.controller.js';
import { DeviceClockService } from './device-clock.service.js';
import { DeviceCommandsService } from './device-commands.service.js';
import { DeviceDirectory } from './device-directory.service.js';
import { DeviceProtocolEdge } from './device-protocol.edge.js';

/**
 * The v1 cabinet/sensor protocol on the server side, shared by the sensors and cabinets
 * features: the validating, sequence-tracking edge and its judgement of device clocks; commands with acks and time-outs; and a
 * cached view of the registry for the message path.
 */
@Module({
  imports: [MqttModule, AlarmsModule],
  controllers: [DeviceCommandsController],
  providers: [DeviceProtocolEdge, DeviceClockService, DeviceCommandsService, DeviceDirectory],
  exports: [DeviceProtocolEdge, DeviceCommandsService, DeviceDirectory],
})
export class DeviceProtocolModule {}
