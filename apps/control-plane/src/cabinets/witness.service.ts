/**
 * Authenticates the second person of a two-person act (controlled-drug waste): the witness
 * signs in for this act with their own bearer token or username and password. The result is
 * the domain's WitnessSignature; the ledger decides whether it suffices (different person,
 * authenticated).
 * AuthService comes from the global AuthModule: the one instance, whose key signed the token.
 */
import { Injectable } from '@nestjs/common';
import { DomainError, RuleViolationError, type WitnessSignature } from '#domain';
import { AuthService } from '../auth/auth.service.js';
import type { WitnessInput } from './cabinet.dto.js';

@Injectable()
export class WitnessService {
  constructor(private readonly auth: AuthService) {}

  async verify(input: WitnessInput): Promise<WitnessSignature> {
    const auth = this.auth;
    try {
      const user = 'token' in input ? await auth.verify(input.token) : (await auth.login(input.username, input.password)).user;
      return { userId: user.id, authenticated: true };
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      // not a 401: the person acting is signed in; it is their witness who failed to
      throw new RuleViolationError('the witness could not be authenticated', 'witness_not_authenticated', { field: 'witness' });
    }
  }
}
