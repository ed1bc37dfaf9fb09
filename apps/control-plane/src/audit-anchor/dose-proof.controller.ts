import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi.js';
import { READ_ROLES, Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { IdParam } from '../custody/custody.dto.js';
import { DoseProofService } from './dose-proof.service.js';

/** The dose's proof sits next to its timeline and exports: the same readers, the same ward scope. */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('api')
export class DoseProofController {
  constructor(private readonly proofs: DoseProofService) {}

  /**
   * The dose's custody events with their RFC 9162 inclusion proofs to the latest signed
   * checkpoint, verifiable offline with the log's verifier key alone (`npm run audit -- verify-proof`).
   */
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Get a dose’s inclusion proofs to the latest signed checkpoint' })
  @ApiErrors({ not_found: ['checkpoint_not_found'], conflict: ['anchor_failed', 'dose_proof_unverifiable'] })
  @Get('doses/:id/proof')
  @WardScope.resource('dose')
  @ApiOkResponse({
    description:
      '{ format: "medloop-dose-proof/v1", origin, doseId, checkpoint (the signed note), treeSize, events: [{ seq, content (canonical JSON the leaf hashes), leafIndex, inclusionProof: [base64] }], unanchored: [seq] (events after the checkpoint) }',
  })
  @ApiNotFoundResponse({ description: 'dose_not_found; checkpoint_not_found: no checkpoint signed yet' })
  @ApiConflictResponse({ description: 'anchor_failed, dose_proof_unverifiable: the database disagrees with the signed checkpoint' })
  proof(@Param('id', new ZodPipe(IdParam, 'id')) id: string) {
    return this.proofs.proof(id);
  }
}
