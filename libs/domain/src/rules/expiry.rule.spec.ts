import { describe, expect, it } from '@jest/globals';
import { RuleViolationError, ValidationError } from '../errors.js';
import { assertNotExpired, checkExpiry } from './expiry.rule.js';

describe('checkExpiry', () => {
  it('treats the whole expiry date as usable, to its last minute', () => {
    const check = checkExpiry('2026-03-31', new Date('2026-03-31T23:59:59Z'));
    expect(check).toEqual({
      status: 'expires_today',
      usable: true,
      expiry: '2026-03-31',
      today: '2026-03-31',
      daysRemaining: 0,
      reason: 'usable until the end of today (2026-03-31)',
    });
  });

  it('is expired from the first minute of the following day', () => {
    const check = checkExpiry('2026-03-31', new Date('2026-04-01T00:00:00Z'));
    expect(check).toMatchObject({ status: 'expired', usable: false, daysRemaining: -1, reason: 'expired on 2026-03-31 (1 day ago)' });
  });

  it('counts days left on a valid pack', () => {
    expect(checkExpiry('2026-12-31', new Date('2026-12-01T10:00:00Z'))).toMatchObject({
      status: 'valid',
      usable: true,
      daysRemaining: 30,
      reason: 'in date until 2026-12-31 (30 days left)',
    });
  });

  it("uses the ward's calendar date rather than UTC's", () => {
    // 23:30 UTC on the 31st is already 1 April in Paris (UTC+2 in summer time).
    const lateEvening = new Date('2026-03-31T23:30:00Z');
    expect(checkExpiry('2026-03-31', lateEvening).status).toBe('expires_today');
    expect(checkExpiry('2026-03-31', lateEvening, { timeZone: 'Europe/Paris' })).toMatchObject({
      status: 'expired',
      today: '2026-04-01',
    });
  });

  it('counts across a daylight-saving change without an off-by-one', () => {
    expect(checkExpiry('2026-04-02', new Date('2026-03-28T12:00:00Z'), { timeZone: 'Europe/Paris' }).daysRemaining).toBe(5);
  });

  it.each(['2026-02-30', '26-12-31', '2026-13-01', ''])('rejects the malformed expiry %j', (expiry) => {
    expect(() => checkExpiry(expiry, new Date('2026-01-01T00:00:00Z'))).toThrow(ValidationError);
  });

  it('rejects an unknown time zone and an invalid clock', () => {
    expect(() => checkExpiry('2026-01-01', new Date(), { timeZone: 'Mars/Olympus' })).toThrow("unknown time zone 'Mars/Olympus'");
    expect(() => checkExpiry('2026-01-01', new Date('nope'))).toThrow(ValidationError);
  });
});

describe('assertNotExpired', () => {
  it('lets an in-date pack through and returns the check', () => {
    expect(assertNotExpired('2026-03-31', new Date('2026-03-31T12:00:00Z')).status).toBe('expires_today');
  });

  it('blocks expired stock with product_expired', () => {
    let thrown: unknown;
    try {
      assertNotExpired('2026-03-31', new Date('2026-04-03T12:00:00Z'));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RuleViolationError);
    expect(thrown).toMatchObject({
      code: 'product_expired',
      message: 'the product expired on 2026-03-31 (3 days ago)',
      details: { expiry: '2026-03-31', today: '2026-04-03', daysRemaining: -3 },
    });
  });
});
