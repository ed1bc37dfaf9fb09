import { describe, expect, it } from '@jest/globals';
import { messageRefusals } from './message-refusals.js';

const ref = (referenceKey: string, referenceValue: string) => ({ referenceKey, referenceValue });

describe('messageRefusals', () => {
  it('reads a validationError naming the topic and headerId, with the robot text', () => {
    const [f] = messageRefusals([
      {
        errorType: 'validationError',
        errorLevel: 'WARNING',
        errorDescription: 'actions is required',
        errorReferences: [ref('topic', 'instantActions'), ref('headerId', '7')],
      },
    ]);
    expect(f).toMatchObject({ errorType: 'validationError', topic: 'instantActions', headerId: '7', errorDescription: 'actions is required' });
  });

  it('reads orderErrors and errors naming a message; leaves running-action failures to the mission', () => {
    const got = messageRefusals([
      { errorType: 'orderError', errorLevel: 'WARNING', errorReferences: [ref('orderId', 'm-1')] },
      { errorType: 'somethingVendor', errorLevel: 'WARNING', errorReferences: [ref('headerId', '3')] },
      { errorType: 'medloop.compartmentError', errorLevel: 'WARNING', errorReferences: [ref('actionId', 'a1')] },
      { errorType: 'batteryLow', errorLevel: 'WARNING' },
    ]);
    expect(got.map((f) => f.errorType)).toEqual(['orderError', 'somethingVendor']);
  });

  it('gives one key per distinct error, the same across states', () => {
    const e = { errorType: 'validationError', errorLevel: 'WARNING' as const, errorReferences: [ref('headerId', '1'), ref('topic', 'order')] };
    const again = { ...e, errorReferences: [...e.errorReferences].reverse() };
    expect(messageRefusals([e])[0]!.key).toBe(messageRefusals([again])[0]!.key);
    expect(messageRefusals([e, again])).toHaveLength(1);
    expect(messageRefusals([e, { ...e, errorReferences: [ref('headerId', '2')] }])).toHaveLength(2);
  });
});
