import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { READ_ROLES, type AuthUser, CurrentUser, Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { ApiErrors, jsonSchema } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { DiscrepanciesQuery, DiscrepancyIdParam, ResolveDiscrepancySchema, type ResolveDiscrepancy } from './cabinet.dto.js';
import { PocketRecordsService, type DiscrepancyView } from './pocket-records.service.js';
import { Idempotent } from '../common/idempotency.js';

@ApiTags('cabinets')
@ApiBearerAuth()
@Idempotent()
@Controller('api/discrepancies')
export class DiscrepanciesController {
  constructor(private readonly records: PocketRecordsService) {}

  /** Count discrepancies (default: open ones), newest first. */
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'List count discrepancies (default: open), newest first' })
  @ApiErrors({ forbidden: ['ward_forbidden'] }) // ?ward= of a ward the caller is not assigned to
  @Get()
  @WardScope.filtered('PocketRecordsService.discrepancies keeps the discrepancies of cabinets in the caller’s wards')
  list(@Query(new ZodPipe(DiscrepanciesQuery, 'query')) q: z.output<typeof DiscrepanciesQuery>, @CurrentUser() user: AuthUser): Promise<DiscrepancyView[]> {
    return this.records.discrepancies(q, user);
  }

  /** A pharmacist closes a discrepancy with a reason: accept the count (stock adjusted) or keep the expected quantity. */
  @Roles('pharmacist', 'admin')
  @ApiOperation({ summary: 'Resolve a count discrepancy, with a reason' })
  @ApiErrors({ not_found: ['discrepancy_not_found', 'pocket_not_found'], rule: ['no_open_discrepancy', 'adjustment_lot_required', 'reason_required'] })
  @Post(':id/resolve')
  @WardScope.allWards('the pharmacy resolves discrepancies on every ward')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(ResolveDiscrepancySchema) })
  resolve(
    @Param('id', new ZodPipe(DiscrepancyIdParam, 'id')) id: string,
    @Body(new ZodPipe(ResolveDiscrepancySchema)) body: ResolveDiscrepancy,
    @CurrentUser() user: AuthUser,
  ): Promise<DiscrepancyView> {
    return this.records.resolve(id, body, user);
  }
}
