import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { READ_ROLES, type AuthUser, CurrentUser, Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { SensorsQueryService } from './sensors-query.service.js';
import { ReadingsQuery, SensorIdParam, WardParam } from './sensor.dto.js';
import type { SensorView } from './sensor-state.service.js';
import type { SeriesPoint } from './telemetry-store.service.js';

@ApiTags('sensors')
@ApiBearerAuth()
@Controller('api')
export class SensorsController {
  constructor(private readonly sensors: SensorsQueryService) {}

  /** Every ward sensor with its latest values (nurses: their wards only). */
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'List ward sensors with their latest values' })
  @Get('sensors')
  @WardScope.filtered('SensorStateService.list keeps the sensors of the caller’s wards')
  list(@CurrentUser() user: AuthUser): Promise<SensorView[]> {
    return this.sensors.list(user);
  }

  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Get one sensor' })
  @Get('sensors/:id')
  @WardScope.resource('sensor')
  get(@Param('id', new ZodPipe(SensorIdParam, 'id')) id: string, @CurrentUser() user: AuthUser): Promise<SensorView> {
    return this.sensors.get(id, user);
  }

  /** The time series: raw readings, or per-minute min/avg/max (`resolution=1m`). */
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Read a sensor’s time series (raw or per minute)' })
  @Get('sensors/:id/readings')
  @WardScope.resource('sensor')
  readings(
    @Param('id', new ZodPipe(SensorIdParam, 'id')) id: string,
    @Query(new ZodPipe(ReadingsQuery, 'query')) q: z.output<typeof ReadingsQuery>,
    @CurrentUser() user: AuthUser,
  ): Promise<SeriesPoint[]> {
    return this.sensors.readings(id, q, user);
  }

  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'List a ward’s sensors' })
  @Get('wards/:ward/sensors')
  @WardScope.ward('ward')
  ofWard(@Param('ward', new ZodPipe(WardParam, 'ward')) ward: string, @CurrentUser() user: AuthUser): Promise<SensorView[]> {
    return this.sensors.list(user, ward);
  }
}
