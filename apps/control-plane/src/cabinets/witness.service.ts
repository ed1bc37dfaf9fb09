/**
 * The witness of a cabinet's two-person act (controlled-drug waste): the second person's badge
 * + PIN or username + password, verified by the one WitnessVerifier (throttled, a nurse only of
 * the cabinet's ward). The result is the domain's WitnessSignature keyed by user id, as the
 * pocket ledger's actors are; the ledger decides whether it suffices.
 */
import { Injectable } from '@nestjs/common';
import type { WitnessSignature } from '#domain';
import type { AuthUser } from '../common/auth.decorators.js';
import { WitnessVerifier } from '../auth/witness-verifier.service.js';
import type { WitnessInput } from './cabinet.dto.js';

@Injectable()
export class WitnessService {
  constructor(private readonly verifier: WitnessVerifier) {}

  async verify(input: WitnessInput, act: { actor: AuthUser; ward: string | null; address?: string | undefined }): Promise<WitnessSignature> {
    const w = await this.verifier.verify(input, { action: 'waste', ...act });
    return { userId: w.user.id, authenticated: true, username: w.user.username, role: w.user.role, via: w.via };
  }
}
