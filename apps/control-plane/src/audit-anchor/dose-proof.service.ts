/**
 * GET /api/doses/:id/proof: the dose's custody events with their inclusion proofs to the latest
 * signed checkpoint (dose-proof.ts has the bundle and its verifier), and the checkpoint the
 * dose's FHIR export names in its Provenance. The content of each event is read from the
 * database and the proofs come from the anchor's tree; the bundle is checked with the log's own
 * verifier keys before it is answered, so an event changed in the database behind the tree's
 * back is refused here by name (409) instead of being handed out as a proof that cannot hold.
 */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { canonicalJson, ConflictError, type InteropCheckpoint, NotFoundError } from '#domain';
import { CustodyRepository } from '#persistence';
import { AuditService } from '../custody/audit.service.js';
import { eventContent } from '../custody/chain-verify.js';
import { AuditAnchorService } from './audit-anchor.service.js';
import { buildDoseProof, type DoseProofBundle, verifyDoseProof } from './dose-proof.js';

@Injectable()
export class DoseProofService implements OnModuleInit {
  constructor(
    private readonly anchor: AuditAnchorService,
    private readonly repo: CustodyRepository,
    private readonly audit: AuditService,
  ) {}

  /** The exports live in custody, which must not depend on the anchor: it is handed the checkpoint. */
  onModuleInit(): void {
    this.audit.useCheckpoint(() => this.checkpointReference());
  }

  /**
   * The latest checkpoint for the FHIR Provenance, or null: none signed yet, or the anchor
   * failed (the database disagrees with it: the export must not claim its events are the signed ones).
   */
  checkpointReference(): InteropCheckpoint | null {
    if (this.anchor.health().status === 'failed' || !this.anchor.signedHead()) return null;
    const cp = this.anchor.latestCheckpoint('json');
    return { origin: cp.origin, treeSize: cp.treeSize, rootHash: cp.rootHash, time: cp.time, note: cp.note };
  }

  async proof(doseId: string): Promise<DoseProofBundle> {
    const dose = await this.repo.dose(doseId);
    if (!dose) throw new NotFoundError('Dose', doseId);
    const health = this.anchor.health();
    if (health.status === 'failed')
      throw new ConflictError(`the custody log does not agree with its last signed checkpoint (${health.reason}): no proof can be given`, 'anchor_failed', {
        reason: health.reason,
      });
    const head = this.anchor.signedHead();
    if (!head) throw new NotFoundError('Checkpoint', 'latest');
    const events = await this.repo.eventsOfDose(doseId);
    const keys = this.anchor.verifierKeys();
    const bundle = buildDoseProof({
      origin: keys.origin,
      doseId,
      note: head.note,
      treeSize: head.treeSize,
      events: events.map((e) => ({ seq: e.seq, content: canonicalJson(eventContent(e)) })),
      inclusionProof: (index, size) => this.anchor.inclusionProof(index, size),
    });
    const verdict = verifyDoseProof(bundle, [keys.current.verifierKey, ...keys.retired.map((k) => k.verifierKey)]);
    if (!verdict.ok)
      throw new ConflictError(`the dose's custody events in the database are not the ones signed: ${verdict.detail}`, 'dose_proof_unverifiable', {
        reason: verdict.reason,
        ...(verdict.seq !== undefined ? { seq: verdict.seq } : {}),
      });
    return bundle;
  }
}
