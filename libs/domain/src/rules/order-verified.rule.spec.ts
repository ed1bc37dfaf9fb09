import { describe, expect, it } from '@jest/globals';
import { RuleViolationError } from '../errors.js';
import { orderMachine, type OrderState } from '../custody/order.machine.js';
import { assertOrderVerified } from './order-verified.rule.js';

describe('assertOrderVerified', () => {
  it('lets a verified order be supplied', () => {
    expect(() => assertOrderVerified('verified')).not.toThrow();
  });

  const unverified = (Object.keys(orderMachine.states) as OrderState[]).filter((s) => s !== 'verified');

  it.each(unverified)('blocks supply for an order that is %s', (status) => {
    expect(() => assertOrderVerified(status)).toThrow(RuleViolationError);
  });

  it('explains why, with order_not_verified and the current status', () => {
    let thrown: unknown;
    try {
      assertOrderVerified('active', 'ord-42');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      code: 'order_not_verified',
      kind: 'rule',
      message: 'order ord-42 is awaiting pharmacist verification; doses can only be dispensed or loaded for a pharmacist-verified order',
      details: { status: 'active', orderId: 'ord-42' },
    });
  });

  it('describes states without a dedicated wording in plain words', () => {
    expect(() => assertOrderVerified('entered_in_error')).toThrow('the order is entered in error;');
  });
});
