import { Module } from '@nestjs/common';
import { DevicePresenceService } from './device-presence.service.js';
import { DevicesController } from './devices.controller.js';
import { DevicesService } from './devices.service.js';

/** The device registry, credentials, and online/offline presence. */
@Module({
  controllers: [DevicesController],
  providers: [DevicesService, DevicePresenceService],
  exports: [DevicesService, DevicePresenceService],
})
export class DevicesModule {}
