/**
 * Where doses are and were, and the pharmacist's review of a quarantined dose. Reads are
 * ward-scoped for nurses; the review is the pharmacy's, with a reason, on the custody record.
 */
import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { READ_ROLES, type AuthUser, CurrentUser, Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { Idempotent } from '../common/idempotency.js';
import { jsonSchema } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { IdParam, ReasonSchema } from './custody.dto.js';
import { DoseLocationsService } from './dose-locations.service.js';

const id = () => new ZodPipe(IdParam, 'id');

/** `?location=storage:<id>&from=…&to=…`: a location key of the dose-location grammar (a prefix ends in `:` or `/`). */
export const DosesAtQuery = z
  .strictObject({
    location: z
      .string()
      .min(1)
      .max(128)
      .regex(
        /^(pharmacy|lost|(storage|cabinet|robot|ward|bedside|courier):[^\s%]+)$/,
        'location: a location key such as storage:<fridge id> or robot:<robot id>:<compartment>',
      ),
    from: z.iso.datetime({ offset: true, message: 'from: an ISO 8601 instant' }),
    to: z.iso.datetime({ offset: true, message: 'to: an ISO 8601 instant' }).optional(),
  })
  .refine((q) => !q.to || Date.parse(q.to) >= Date.parse(q.from), { message: 'to: must not be before from', path: ['to'] });

@ApiTags('custody')
@ApiBearerAuth()
@Idempotent()
@Controller('api')
export class DoseLocationsController {
  constructor(private readonly locations: DoseLocationsService) {}

  /** Every place the dose has been, with times, where it is now, and its time out of refrigeration. */
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Get every place a dose has been, and where it is now' })
  @Get('doses/:id/locations')
  @WardScope.resource('dose')
  doseLocations(@Param('id', id()) doseId: string, @CurrentUser() u: AuthUser) {
    return this.locations.locations(doseId, u);
  }

  /** Which doses were at a place (a fridge, a compartment, a ward) at some instant between from and to. */
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Find the doses that were at a place between two instants' })
  @Get('locations/doses')
  @WardScope.filtered('DoseLocationsService.dosesAt keeps the doses of the caller’s wards’ patients')
  dosesAt(@Query(new ZodPipe(DosesAtQuery, 'query')) q: z.infer<typeof DosesAtQuery>, @CurrentUser() u: AuthUser) {
    return this.locations.dosesAt(q.location, new Date(q.from), q.to ? new Date(q.to) : null, u);
  }

  /** A pharmacist releases a quarantined dose with a reason: back into use where it is (on the ward), or into pharmacy stock. */
  @Roles('pharmacist', 'admin')
  @ApiOperation({ summary: 'Release a quarantined dose, with a reason' })
  @Post('doses/:id/release')
  @WardScope.resource('dose')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(ReasonSchema) })
  release(@Param('id', id()) doseId: string, @Body(new ZodPipe(ReasonSchema)) b: z.infer<typeof ReasonSchema>, @CurrentUser() u: AuthUser) {
    return this.locations.release(doseId, b.reason, u);
  }

  /** A pharmacist takes an unused dose back into the pharmacy (from the ward, a courier, a recalled robot). */
  @Roles('pharmacist', 'admin')
  @ApiOperation({ summary: 'Take an unused dose back into the pharmacy' })
  @Post('doses/:id/return')
  @WardScope.resource('dose')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(ReasonSchema) })
  returnToPharmacy(@Param('id', id()) doseId: string, @Body(new ZodPipe(ReasonSchema)) b: z.infer<typeof ReasonSchema>, @CurrentUser() u: AuthUser) {
    return this.locations.returnToPharmacy(doseId, b.reason, u);
  }

  /** A pharmacist destroys a quarantined dose, with the reason. */
  @Roles('pharmacist', 'admin')
  @ApiOperation({ summary: 'Destroy a quarantined dose, with a reason' })
  @Post('doses/:id/destroy')
  @WardScope.resource('dose')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(ReasonSchema) })
  destroy(@Param('id', id()) doseId: string, @Body(new ZodPipe(ReasonSchema)) b: z.infer<typeof ReasonSchema>, @CurrentUser() u: AuthUser) {
    return this.locations.destroy(doseId, b.reason, u);
  }
}
