import { describe, expect, it, jest } from '@jest/globals';
import { compartmentInformation, type State, type VdaError } from '#contracts';
import { EventBus } from '../common/events.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { errorKey, judge, refusalIn, RobotConfirmations, type SentInstantActions } from './robot-confirmations.js';

const sent = (over: Partial<SentInstantActions> = {}): SentInstantActions => ({ headerId: 7, actionIds: ['unlock-1'], baseline: new Set(), at: 0, ...over });
const state = (over: Partial<State> = {}): State => ({ actionStates: [], errors: [], information: [], loads: [], ...over }) as unknown as State;
const validation = (refs: { referenceKey: string; referenceValue: string }[] = []): VdaError => ({
  errorType: 'validationError',
  errorLevel: 'WARNING',
  errorDescription: 'invalid instantActions rejected: actions[0]: unlockToken is required',
  errorReferences: refs,
});
const unlockedC1 = (s: State) => s.information!.some((i) => i.infoReferences?.some((r) => r.referenceKey === 'lock' && r.referenceValue === 'UNLOCKED'));

describe('refusalIn', () => {
  it('reads a FAILED action state as a refusal, with the error naming the action when there is one', () => {
    expect(refusalIn(state({ actionStates: [{ actionId: 'unlock-1', actionStatus: 'FAILED', resultDescription: 'lock jammed' }] }), sent())).toEqual({
      errorType: 'actionFailed',
      description: 'lock jammed',
      actionId: 'unlock-1',
    });
    const named: VdaError = {
      errorType: 'medloop.compartmentError',
      errorLevel: 'WARNING',
      errorDescription: 'compartment C1 lock is jammed',
      errorReferences: [{ referenceKey: 'actionId', referenceValue: 'unlock-1' }],
    };
    expect(refusalIn(state({ errors: [named] }), sent())).toMatchObject({
      errorType: 'medloop.compartmentError',
      description: 'compartment C1 lock is jammed',
    });
  });

  it('reads a validationError naming the message by headerId, or a fresh one naming nothing, as a refusal', () => {
    const byHeader = validation([
      { referenceKey: 'topic', referenceValue: 'instantActions' },
      { referenceKey: 'headerId', referenceValue: '7' },
    ]);
    expect(refusalIn(state({ errors: [byHeader] }), sent())).toMatchObject({ errorType: 'validationError' });
    // an older message's refusal is not this one's
    expect(refusalIn(state({ errors: [byHeader] }), sent({ headerId: 8 }))).toBeUndefined();
    const anonymous = validation([{ referenceKey: 'topic', referenceValue: 'instantActions' }]);
    expect(refusalIn(state({ errors: [anonymous] }), sent())).toMatchObject({ errorType: 'validationError' });
    // …unless the robot already reported it before the message went out
    expect(refusalIn(state({ errors: [anonymous] }), sent({ baseline: new Set([errorKey(anonymous)]) }))).toBeUndefined();
    // an order's validation error is not about instant actions
    expect(refusalIn(state({ errors: [validation([{ referenceKey: 'orderId', referenceValue: 'o-1' }])] }), sent())).toBeUndefined();
  });

  it('ignores other actions and healthy states', () => {
    expect(refusalIn(state({ actionStates: [{ actionId: 'other', actionStatus: 'FAILED' }] }), sent())).toBeUndefined();
    expect(refusalIn(state({ actionStates: [{ actionId: 'unlock-1', actionStatus: 'RUNNING' }] }), sent())).toBeUndefined();
  });

  it('judges the effect the caller waits for first: the device reporting it is the answer', () => {
    const open = state({
      information: [compartmentInformation({ compartmentId: 'C1', door: 'CLOSED', lock: 'UNLOCKED' })],
      actionStates: [{ actionId: 'unlock-1', actionStatus: 'FAILED' }],
    });
    expect(judge(open, sent(), unlockedC1)?.kind).toBe('confirmed');
    expect(judge(state(), sent(), unlockedC1)).toBeUndefined();
  });
});

describe('RobotConfirmations', () => {
  const setup = () => {
    const bus = new EventBus();
    const metrics = new MetricsService();
    const logger = { warn: jest.fn() };
    const c = new RobotConfirmations(logger as never, metrics, bus);
    c.onApplicationBootstrap();
    return { bus, metrics, logger, c };
  };
  const noted =
    (c: RobotConfirmations, before: State | null = null) =>
    () =>
      Promise.resolve(c.noteSent('r1', { headerId: 7, actions: [{ actionId: 'unlock-1' } as never] }, before));

  it('resolves confirmed on a matching state of that robot, refused on a refusal, timeout on silence', async () => {
    const { bus, c } = setup();
    const p1 = c.sendAndAwait('r1', noted(c), { confirmed: unlockedC1, timeoutMs: 5000, latest: () => null });
    await Promise.resolve();
    await Promise.resolve();
    bus.emit('robot.state', {
      deviceId: 'r2',
      state: state({ information: [compartmentInformation({ compartmentId: 'C1', door: 'CLOSED', lock: 'UNLOCKED' })] }),
    });
    bus.emit('robot.state', {
      deviceId: 'r1',
      state: state({ information: [compartmentInformation({ compartmentId: 'C1', door: 'CLOSED', lock: 'UNLOCKED' })] }),
    });
    expect((await p1).kind).toBe('confirmed');

    const p2 = c.sendAndAwait('r1', noted(c), { confirmed: unlockedC1, timeoutMs: 5000, latest: () => null });
    await Promise.resolve();
    await Promise.resolve();
    bus.emit('robot.state', {
      deviceId: 'r1',
      state: state({ actionStates: [{ actionId: 'unlock-1', actionStatus: 'FAILED', resultDescription: 'jammed' }] }),
    });
    expect(await p2).toMatchObject({ kind: 'refused', description: 'jammed' });

    expect(await c.sendAndAwait('r1', noted(c), { confirmed: unlockedC1, timeoutMs: 30, latest: () => state() })).toEqual({ kind: 'timeout' });
  });

  it('counts and logs a robot error about an instant action it was sent, once per error', async () => {
    const { bus, metrics, logger, c } = setup();
    c.noteSent('r1', { headerId: 7, actions: [{ actionId: 'unlock-1' } as never] }, null);
    const err = validation([
      { referenceKey: 'topic', referenceValue: 'instantActions' },
      { referenceKey: 'headerId', referenceValue: '7' },
    ]);
    bus.emit('robot.state', { deviceId: 'r1', state: state({ errors: [err] }) });
    bus.emit('robot.state', { deviceId: 'r1', state: state({ errors: [err] }) });
    const text = await metrics.registry.getSingleMetricAsString('medloop_robot_action_errors_total');
    expect(text).toContain('medloop_robot_action_errors_total{errorType="validationError"} 1');
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });
});
