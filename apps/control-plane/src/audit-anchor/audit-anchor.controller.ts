import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi.js';
import type { Request, Response } from 'express';
import { Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { type AuditReport, CustodyLedger } from '../custody/custody-ledger.service.js';
import { CustodyRepository } from '#persistence';
import { checkStateTables, type StateReplayReport } from '../custody/state-replay.check.js';
import type { AnchorReport } from './anchor-check.js';
import { AuditAnchorService } from './audit-anchor.service.js';
import { WitnessPushService } from './witness-push.service.js';

/** The database against the latest checkpoint one witness holds (WITNESS_URLS). */
type WitnessVerdict = { url: string } & (AnchorReport | { status: 'unreachable'; detail: string });

/**
 * The anchor's public face: the latest signed checkpoint and the keys that verify it, for an
 * auditor, a witness or the regional platform. The roles are GET /api/audit/verify's: those
 * who may read the audit; neither answer holds ward data (a size, a root hash, public keys).
 */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/audit')
export class AuditAnchorController {
  constructor(
    private readonly anchor: AuditAnchorService,
    private readonly ledger: CustodyLedger,
    private readonly custody: CustodyRepository,
    private readonly witnessPush: WitnessPushService,
  ) {}

  /**
   * Recomputes the whole hash chain from the database (the first broken link, if any) and the
   * Merkle tree against the signed checkpoints (consistent, the first event that differs from
   * what was signed, the signed events missing, or a checkpoint that does not open), with the
   * unanchored tail: events no checkpoint covers yet; and every dose, delivery and order state
   * against the state its custody events lead to (a row changed behind the ledger's back is
   * named). Each witness of WITNESS_URLS is asked for the checkpoint it holds, and the database
   * is checked against that too (`witnesses`: the copy the database's holder cannot rewrite).
   * `ok` only when all hold (a witness that cannot be reached counts for nothing).
   */
  @Roles('admin', 'pharmacist', 'ward_pharmacist', 'safety_officer')
  @ApiOperation({ summary: 'Verify the custody log: hash chain, signed checkpoints, witnesses and state tables' })
  @Get('verify')
  @WardScope.none('the custody log’s integrity: sequence numbers, hashes and checkpoints, no ward data')
  async verify(): Promise<AuditReport & { chainOk: boolean; anchor: AnchorReport; witnesses: WitnessVerdict[]; states: StateReplayReport }> {
    const held = await this.witnessPush.heldCheckpoints();
    const answered = held.filter((h): h is { url: string; note: string } => h.note !== null);
    const [chain, anchors, states] = await Promise.all([
      this.ledger.verify(),
      this.anchor.verifyAgainstAnchor(answered.map((h) => [h.note])),
      checkStateTables(this.custody),
    ]);
    const anchor = anchors.file;
    const witnesses: WitnessVerdict[] = held.map((h) =>
      h.note === null
        ? { url: h.url, status: 'unreachable', detail: h.error ?? 'no checkpoint' }
        : { url: h.url, ...anchors.others[answered.indexOf(h as { url: string; note: string })]! },
    );
    const agrees = (r: { status: string }) => r.status === 'consistent' || r.status === 'none';
    // a witness that cannot be reached says nothing either way; one that holds a checkpoint the
    // database does not match is as strong a refusal as the file's
    const ok = chain.ok && agrees(anchor) && witnesses.every((w) => w.status === 'unreachable' || agrees(w)) && states.mismatches.length === 0;
    return { ...chain, ok, chainOk: chain.ok, anchor, witnesses, states };
  }

  /** The latest signed checkpoint: the signed note as text/plain, or its fields with `Accept: application/json`. */
  @Roles('admin', 'pharmacist', 'ward_pharmacist', 'safety_officer')
  @ApiOperation({ summary: 'Get the latest signed checkpoint (signed note, or JSON)' })
  @ApiErrors({ not_found: ['checkpoint_not_found'] })
  @Get('checkpoint')
  @WardScope.none('a tree size and root hash of the whole custody log: no ward data')
  @ApiProduces('text/plain', 'application/json')
  @ApiOkResponse({
    description:
      'text/plain (the default): the signed note (c2sp.org/tlog-checkpoint body, blank line, `— <key name> <base64 signature>`); application/json: { origin, treeSize, rootHash, time, keyName, keyId, note, anchor }',
  })
  @ApiNotFoundResponse({ description: 'checkpoint_not_found: no checkpoint signed yet (no custody event yet)' })
  checkpoint(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    if (req.accepts(['text/plain', 'application/json']) === 'application/json') return this.anchor.latestCheckpoint('json');
    res.type('text/plain; charset=utf-8');
    return this.anchor.latestCheckpoint('text');
  }

  /** The verifier keys (Go signed-note format): the current signing key's and the retired ones still trusted. */
  @Roles('admin', 'pharmacist', 'ward_pharmacist', 'safety_officer')
  @ApiOperation({ summary: 'Get the checkpoint verifier keys (current and retired)' })
  @Get('keys')
  @WardScope.none('public keys of the checkpoint signer: no ward data')
  @ApiOkResponse({ description: '{ origin, current: { name, keyId, verifierKey }, retired: [...] }' })
  keys() {
    return this.anchor.verifierKeys();
  }
}
