/**
 * Password hashing for people: argon2id (memory-hard, salted, self-describing hashes).
 * Device secrets are different — see devices/device-credentials.ts.
 */
import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;

/**
 * The hash of a random secret no one knows, with the parameters of every real one, made once
 * per process (LoginAttempts starts it at boot, so no first request pays for it): what a
 * secret is verified against when there is no real hash to verify it against.
 */
export function dummyHash(): Promise<string> {
  return (dummy ??= hashPassword(randomBytes(16).toString('hex')));
}

/**
 * Verifies `secret` against `hash`, or against the dummy hash when there is none (an unknown
 * username or badge, a badge without a PIN): one argon2 verify either way, so how long the
 * answer takes does not say whether the name exists. Never true without a real hash.
 */
export async function verifyOrDummy(hash: string | null | undefined, secret: string): Promise<boolean> {
  const ok = await verifyPassword(hash ?? (await dummyHash()), secret);
  return ok && hash !== null && hash !== undefined;
}
