import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { READ_ROLES, type AuthUser, CurrentUser, Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { jsonSchema } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import type { CommandView } from '../device-protocol/device-commands.service.js';
import { RecallSchema, type RecallInput } from './cabinet.dto.js';
import { RecallsService, type RecallView } from './recalls.service.js';
import { Idempotent } from '../common/idempotency.js';

@ApiTags('cabinets')
@ApiBearerAuth()
@Idempotent()
@Controller('api/recalls')
export class RecallsController {
  constructor(private readonly recalls: RecallsService) {}

  /** Recalls a lot: refused by every pocket's ledger and locked in every cabinet (one command each, reported). */
  @Roles('pharmacist', 'admin')
  @ApiOperation({ summary: 'Recall a lot in every cabinet' })
  @Post()
  @WardScope.allWards('a recall locks a lot in every cabinet of the hospital')
  @ApiBody({ schema: jsonSchema(RecallSchema) })
  recall(@Body(new ZodPipe(RecallSchema)) body: RecallInput, @CurrentUser() user: AuthUser): Promise<RecallView & { commands: CommandView[] }> {
    return this.recalls.recall(body, user);
  }

  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'List recalls' })
  @Get()
  @WardScope.filtered('RecallsService.list lists only the affected pockets of cabinets in the caller’s wards')
  list(@CurrentUser() user: AuthUser): Promise<RecallView[]> {
    return this.recalls.list(user);
  }
}
