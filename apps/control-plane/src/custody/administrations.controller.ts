/**
 * Review of bedside overrides: the list a pharmacist works through (filtered by review state,
 * paged, with the drug, patient, ward, failed rights, reason and who overrode) and the review
 * itself, audited on the custody chain. Recording an administration stays on
 * POST /api/administrations (custody.controller.ts). Each handler makes one call.
 */
import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { type AuthUser, CurrentUser, Roles } from '../common/auth.decorators.js';
import { Idempotent } from '../common/idempotency.js';
import { jsonSchema } from '../common/openapi.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { IdParam, OverrideReviewSchema, OverridesQuerySchema } from './custody.dto.js';
import { OverrideReviewService } from './override-review.service.js';

@ApiTags('custody')
@ApiBearerAuth()
@Idempotent()
@Controller('api/administrations')
export class AdministrationsController {
  constructor(private readonly reviews: OverrideReviewService) {}

  /** Overrides, newest first: `?reviewed=false` for those waiting, `limit`/`offset` to page; `total` counts them all. */
  @Roles('ward_pharmacist', 'pharmacist', 'admin', 'safety_officer')
  @ApiOperation({ summary: 'List administration overrides, newest first' })
  @Get('overrides')
  @WardScope.filtered('OverrideReviewService.list keeps the overrides of patients on the caller’s wards')
  overrides(@Query(new ZodPipe(OverridesQuerySchema, 'query')) q: z.infer<typeof OverridesQuerySchema>, @CurrentUser() u: AuthUser) {
    return this.reviews.list(q, u);
  }

  /**
   * A pharmacist reviews one override (`:id` is the administration slot's, as the list answers
   * it). A clinical judgement: pharmacists only, not the system administrator.
   */
  @Roles('ward_pharmacist', 'pharmacist')
  @ApiOperation({ summary: 'Review an administration override (pharmacists only)' })
  @Post(':id/review')
  @WardScope.resource('administration-slot')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(OverrideReviewSchema) })
  review(
    @Param('id', new ZodPipe(IdParam, 'id')) id: string,
    @Body(new ZodPipe(OverrideReviewSchema)) b: z.infer<typeof OverrideReviewSchema>,
    @CurrentUser() u: AuthUser,
  ) {
    return this.reviews.review(id, b, u);
  }
}
