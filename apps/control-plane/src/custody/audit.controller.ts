import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ALL_ROLES, Roles } from '../common/auth.decorators.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { AuditService } from './audit.service.js';
import { IdParam } from './custody.dto.js';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('api')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  /** A dose's whole custody chain, each event with its hash and the link to the previous one. */
  @Roles(...ALL_ROLES)
  @Get('doses/:id/timeline')
  timeline(@Param('id', new ZodPipe(IdParam, 'id')) id: string) {
    return this.audit.timeline(id);
  }

  /** Recomputes the whole hash chain and reports the first broken link, if any. */
  @Roles('admin', 'pharmacist', 'ward_pharmacist')
  @Get('audit/verify')
  verify() {
    return this.audit.verify();
  }

  /** FHIR R4 Bundle: Patient, Medication, MedicationRequest/Dispense/Administration, Task, Provenance. */
  @Roles(...ALL_ROLES)
  @Get('doses/:id/fhir')
  doseFhir(@Param('id', new ZodPipe(IdParam, 'id')) id: string) {
    return this.audit.fhirForDose(id);
  }

  @Roles(...ALL_ROLES)
  @Get('deliveries/:id/fhir')
  deliveryFhir(@Param('id', new ZodPipe(IdParam, 'id')) id: string) {
    return this.audit.fhirForDelivery(id);
  }

  /** GS1 EPCIS 2.0 JSON-LD document of the custody chain. */
  @Roles(...ALL_ROLES)
  @Get('doses/:id/epcis')
  doseEpcis(@Param('id', new ZodPipe(IdParam, 'id')) id: string) {
    return this.audit.epcisForDose(id);
  }

  @Roles(...ALL_ROLES)
  @Get('deliveries/:id/epcis')
  deliveryEpcis(@Param('id', new ZodPipe(IdParam, 'id')) id: string) {
    return this.audit.epcisForDelivery(id);
  }
}
