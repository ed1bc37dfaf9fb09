import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { READ_ROLES, type AuthUser, CurrentUser, Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { jsonSchema } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { filterInWardScope } from '#domain';
import { ColdChainService, type ExcursionView, type StorageView } from './cold-chain.service.js';
import { DecideQuarantineSchema, ExcursionIdParam, ExcursionsQuery } from './cold-chain.dto.js';
import { Idempotent } from '../common/idempotency.js';

@ApiTags('cold-chain')
@ApiBearerAuth()
@Idempotent()
@Controller('api/cold-chain')
export class ColdChainController {
  constructor(private readonly coldChain: ColdChainService) {}

  /** Every storage unit the cold chain has heard of, with its status. */
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'List the cold-chain storage units with their status' })
  @Get('storages')
  @WardScope.filtered('ColdChainService.storagesView keeps the storages of the caller’s wards')
  storages(@CurrentUser() user: AuthUser): StorageView[] {
    return filterInWardScope(user, this.coldChain.storagesView(), (s) => s.ward);
  }

  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'List temperature excursions' })
  @Get('excursions')
  @WardScope.filtered('ColdChainService.excursions keeps the excursions of the caller’s wards’ storages')
  excursions(@Query(new ZodPipe(ExcursionsQuery, 'query')) q: z.output<typeof ExcursionsQuery>, @CurrentUser() user: AuthUser): Promise<ExcursionView[]> {
    return this.coldChain.excursions(q, user);
  }

  /** A pharmacist releases or destroys a quarantined unit's stock; the unit returns to service. */
  @Roles('pharmacist', 'admin')
  @ApiOperation({ summary: 'Release or destroy the stock of a quarantined unit' })
  @Post('excursions/:id/decision')
  @WardScope.resource('excursion')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(DecideQuarantineSchema) })
  decide(
    @Param('id', new ZodPipe(ExcursionIdParam, 'id')) id: string,
    @Body(new ZodPipe(DecideQuarantineSchema)) body: z.output<typeof DecideQuarantineSchema>,
    @CurrentUser() user: AuthUser,
  ): Promise<ExcursionView> {
    return this.coldChain.decide(id, body.disposition, user);
  }
}
