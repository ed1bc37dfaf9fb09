/**
 * Password hashing for people: argon2id (memory-hard, salted, self-describing hashes).
 * Device secrets are different — see devices/device-credentials.ts.
 */
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
