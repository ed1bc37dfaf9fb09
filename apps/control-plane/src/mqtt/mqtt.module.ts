import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module.js';
import { IngressRouter } from './ingress.router.js';
import { MqttService } from './mqtt.service.js';

/** The embedded broker and the ingress router features register their topic handlers on. */
@Module({
  imports: [DevicesModule],
  providers: [MqttService, IngressRouter],
  exports: [MqttService, IngressRouter],
})
export class MqttModule {}
