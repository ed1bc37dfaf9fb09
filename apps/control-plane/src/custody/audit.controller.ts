import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi.js';
import { READ_ROLES, Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { AuditService } from './audit.service.js';
import { IdParam } from './custody.dto.js';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('api')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  /** A dose's whole custody chain, each event with its hash and the link to the previous one. */
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Get a dose’s custody chain with its hashes' })
  @ApiErrors({ not_found: ['dose_not_found'] })
  @Get('doses/:id/timeline')
  @WardScope.resource('dose')
  timeline(@Param('id', new ZodPipe(IdParam, 'id')) id: string) {
    return this.audit.timeline(id);
  }

  /** FHIR R4 Bundle: Patient, Medication, MedicationRequest/Dispense/Administration, Task, Provenance. */
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Export a dose’s custody as a FHIR R4 Bundle' })
  @ApiErrors({ not_found: ['dose_not_found'] })
  @Get('doses/:id/fhir')
  @WardScope.resource('dose')
  doseFhir(@Param('id', new ZodPipe(IdParam, 'id')) id: string) {
    return this.audit.fhirForDose(id);
  }

  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Export a delivery’s custody as a FHIR R4 Bundle' })
  @ApiErrors({ not_found: ['delivery_not_found'] })
  @Get('deliveries/:id/fhir')
  @WardScope.resource('delivery')
  deliveryFhir(@Param('id', new ZodPipe(IdParam, 'id')) id: string) {
    return this.audit.fhirForDelivery(id);
  }

  /** GS1 EPCIS 2.0 JSON-LD document of the custody chain. */
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Export a dose’s custody as a GS1 EPCIS 2.0 document' })
  @ApiErrors({ not_found: ['dose_not_found'] })
  @Get('doses/:id/epcis')
  @WardScope.resource('dose')
  doseEpcis(@Param('id', new ZodPipe(IdParam, 'id')) id: string) {
    return this.audit.epcisForDose(id);
  }

  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Export a delivery’s custody as a GS1 EPCIS 2.0 document' })
  @ApiErrors({ not_found: ['delivery_not_found'] })
  @Get('deliveries/:id/epcis')
  @WardScope.resource('delivery')
  deliveryEpcis(@Param('id', new ZodPipe(IdParam, 'id')) id: string) {
    return this.audit.epcisForDelivery(id);
  }
}
