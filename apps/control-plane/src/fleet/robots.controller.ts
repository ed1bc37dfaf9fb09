import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi.js';
import { z } from 'zod';
import { READ_ROLES, Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { RobotsService, type RobotView } from './robots.service.js';

@ApiTags('robots')
@ApiBearerAuth()
@Controller('api/robots')
export class RobotsController {
  constructor(private readonly robots: RobotsService) {}

  /** Every registered robot with its live state (position, battery, mode, errors, mission). */
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'List robots with their live state' })
  @Get()
  @WardScope.none('the shared robot fleet: positions and state, no ward data')
  list(): Promise<RobotView[]> {
    return this.robots.list();
  }

  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Get one robot' })
  @ApiErrors({ not_found: ['robot_not_found'] })
  @Get(':id')
  @WardScope.none('the shared robot fleet: positions and state, no ward data')
  get(@Param('id', new ZodPipe(z.string().min(1).max(64), 'id')) id: string): Promise<RobotView> {
    return this.robots.get(id);
  }
}
