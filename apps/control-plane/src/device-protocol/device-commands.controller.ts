import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { READ_ROLES, Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { DeviceCommandsService, type CommandView } from './device-commands.service.js';

const CommandId = z.uuid({ message: 'id must be a UUID' });

@ApiTags('devices')
@ApiBearerAuth()
@Controller('api/device-commands')
export class DeviceCommandsController {
  constructor(private readonly commands: DeviceCommandsService) {}

  /** One command to a cabinet or sensor: pending, done, refused, failed or timed_out. */
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Get one device command and its outcome' })
  @Get(':id')
  @WardScope.resource('device-command')
  get(@Param('id', new ZodPipe(CommandId, 'id')) id: string): Promise<CommandView> {
    return this.commands.get(id);
  }
}
