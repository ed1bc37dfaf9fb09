import { describe, expect, it } from '@jest/globals';
import type { VdaError } from '#contracts';
import { MAX_MESSAGE_REFUSALS_PER_STATE, MESSAGE_REFUSAL_TEXT_MAX, messageRefusals } from './message-refusals.js';

const ref = (referenceKey: string, referenceValue: string) => ({ referenceKey, referenceValue });

/**
 * The errors vda-5050-lib 1.4.0's AgvController puts in state.errors, built as its
 * _createOrderError (node_modules/vda-5050-lib/controller/agv-controller.js:1206-1230),
 * _createActionError (:1231-1247) and _createInstantActionsValidationError (:1248-1262) build
 * them, with the descriptions and references of their call sites (line given per entry).
 * The order is headerId 12, orderId m-1, orderUpdateId 0; the action a-7 of type unlock.
 */
const orderRefs = [ref('topic', 'order'), ref('headerId', '12'), ref('orderId', 'm-1'), ref('orderUpdateId', '0')];
const W = 'WARNING' as const;
const library: Record<string, VdaError> = {
  // :255
  orderValidation: {
    errorDescription: 'invalid order: Error: nodes[0].nodeId is required',
    errorLevel: W,
    errorType: 'validationError',
    errorReferences: orderRefs,
  },
  // :261
  orderBeingCanceled: { errorDescription: 'active order is being canceled', errorLevel: W, errorType: 'orderError', errorReferences: orderRefs },
  // :273
  orderWhileCharging: {
    errorDescription: 'order is not executable while charging',
    errorLevel: W,
    errorType: 'orderError',
    errorReferences: [...orderRefs, ref('batteryState.charging', 'true')],
  },
  // :598 (an order refused for one of its actions: names the action, is still a refusal)
  orderActionNotExecutable: {
    errorDescription: 'order action is not executable',
    errorLevel: W,
    errorType: 'orderError',
    errorReferences: [...orderRefs, ref('actionId', 'a-7'), ref('actionType', 'unlock')],
  },
  // :299
  orderUpdate: { errorDescription: 'invalid orderUpdateId', errorLevel: W, errorType: 'orderUpdateError', errorReferences: orderRefs },
  // :645
  noRoute: {
    errorDescription: 'first node of new order not within deviation range',
    errorLevel: W,
    errorType: 'noRouteError',
    errorReferences: [...orderRefs, ref('nodeId', 'F0-PHARMACY-DOCK')],
  },
  // :1071 via :1248
  instantActionsValidation: {
    errorDescription: 'invalid instant actions: Error: actions[0].blockingType must be one of NONE, SOFT, HARD',
    errorLevel: W,
    errorType: 'validationError',
    errorReferences: [ref('topic', 'instantActions'), ref('headerId', '41')],
  },
  // :904, an order action FAILED while running
  orderActionFailed: {
    errorDescription: 'compartment jammed',
    errorLevel: W,
    errorType: 'orderActionError',
    errorReferences: [ref('topic', 'order'), ref('actionId', 'a-7'), ref('actionType', 'unlock')],
  },
  // :904, an instant action FAILED while running
  instantActionFailed: {
    errorDescription: 'compartment jammed',
    errorLevel: W,
    errorType: 'instantActionError',
    errorReferences: [ref('topic', 'instantActions'), ref('actionId', 'u-1'), ref('actionType', 'unlock')],
  },
  // :1196, an instant action the adapter cannot execute
  instantActionNotExecutable: {
    errorDescription: 'instant action is not executable',
    errorLevel: W,
    errorType: 'instantActionError',
    errorReferences: [ref('topic', 'instantActions'), ref('actionId', 'u-1'), ref('actionType', 'unlock'), ref('compartmentId', 'C1')],
  },
  // :1177-1179 then :1196 (the errorDescriptionDetail reference goes into the text)
  noOrderToCancel: {
    errorDescription: 'instant action is not executable: no active order to be canceled',
    errorLevel: W,
    errorType: 'noOrderToCancel',
    errorReferences: [ref('topic', 'instantActions'), ref('actionId', 'c-1'), ref('actionType', 'cancelOrder')],
  },
};

