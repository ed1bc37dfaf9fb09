import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { ALL_ROLES, type AuthUser, CurrentUser, Roles } from '../common/auth.decorators.js';
import { jsonSchema } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { CreateMissionSchema, type CreateMission, ListMissionsQuery, MissionIdParam } from './mission.dto.js';
import { MissionsService, type MissionView } from './missions.service.js';

@ApiTags('missions')
@ApiBearerAuth()
@Controller('api/missions')
export class MissionsController {
  constructor(private readonly missions: MissionsService) {}

  /** Queues a transport mission; the dispatcher assigns a robot (stat before urgent before routine). */
  @Roles('pharmacist', 'admin')
  @Post()
  @ApiBody({ schema: jsonSchema(CreateMissionSchema) })
  create(@Body(new ZodPipe(CreateMissionSchema)) body: CreateMission, @CurrentUser() user: AuthUser): Promise<MissionView> {
    return this.missions.create(body, user);
  }

  @Roles(...ALL_ROLES)
  @Get()
  list(@Query(new ZodPipe(ListMissionsQuery, 'query')) q: z.infer<typeof ListMissionsQuery>): Promise<MissionView[]> {
    return this.missions.list(q);
  }

  /** The mission's derived status and its whole history. */
  @Roles(...ALL_ROLES)
  @Get(':id')
  get(@Param('id', new ZodPipe(MissionIdParam, 'id')) id: string): Promise<MissionView> {
    return this.missions.get(id);
  }

  @Roles('pharmacist', 'admin')
  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@Param('id', new ZodPipe(MissionIdParam, 'id')) id: string, @CurrentUser() user: AuthUser): Promise<MissionView> {
    return this.missions.cancel(id, user);
  }

  @Roles('pharmacist', 'admin')
  @Post(':id/pause')
  @HttpCode(200)
  pause(@Param('id', new ZodPipe(MissionIdParam, 'id')) id: string, @CurrentUser() user: AuthUser): Promise<MissionView> {
    return this.missions.pause(id, user, true);
  }

  @Roles('pharmacist', 'admin')
  @Post(':id/resume')
  @HttpCode(200)
  resume(@Param('id', new ZodPipe(MissionIdParam, 'id')) id: string, @CurrentUser() user: AuthUser): Promise<MissionView> {
    return this.missions.pause(id, user, false);
  }
}
