import { REFUSAL_ACTION_NAMES, REFUSAL_ACTIONS, isRefusalAction, refusalAction, refusalDetails } from './refusals.js';

describe('refusals', () => {
  it('names one action per act, each recognised as a refusal', () => {
    for (const act of Object.keys(REFUSAL_ACTIONS) as (keyof typeof REFUSAL_ACTIONS)[]) expect(isRefusalAction(refusalAction(act))).toBe(true);
    expect(new Set(Object.values(REFUSAL_ACTIONS)).size).toBe(Object.keys(REFUSAL_ACTIONS).length);
  });

  it('keeps the historic name of the bedside refusal and counts a robot-unconfirmed unlock', () => {
    expect(refusalAction('administration')).toBe('administration_blocked');
    expect(REFUSAL_ACTION_NAMES).toContain('unlock_failed');
  });

  it('does not count an accepted act as a refusal', () => {
    for (const a of ['picked', 'checked', 'administered', 'unlocked', 'order_verified', 'quarantine_released']) expect(isRefusalAction(a)).toBe(false);
  });

  it('keeps plain facts from error details and drops anything named like a secret', () => {
    expect(
      refusalDetails({
        field: 'barcode',
        failed: ['dose', 'route'],
        count: 2,
        pin: '1234',
        witnessPassword: 'x',
        token: 'abc',
        nested: { a: 1 },
        long: 'y'.repeat(300),
      }),
    ).toEqual({ field: 'barcode', failed: ['dose', 'route'], count: 2, long: 'y'.repeat(200) });
    expect(refusalDetails(null)).toEqual({});
    expect(refusalDetails(['a'])).toEqual({});
  });
});
