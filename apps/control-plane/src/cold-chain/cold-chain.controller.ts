import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { ALL_ROLES, type AuthUser, CurrentUser, Roles } from '../common/auth.decorators.js';
import { jsonSchema } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
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
  @Roles(...ALL_ROLES)
  @Get('storages')
  storages(): StorageView[] {
    return this.coldChain.storagesView();
  }

  @Roles(...ALL_ROLES)
  @Get('excursions')
  excursions(@Query(new ZodPipe(ExcursionsQuery, 'query')) q: z.output<typeof ExcursionsQuery>): Promise<ExcursionView[]> {
    return this.coldChain.excursions(q);
  }

  /** A pharmacist releases or destroys a quarantined unit's stock; the unit returns to service. */
  @Roles('pharmacist', 'admin')
  @Post('excursions/:id/decision')
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
