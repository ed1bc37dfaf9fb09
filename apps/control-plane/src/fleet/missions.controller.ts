import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { READ_ROLES, type AuthUser, CurrentUser, Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
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
  @ApiOperation({ summary: 'Create a robot mission' })
  @Post()
  @WardScope.allWards('missions are created by the pharmacy')
  @ApiBody({ schema: jsonSchema(CreateMissionSchema) })
  create(@Body(new ZodPipe(CreateMissionSchema)) body: CreateMission, @CurrentUser() user: AuthUser): Promise<MissionView> {
    return this.missions.create(body, user);
  }

  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'List missions' })
  @Get()
  @WardScope.filtered('MissionsService.list keeps the missions carrying the caller’s wards’ cargo')
  list(@Query(new ZodPipe(ListMissionsQuery, 'query')) q: z.infer<typeof ListMissionsQuery>, @CurrentUser() user: AuthUser): Promise<MissionView[]> {
    return this.missions.list(q, user);
  }

  /** The mission's derived status and its whole history. */
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Get one mission with its history' })
  @Get(':id')
  @WardScope.resource('mission')
  get(@Param('id', new ZodPipe(MissionIdParam, 'id')) id: string): Promise<MissionView> {
    return this.missions.get(id);
  }

  @Roles('pharmacist', 'admin')
  @ApiOperation({ summary: 'Cancel a mission' })
  @Post(':id/cancel')
  @WardScope.resource('mission')
  @HttpCode(200)
  cancel(@Param('id', new ZodPipe(MissionIdParam, 'id')) id: string, @CurrentUser() user: AuthUser): Promise<MissionView> {
    return this.missions.cancel(id, user);
  }

  @Roles('pharmacist', 'admin')
  @ApiOperation({ summary: 'Pause a mission' })
  @Post(':id/pause')
  @WardScope.resource('mission')
  @HttpCode(200)
  pause(@Param('id', new ZodPipe(MissionIdParam, 'id')) id: string, @CurrentUser() user: AuthUser): Promise<MissionView> {
    return this.missions.pause(id, user, true);
  }

  @Roles('pharmacist', 'admin')
  @ApiOperation({ summary: 'Resume a paused mission' })
  @Post(':id/resume')
  @WardScope.resource('mission')
  @HttpCode(200)
  resume(@Param('id', new ZodPipe(MissionIdParam, 'id')) id: string, @CurrentUser() user: AuthUser): Promise<MissionView> {
    return this.missions.pause(id, user, false);
  }
}
