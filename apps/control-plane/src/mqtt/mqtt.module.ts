import { Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { DevicesModule } from '../devices/devices.module.js';
import { DeviceThrottleReporter } from './device-throttle.reporter.js';
import { IngressRouter } from './ingress.router.js';
import { MqttService } from './mqtt.service.js';

/** The embedded broker and the ingress router features register their topic handlers on. */
@Module({
  imports: [DevicesModule, AlarmsModule],
  providers: [MqttService, IngressRouter, DeviceThrottleReporter],
  exports: [MqttService, IngressRouter],
})
export class MqttModule {}
