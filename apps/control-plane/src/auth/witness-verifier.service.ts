/**
 * The one check of credentials a person presents for an act rather than for a session: the
 * witness of a two-person act (the pharmacy's independent double check, a high-alert or
 * controlled administration, controlled waste at the bedside or a cabinet), and the badge +
 * PIN a nurse presents at a robot. Verified here, server-side, against the stored hashes
 * (argon2, passwords.ts), each attempt under LoginAttempts: a badge PIN is counted per
 * (badge, source address) and per badge, a password per (username, source address) — the
 * same counter as sign-in: it is the same password — both per source address; while locked
 * the secret is not looked at.
 *
 * A witness must also be eligible for the act (libs/domain assertWitnessEligible: role, ward)
 * and not be the person acting. Whether a witness was *required* stays with assertWitness.
 */
import { Injectable } from '@nestjs/common';
import { RuleViolationError, ThrottledError, UnauthorizedError, assertWitnessEligible, type WitnessedAction } from '#domain';
import { type UserEntity, UsersRepository } from '#persistence';
import type { AuthUser } from '../common/auth.decorators.js';
import { LoginAttempts } from './login-attempts.service.js';
import { verifyOrDummy } from './passwords.js';
import type { BadgeInput, WitnessCredentials } from './witness.dto.js';

/** How the person proved who they are. */
export type CredentialVia = 'badge' | 'password';

export interface VerifiedWitness {
  readonly user: AuthUser;
  readonly via: CredentialVia;
}

export interface WitnessedAct {
  readonly action: WitnessedAction;
  /** the person performing the act: never their own witness */
  readonly actor: AuthUser;
  /** the ward the act happens on (the patient's, the cabinet's); null for the pharmacy */
  readonly ward: string | null;
  /** the request's source address, counted like a sign-in's */
  readonly address?: string | undefined;
}

type Authentication = { kind: 'ok'; user: AuthUser; via: CredentialVia } | { kind: 'rejected' } | { kind: 'locked'; retryAfterS: number };

@Injectable()
export class WitnessVerifier {
  constructor(
    private readonly users: UsersRepository,
    private readonly attempts: LoginAttempts,
  ) {}

  /**
   * The witness of `act`, authenticated from the credentials presented with it. Refuses
   * `witness_locked` (429), `witness_not_authenticated` (an unknown user, a wrong secret and a
   * disabled account alike: which it was is not said), `witness_same_as_actor`,
   * `witness_role_forbidden`, `witness_wrong_ward`.
   */
  async verify(credentials: WitnessCredentials, act: WitnessedAct): Promise<VerifiedWitness> {
    const a = await this.authenticate(credentials, act.address);
    if (a.kind === 'locked')
      throw new ThrottledError(
        `the witness's ${'badge' in credentials ? 'badge' : 'account'} is locked after repeated failures: try again in ${a.retryAfterS} s or ask an administrator`,
        'witness_locked',
        { field: 'witness', retryAfterS: a.retryAfterS },
      );
    // not a 401: the person acting is signed in; it is their witness who failed to
    if (a.kind === 'rejected') throw new RuleViolationError('the witness could not be authenticated', 'witness_not_authenticated', { field: 'witness' });
    if (a.user.id === act.actor.id)
      throw new RuleViolationError('the witness must be a different person from the one acting', 'witness_same_as_actor', {
        field: 'witness',
        action: act.action,
      });
    assertWitnessEligible({ action: act.action, witness: a.user, ward: act.ward });
    return { user: a.user, via: a.via };
  }

  /**
   * The holder of a badge + PIN presented at a device. Refuses `badge_locked` (429) or
   * `badge_invalid` (401: unknown badge, wrong PIN, no PIN set or a disabled holder, alike).
   */
  async badgeHolder(badge: BadgeInput, address?: string): Promise<AuthUser> {
    const a = await this.authenticate({ badge }, address);
    if (a.kind === 'locked')
      throw new ThrottledError(`this badge is locked after repeated wrong PINs: try again in ${a.retryAfterS} s or ask an administrator`, 'badge_locked', {
        field: 'badge',
        retryAfterS: a.retryAfterS,
      });
    if (a.kind !== 'ok') throw new UnauthorizedError('badge or PIN not recognised', 'badge_invalid');
    return a.user;
  }

  private async authenticate(credentials: WitnessCredentials, address: string | undefined): Promise<Authentication> {
    const badge = 'badge' in credentials ? credentials.badge : null;
    const outcome = await this.attempts.attempt(
      badge ? 'badge' : 'witness',
      badge ? badge.gsrn : (credentials as { username: string }).username,
      address,
      async () => {
        const u = badge ? await this.users.findByBadge(badge.gsrn) : await this.users.findByUsername((credentials as { username: string }).username);
        const hash = badge ? u?.pinHash : u?.passwordHash;
        const secret = badge ? badge.pin : (credentials as { password: string }).password;
        // no such user or badge, or no PIN: the same argon2 verify, against the dummy hash
        const ok = await verifyOrDummy(hash, secret);
        return u && ok ? u : null;
      },
      // a disabled account counts as a failure, as at sign-in
      (u) => u !== null && !u.disabled,
    );
    if ('locked' in outcome) return { kind: 'locked', retryAfterS: Math.ceil(outcome.locked / 1000) };
    const u = outcome.result;
    // a disabled account is answered like a wrong secret: a distinct answer given only to the
    // right password would tell whoever holds a leaked credential that it is right
    if (!u || u.disabled) return { kind: 'rejected' };
    return { kind: 'ok', user: authUser(u), via: badge ? 'badge' : 'password' };
  }
}

const authUser = (u: UserEntity): AuthUser => ({ id: u.id, username: u.username, role: u.role, wards: u.wards });

/** The domain's witness signature (assertWitness compares usernames). */
export const witnessSignature = (w: VerifiedWitness) => ({ userId: w.user.username, authenticated: true as const });

/** What a custody event records of its witness: who, in which role, and how they authenticated. */
export const witnessEvidence = (w: VerifiedWitness) => ({ witness: w.user.username, witnessRole: w.user.role, witnessVia: w.via });