const refused = (...names: string[]) => messageRefusals(names.map((n) => library[n]!)).map((f) => f.errorType);

describe('messageRefusals', () => {
  it("reads vda-5050-lib's refusals of an order or instant actions: validation, order, order update and route errors", () => {
    expect(
      refused('orderValidation', 'orderBeingCanceled', 'orderWhileCharging', 'orderActionNotExecutable', 'orderUpdate', 'noRoute', 'instantActionsValidation'),
    ).toEqual(['validationError', 'orderError', 'orderError', 'orderError', 'orderUpdateError', 'noRouteError', 'validationError']);
    const [f] = messageRefusals([library['noRoute']!]);
    expect(f).toMatchObject({
      topic: 'order',
      headerId: '12',
      orderId: 'm-1',
      actionId: null,
      errorDescription: 'first node of new order not within deviation range',
    });
  });

  it("leaves vda-5050-lib's action errors and noOrderToCancel to the mission and the instant action, though they name a topic", () => {
    expect(refused('orderActionFailed', 'instantActionFailed', 'instantActionNotExecutable', 'noOrderToCancel')).toEqual([]);
  });

  it('reads a vendor error naming a message by headerId and no action; not one naming an action, or only a topic', () => {
    const got = messageRefusals([
      { errorType: 'vendorMessageRejected', errorLevel: W, errorReferences: [ref('headerId', '3')] },
      { errorType: 'vendorActionError', errorLevel: W, errorReferences: [ref('headerId', '3'), ref('actionId', 'a1')] },
      { errorType: 'vendorSomething', errorLevel: W, errorReferences: [ref('topic', 'order')] },
      { errorType: 'noOrderToCancel', errorLevel: W, errorReferences: [ref('headerId', '4')] },
      { errorType: 'batteryLow', errorLevel: W },
    ]);
    expect(got.map((f) => f.errorType)).toEqual(['vendorMessageRejected']);
  });

  it('gives one short key per distinct error, the same across states', () => {
    const e = { errorType: 'validationError', errorLevel: W, errorReferences: [ref('headerId', '1'), ref('topic', 'order')] };
    const again = { ...e, errorReferences: [...e.errorReferences].reverse() };
    expect(messageRefusals([e])[0]!.key).toBe(messageRefusals([again])[0]!.key);
    expect(messageRefusals([e])[0]!.key).toMatch(/^[0-9a-f]{16}$/);
    expect(messageRefusals([e, again])).toHaveLength(1);
    expect(messageRefusals([e, { ...e, errorReferences: [ref('headerId', '2')] }])).toHaveLength(2);
    // without references the text tells them apart
    const bare = (d: string) => ({ errorType: 'orderError', errorLevel: W, errorDescription: d });
    expect(messageRefusals([bare('a'), bare('b'), bare('a')])).toHaveLength(2);
  });

  it('bounds what the robot controls: the key whatever its references, its text in the fields, the refusals per state', () => {
    const long = 'x'.repeat(10_000);
    const [f] = messageRefusals([
      { errorType: 'orderError', errorLevel: W, errorDescription: long, errorReferences: [ref('orderId', long), ref('topic', 'order')] },
    ]);
    expect(f!.key).toHaveLength(16);
    expect(f!.orderId).toHaveLength(MESSAGE_REFUSAL_TEXT_MAX);
    expect(f!.errorDescription).toHaveLength(MESSAGE_REFUSAL_TEXT_MAX);
    const many = Array.from({ length: 100 }, (_, i) => ({ errorType: 'orderError', errorLevel: W, errorReferences: [ref('headerId', String(i))] }));
    const got = messageRefusals(many);
    expect(got).toHaveLength(MAX_MESSAGE_REFUSALS_PER_STATE);
    expect(got.map((g) => g.headerId)).toEqual(Array.from({ length: MAX_MESSAGE_REFUSALS_PER_STATE }, (_, i) => String(i)));
  });
});
