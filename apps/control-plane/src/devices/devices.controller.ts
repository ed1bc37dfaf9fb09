import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { type AuthUser, CurrentUser, READ_ROLES, Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { ApiErrors, jsonSchema } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { DeviceIdParam, ListDevicesQuery, RegisterDeviceSchema, type RegisterDevice } from './device.dto.js';
import { type DeviceCredentials, DevicesService, type DeviceView } from './devices.service.js';

@ApiTags('devices')
@ApiBearerAuth()
@Controller('api/devices')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Roles('admin')
  @ApiOperation({ summary: 'Register a device and issue its MQTT credentials' })
  @Post()
  @WardScope.allWards('the device registry is kept by administrators')
  @ApiBody({ schema: jsonSchema(RegisterDeviceSchema) })
  @ApiCreatedResponse({ description: 'The device and its MQTT credentials (the password is shown only this once)' })
  register(@Body(new ZodPipe(RegisterDeviceSchema)) body: RegisterDevice): Promise<{ device: DeviceView; credentials: DeviceCredentials }> {
    return this.devices.register(body);
  }

  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'List registered devices' })
  @ApiErrors({ forbidden: ['ward_forbidden'] }) // ?ward= of a ward the caller is not assigned to
  @Get()
  @WardScope.filtered('DevicesService.list keeps the devices of the caller’s wards')
  list(@Query(new ZodPipe(ListDevicesQuery, 'query')) q: z.infer<typeof ListDevicesQuery>, @CurrentUser() user: AuthUser): Promise<DeviceView[]> {
    return this.devices.list(q, user);
  }

  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Get one device' })
  @Get(':id')
  @WardScope.resource('device')
  get(@Param('id', new ZodPipe(DeviceIdParam, 'id')) id: string): Promise<DeviceView> {
    return this.devices.get(id);
  }

  @Roles('admin')
  @ApiOperation({ summary: 'Rotate a device’s MQTT credentials' })
  @Post(':id/credentials')
  @WardScope.allWards('the device registry is kept by administrators')
  @ApiCreatedResponse({ description: 'New MQTT credentials; the old secret stops working and live sessions are dropped' })
  rotate(@Param('id', new ZodPipe(DeviceIdParam, 'id')) id: string): Promise<{ device: DeviceView; credentials: DeviceCredentials }> {
    return this.devices.rotateCredentials(id);
  }

  @Roles('admin')
  @ApiOperation({ summary: 'Revoke a device' })
  @Post(':id/revoke')
  @WardScope.allWards('the device registry is kept by administrators')
  @HttpCode(200)
  revoke(@Param('id', new ZodPipe(DeviceIdParam, 'id')) id: string): Promise<DeviceView> {
    return this.devices.revoke(id);
  }
}
