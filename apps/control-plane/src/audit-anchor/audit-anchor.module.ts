import { Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { CustodyModule } from '../custody/custody.module.js';
import { AuditAnchorController } from './audit-anchor.controller.js';
import { AuditAnchorService } from './audit-anchor.service.js';
import { WitnessPushService } from './witness-push.service.js';

/**
 * Signed checkpoints of the custody log, anchored outside the database (CHECKPOINTS.md): the
 * Merkle tree over the custody events, the signing key, the checkpoint file, their HTTP
 * views, and the push of each checkpoint to the outside witnesses (WITNESS_URLS). Depends on
 * custody only through CustodyLedger.onCommitted and the repository's reads; /health reads its
 * state.
 */
@Module({
  imports: [CustodyModule, AlarmsModule],
  controllers: [AuditAnchorController],
  providers: [AuditAnchorService, WitnessPushService],
  exports: [AuditAnchorService, WitnessPushService],
})
export class AuditAnchorModule {}
