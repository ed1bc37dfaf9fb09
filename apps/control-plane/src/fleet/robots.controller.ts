import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ALL_ROLES, Roles } from '../common/auth.decorators.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { RobotsService, type RobotView } from './robots.service.js';

@ApiTags('robots')
@ApiBearerAuth()
@Controller('api/robots')
export class RobotsController {
  constructor(private readonly robots: RobotsService) {}

  /** Every registered robot with its live state (position, battery, mode, errors, mission). */
  @Roles(...ALL_ROLES)
  @Get()
  list(): Promise<RobotView[]> {
    return this.robots.list();
  }

  @Roles(...ALL_ROLES)
  @Get(':id')
  get(@Param('id', new ZodPipe(z.string().min(1).max(64), 'id')) id: string): Promise<RobotView> {
    return this.robots.get(id);
  }
}
