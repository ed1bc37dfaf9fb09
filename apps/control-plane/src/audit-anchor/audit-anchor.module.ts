import { Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { CustodyModule } from '../custody/custody.module.js';
import { AuditAnchorController } from './audit-anchor.controller.js';
import { AuditAnchorService } from './audit-anchor.service.js';
import { DoseProofController } from './dose-proof.controller.js';
import { DoseProofService } from './dose-proof.service.js';
import { WitnessPushService } from './witness-push.service.js';

/**
 * Signed checkpoints of the custody log, anchored outside the database (CHECKPOINTS.md): the
 * Merkle tree over the custody events, the signing key, the checkpoint file, their HTTP views,
 * the push of each checkpoint to the outside witnesses (WITNESS_URLS) and the dose proofs
 * (their checkpoint is handed to custody's FHIR export). Depends on custody only through
 * CustodyLedger.onCommitted, AuditService.useCheckpoint and the repository's reads; /health
 * reads its state.
 */
@Module({
  imports: [CustodyModule, AlarmsModule],
  controllers: [AuditAnchorController, DoseProofController],
  providers: [AuditAnchorService, WitnessPushService, DoseProofService],
  exports: [AuditAnchorService, WitnessPushService],
})
export class AuditAnchorModule {}
