/**
 * How long a live socket's session lasts, and what its closure is called: the absolute end is
 * final, the idle end moves with each refresh, and a session the store no longer holds live is
 * "expired" only when its absolute end has passed (otherwise someone ended it).
 */
import { describe, expect, it } from '@jest/globals';
import { closureOf, sessionOutcome } from './live-access.js';

const T0 = Date.parse('2026-01-01T08:00:00Z');
const IDLE = 2 * 3600_000;
const at = (ms: number) => new Date(T0 + ms);

describe('sessionOutcome', () => {
  it('ends at the earlier of the absolute end and the idle end after the last refresh', () => {
    const s = { expiresAt: at(12 * 3600_000), refreshedAt: at(0) };
    expect(sessionOutcome(s, T0 + 12 * 3600_000, T0 + 60_000, IDLE)).toEqual({ live: true, endsAt: T0 + IDLE });
    // refreshed later: the idle end moves forward, never past the absolute end
    expect(sessionOutcome({ ...s, refreshedAt: at(5 * 3600_000) }, T0, T0 + 6 * 3600_000, IDLE)).toEqual({ live: true, endsAt: T0 + 7 * 3600_000 });
    expect(sessionOutcome({ ...s, refreshedAt: at(11 * 3600_000) }, T0, T0 + 11.5 * 3600_000, IDLE)).toEqual({
      live: true,
      endsAt: T0 + 12 * 3600_000,
    });
  });

  it('is expired once either end has passed, also from ISO strings', () => {
    const s = { expiresAt: at(12 * 3600_000).toISOString(), refreshedAt: at(0).toISOString() };
    expect(sessionOutcome(s, T0 + 12 * 3600_000, T0 + IDLE, IDLE)).toEqual({ live: false, closure: 'session_expired' });
    expect(sessionOutcome({ ...s, refreshedAt: at(11 * 3600_000).toISOString() }, 0, T0 + 12 * 3600_000, IDLE)).toEqual({
      live: false,
      closure: 'session_expired',
    });
  });

  it('calls a session the store no longer holds live revoked before its end, expired after it', () => {
    expect(sessionOutcome(null, T0 + 3600_000, T0, IDLE)).toEqual({ live: false, closure: 'session_revoked' });
    expect(sessionOutcome(null, T0, T0, IDLE)).toEqual({ live: false, closure: 'session_expired' });
  });
});

describe('closureOf', () => {
  it('tells a disabled account and an expired session from an ended one', () => {
    expect(closureOf('disabled')).toBe('account_disabled');
    expect(closureOf('expired')).toBe('session_expired');
    for (const r of ['logout', 'password_changed', 'signed_out_everywhere', 'refresh_reused'] as const) expect(closureOf(r)).toBe('session_revoked');
  });
});
